<?php
declare(strict_types=1);

namespace MqGateway;

/** The connection to a gateway failed (refused, reset, timed out); the outcome of that call is unknown. */
final class ConnectionException extends \RuntimeException implements MqGatewayException
{
    public readonly bool $retryable;

    public function __construct(public readonly string $address, \Throwable $cause)
    {
        $this->retryable = true;
        parent::__construct("mqgateway: connection to {$address} failed: " . ($cause->getMessage() ?: get_class($cause)), 0, $cause);
    }
}
