<?php
declare(strict_types=1);

namespace MqGateway;

use MqGateway\Api\ErrorCode;

/**
 * The gateway refused a call (or one message of a batch: SendResult::$error). getMessage() reads
 * "mqgateway: BUSY: <explanation>"; $errorCode is an ErrorCode value, $codeName its name.
 */
final class GatewayException extends \RuntimeException implements MqGatewayException
{
    public readonly string $codeName;
    public readonly bool $retryable;

    public function __construct(
        public readonly int $errorCode,
        public readonly string $detail,
        bool $retryable = false,
        public readonly ?int $retryAfterMs = null,
        public readonly ?int $index = null,
    ) {
        $this->codeName = ErrorCode::$__names[$errorCode] ?? ('CODE_' . $errorCode);
        $this->retryable = $retryable || in_array($errorCode, [ErrorCode::BUSY, ErrorCode::UNAVAILABLE, ErrorCode::TIMEOUT], true);
        $text = 'mqgateway: ' . $this->codeName . ': ' . $detail;
        if ($retryAfterMs !== null) {
            $text .= " (retry after {$retryAfterMs} ms)";
        }
        if ($index !== null) {
            $text .= " (message {$index} of the batch)";
        }
        parent::__construct($text, $errorCode);
    }

    /** From the generated GatewayError or MessageError. */
    public static function fromThrift(object $e): self
    {
        return new self((int) $e->code, (string) ($e->message ?? ''), (bool) ($e->retryable ?? false),
            isset($e->retryAfterMs) ? (int) $e->retryAfterMs : null, isset($e->index) ? (int) $e->index : null);
    }

    public function withIndex(int $index): self
    {
        return new self($this->errorCode, $this->detail, $this->retryable, $this->retryAfterMs, $index);
    }
}
