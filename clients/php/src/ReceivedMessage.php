<?php
declare(strict_types=1);

namespace MqGateway;

/** One delivered message; $receipt is set in at-least-once mode (invisibleMs > 0). */
final class ReceivedMessage
{
    /**
     * @param string[] $keys
     * @param array<string, string> $properties
     */
    public function __construct(
        public readonly string $msgId,
        public readonly string $uniqueId,
        public readonly string $topic,
        public readonly string $body,
        public readonly ?string $tags,
        public readonly array $keys,
        public readonly array $properties,
        public readonly int $bornTimestamp,
        public readonly int $storeTimestamp,
        public readonly string $brokerName,
        public readonly int $queueId,
        public readonly int $queueOffset,
        public readonly int $deliveryAttempt,
        public readonly ?string $receipt,
    ) {
    }

    public static function fromThrift(Api\ReceivedMessage $m): self
    {
        return new self((string) $m->msgId, (string) $m->uniqueId, (string) $m->topic, (string) $m->body, $m->tags,
            $m->keys ?? [], $m->properties ?? [], (int) $m->bornTimestamp, (int) $m->storeTimestamp, (string) $m->brokerName,
            $m->queueId ?? -1, $m->queueOffset ?? -1, $m->deliveryAttempt ?? 1, $m->receipt ?: null);
    }
}
