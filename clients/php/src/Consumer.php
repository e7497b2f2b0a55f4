<?php
declare(strict_types=1);

namespace MqGateway;

use MqGateway\Api\ErrorCode;

/**
 * The consumer loop: long polls, a handler per message (or per batch), acks of handled messages with the next get.
 *
 *   $c = new Consumer(['gw1:9090', 'gw2:9090']);
 *   $c->consume('orders', 'billing', function (ReceivedMessage $m): void { ... }, processes: 4);
 *
 * A handler that throws leaves its message unacked: the gateway delivers it again after invisibleMs. BUSY waits
 * retryAfterMs; UNAVAILABLE, TIMEOUT and broken connections back off with jitter and move to the next address.
 * SIGTERM/SIGINT (pcntl) or stop() end the loop: the running handler finishes, what was handled is acked, the rest of
 * that batch is left for redelivery. processes: N forks N worker processes (each its own connection), the parent
 * forwards signals and sums their counters.
 */
final class Consumer
{
    /** @var string[] */
    private array $addresses;
    private bool $stopping = false;
    private ?\Closure $log = null;

    /** @param string|string[] $addresses */
    public function __construct(
        string|array $addresses = '127.0.0.1:9090',
        private readonly float $timeout = 30.0,
        private readonly ?string $auth = null,
    ) {
        $this->addresses = array_values((array) $addresses);
        if (count($this->addresses) === 0) {
            throw new \InvalidArgumentException('at least one gateway address is needed');
        }
        foreach ($this->addresses as $a) {
            Client::parseAddress($a);
        }
    }

    /** Ends the loop after the running handler (callable from a handler or a signal handler). */
    public function stop(): void
    {
        $this->stopping = true;
    }

    /**
     * Runs until stop(), SIGTERM/SIGINT, or $maxRuntimeMs; returns the counters. Options are named arguments (an
     * unknown name is an Error). $invisibleMs must be > 0 (the loop is at-least-once). $log receives one line per
     * retried error and per failed handler (default: error_log).
     * @param callable(ReceivedMessage):void|callable(ReceivedMessage[]):void $handler
     * @throws GatewayException a non-retryable refusal (auth, unknown topic, bad argument)
     */
    public function consume(
        string $topic,
        string $group,
        callable $handler,
        bool $batch = false,
        int $maxMessages = 32,
        int $waitMs = 10000,
        int $invisibleMs = 60000,
        string $tagExpression = '*',
        bool $orderly = false,
        int $processes = 1,
        bool $handleSignals = true,
        int $backoffMs = 100,
        int $maxBackoffMs = 5000,
        ?int $maxRuntimeMs = null,
        ?\Closure $log = null,
    ): ConsumeStats {
        $this->log = $log ?? fn (string $line) => error_log($line);
        if ($topic === '' || $group === '' || $tagExpression === '') {
            throw new \InvalidArgumentException('topic, group and tagExpression must not be empty');
        }
        foreach ([['maxMessages', $maxMessages, 1, Client::MAX_BATCH], ['waitMs', $waitMs, 0, 30000],
                  ['invisibleMs', $invisibleMs, 1, 43200000], ['processes', $processes, 1, 256]] as [$n, $v, $lo, $hi]) {
            if ($v < $lo || $v > $hi) {
                throw new \InvalidArgumentException("{$n} must be within {$lo}..{$hi}, got {$v}");
            }
        }
        if ($processes > 1 && !function_exists('pcntl_fork')) {
            throw new \RuntimeException('processes > 1 needs the pcntl extension');
        }
        $this->stopping = false;
        $signals = $handleSignals && function_exists('pcntl_async_signals');
        $previous = [];
        if ($signals) {
            pcntl_async_signals(true);
            foreach ([SIGTERM, SIGINT] as $sig) {
                $previous[$sig] = pcntl_signal_get_handler($sig);
                pcntl_signal($sig, fn () => $this->stop());
            }
        }
        $o = compact('topic', 'group', 'handler', 'batch', 'maxMessages', 'waitMs', 'invisibleMs', 'tagExpression',
            'orderly', 'backoffMs', 'maxBackoffMs', 'maxRuntimeMs');
        try {
            return $processes === 1 ? $this->loop($o, 0) : $this->fork($o, $processes);
        } finally {
            foreach ($previous as $sig => $h) {
                pcntl_signal($sig, $h);
            }
        }
    }

