<?php
declare(strict_types=1);

namespace MqGateway;

/** Counters of one consume() run (summed over the worker processes). */
final class ConsumeStats
{
    public int $gets = 0;
    public int $received = 0;
    public int $handled = 0;
    public int $failed = 0;
    /** @var array<string, int> acks by outcome: ACKED, ALREADY_ACKED, EXPIRED, INVALID, UNKNOWN (not reported) */
    public array $acks = ['ACKED' => 0, 'ALREADY_ACKED' => 0, 'EXPIRED' => 0, 'INVALID' => 0, 'UNKNOWN' => 0];
    public int $busy = 0;
    public int $errors = 0;
    public int $reconnects = 0;
    public int $droppedAcks = 0;

    /** @param array<int, ?int> $statuses */
    public function countAcks(array $statuses): void
    {
        foreach ($statuses as $s) {
            $this->acks[$s === null ? 'UNKNOWN' : (Api\AckStatus::$__names[$s] ?? 'UNKNOWN')]++;
        }
    }

    public function add(self $o): void
    {
        foreach (['gets', 'received', 'handled', 'failed', 'busy', 'errors', 'reconnects', 'droppedAcks'] as $k) {
            $this->$k += $o->$k;
        }
        foreach ($o->acks as $k => $v) {
            $this->acks[$k] += $v;
        }
    }
}
