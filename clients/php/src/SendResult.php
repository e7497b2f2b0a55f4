<?php
declare(strict_types=1);

namespace MqGateway;

/** The outcome of one message of a send, in request order; $error is set when that message was not stored. */
final class SendResult
{
    public function __construct(
        public readonly string $msgId,
        public readonly string $uniqueId,
        public readonly string $brokerName,
        public readonly int $queueId,
        public readonly int $queueOffset,
        public readonly int $status,
        public readonly ?GatewayException $error,
    ) {
    }

    public function ok(): bool
    {
        return $this->error === null;
    }

    public static function fromThrift(Api\SendResult $r): self
    {
        return new self((string) $r->msgId, (string) $r->uniqueId, (string) $r->brokerName, $r->queueId ?? -1,
            $r->queueOffset ?? -1, $r->status ?? 0, $r->error === null ? null : GatewayException::fromThrift($r->error));
    }
}