    private function fork(array $o, int $n): ConsumeStats
    {
        $children = [];
        for ($i = 0; $i < $n; $i++) {
            $file = tempnam(sys_get_temp_dir(), 'mqg-stats-');
            $pid = pcntl_fork();
            if ($pid === -1) {
                throw new \RuntimeException('fork failed');
            }
            if ($pid === 0) {
                $code = 0;
                try {
                    file_put_contents($file, serialize($this->loop($o, $i)));
                } catch (\Throwable $e) {
                    fwrite(STDERR, $e->getMessage() . "\n");
                    file_put_contents($file, serialize($e->getMessage()));
                    $code = 1;
                }
                exit($code);
            }
            $children[$pid] = $file;
        }
        $total = new ConsumeStats();
        $failure = null;
        $signalled = false;
        while ($children !== []) {
            if ($this->stopping && !$signalled) {
                $signalled = true;
                foreach (array_keys($children) as $pid) {
                    posix_kill($pid, SIGTERM);
                }
            }
            $pid = pcntl_waitpid(-1, $status, WNOHANG);
            if ($pid > 0 && isset($children[$pid])) {
                $got = @unserialize((string) file_get_contents($children[$pid]));
                @unlink($children[$pid]);
                unset($children[$pid]);
                if ($got instanceof ConsumeStats) {
                    $total->add($got);
                } else {
                    $failure ??= is_string($got) ? $got : "worker {$pid} died";
                    $this->stopping = true;
                }
                continue;
            }
            usleep(50000);
        }
        if ($failure !== null) {
            throw new \RuntimeException("mqgateway: a consumer process failed: {$failure}");
        }
        return $total;
    }

    private function loop(array $o, int $index): ConsumeStats
    {
        $stats = new ConsumeStats();
        $pending = []; // [receipt, microtime received]
        $backoff = new Backoff($o['backoffMs'], $o['maxBackoffMs']);
        $address = $index;
        $client = null;
        $lease = $o['invisibleMs'] / 1000.0;
        $until = $o['maxRuntimeMs'] === null ? null : microtime(true) + $o['maxRuntimeMs'] / 1000.0;
        try {
            while (!$this->stopping && ($until === null || microtime(true) < $until)) {
                $now = microtime(true);
                $live = array_values(array_filter($pending, fn ($p) => $now - $p[1] < $lease));
                $stats->droppedAcks += count($pending) - count($live);
                $pending = $live;
                $acks = array_map(fn ($p) => $p[0], array_slice($pending, 0, Client::MAX_ACKS));
                $client ??= Client::forAddress($this->addresses[$address % count($this->addresses)], $this->timeout, $this->auth);
                $wait = $o['waitMs'];
                if ($until !== null) {
                    $wait = max(0, min($wait, (int) (($until - microtime(true)) * 1000)));
                }
                try {
                    $res = $client->get($o['topic'], $o['group'], maxMessages: $o['maxMessages'], waitMs: $wait,
                        invisibleMs: $o['invisibleMs'], tagExpression: $o['tagExpression'], ack: $acks, orderly: $o['orderly']);
                } catch (GatewayException | ConnectionException $e) {
                    if ($this->stopping) {
                        break;
                    }
                    if (!$e->retryable) {
                        if ($acks !== [] && !in_array($e->errorCode, [ErrorCode::UNAUTHENTICATED, ErrorCode::PERMISSION_DENIED], true)) {
                            // A gateway that refuses old receipts must not stop the loop: drop them (redelivery).
                            $stats->droppedAcks += count($acks);
                            $pending = array_slice($pending, count($acks));
                            continue;
                        }
                        throw $e;
                    }
                    $stats->errors++;
                    if ($e instanceof GatewayException && $e->errorCode === ErrorCode::BUSY) {
                        $stats->busy++;
                    }
                    if ($e instanceof ConnectionException) {
                        $client->close();
                        $client = null;
                        $address++;
                        $stats->reconnects++;
                    }
                    $ms = $backoff->nextMs($e);
                    ($this->log)($e->getMessage() . "; retrying in {$ms} ms");
                    $this->sleepMs($ms);
                    continue;
                }
                $backoff->reset();
                $stats->gets++;
                $pending = array_slice($pending, count($acks));
                $stats->countAcks($res->ackResults);
                $stats->received += count($res->messages);
                $t = microtime(true);
                foreach ($this->handle($o, $res->messages, $stats) as $r) {
                    $pending[] = [$r, $t];
                }
            }
        } finally {
            $client?->close();
            $now = microtime(true);
            $this->finalAck($o, array_map(fn ($p) => $p[0], array_filter($pending, fn ($p) => $now - $p[1] < $lease)), $stats);
        }
        return $stats;
    }

