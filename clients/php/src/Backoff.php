<?php
declare(strict_types=1);

namespace MqGateway;

use MqGateway\Api\ErrorCode;

/**
 * BUSY waits retryAfterMs (plus up to 20 % jitter, so that consumers do not come back in step); UNAVAILABLE, TIMEOUT
 * and connection failures back off exponentially with full jitter from $baseMs up to $maxMs.
 */
final class Backoff
{
    public int $attempt = 0;

    public function __construct(private readonly int $baseMs = 100, private readonly int $maxMs = 5000)
    {
    }

    public function reset(): void
    {
        $this->attempt = 0;
    }

    /** The wait before the next try, in milliseconds. */
    public function nextMs(\Throwable $e): int
    {
        $this->attempt++;
        if ($e instanceof GatewayException && $e->errorCode === ErrorCode::BUSY) {
            $wait = $e->retryAfterMs ?? 1000;
            return $wait + random_int(0, intdiv($wait, 5));
        }
        $cap = min($this->maxMs, $this->baseMs * (2 ** min($this->attempt - 1, 20)));
        return intdiv($cap, 2) + random_int(0, intdiv($cap, 2));
    }

    public static function retryable(\Throwable $e): bool
    {
        return ($e instanceof GatewayException || $e instanceof ConnectionException) && $e->retryable;
    }
}