    /** Runs the handler; returns the receipts of what was handled. */
    private function handle(array $o, array $messages, ConsumeStats $stats): array
    {
        if ($messages === []) {
            return [];
        }
        if ($o['batch']) {
            try {
                ($o['handler'])($messages);
            } catch (\Throwable $e) {
                $stats->failed += count($messages);
                ($this->log)('mqgateway: handler failed on a batch of ' . count($messages) . ': ' . $e->getMessage() . '; left for redelivery');
                return [];
            }
            $stats->handled += count($messages);
            return array_values(array_filter(array_map(fn ($m) => $m->receipt, $messages)));
        }
        $done = [];
        $blocked = [];
        foreach ($messages as $m) {
            if ($this->stopping) {
                break; // the rest of the batch is delivered again after invisibleMs
            }
            $q = $m->brokerName . '/' . $m->queueId;
            if (isset($blocked[$q])) {
                continue;
            }
            try {
                ($o['handler'])($m);
            } catch (\Throwable $e) {
                $stats->failed++;
                ($this->log)("mqgateway: handler failed on {$m->msgId} (attempt {$m->deliveryAttempt}): " . $e->getMessage() . '; left for redelivery');
                if ($o['orderly']) {
                    $blocked[$q] = true;
                }
                continue;
            }
            $stats->handled++;
            if ($m->receipt !== null) {
                $done[] = $m->receipt;
            }
        }
        return $done;
    }

    private function finalAck(array $o, array $receipts, ConsumeStats $stats): void
    {
        $receipts = array_values($receipts);
        for ($attempt = 0; $receipts !== [] && $attempt < 3 * count($this->addresses); $attempt++) {
            $c = Client::forAddress($this->addresses[$attempt % count($this->addresses)], min($this->timeout, 10.0), $this->auth);
            try {
                while ($receipts !== []) {
                    $chunk = array_slice($receipts, 0, Client::MAX_ACKS);
                    $stats->countAcks($c->ack($o['topic'], $o['group'], $chunk));
                    $receipts = array_slice($receipts, count($chunk));
                }
            } catch (GatewayException | ConnectionException $e) {
                if (!$e->retryable) {
                    break;
                }
                usleep(min(1000, (new Backoff())->nextMs($e)) * 1000);
            } finally {
                $c->close();
            }
        }
        if ($receipts !== []) {
            $stats->droppedAcks += count($receipts);
            ($this->log)('mqgateway: could not confirm the ack of ' . count($receipts) . ' handled messages at stop (the interrupted call may have applied it); unacked ones are delivered again');
        }
    }

    private function sleepMs(int $ms): void
    {
        $until = microtime(true) + $ms / 1000.0;
        while (!$this->stopping && ($left = $until - microtime(true)) > 0) {
            usleep((int) (min($left, 0.05) * 1e6));
        }
    }
}
