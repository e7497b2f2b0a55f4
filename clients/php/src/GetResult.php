<?php
declare(strict_types=1);

namespace MqGateway;

/**
 * What one get returned. $ackResults: one Api\AckStatus value per receipt of the request's ack, in order, or null
 * each when the gateway does not report them (older gateways).
 */
final class GetResult
{
    /**
     * @param ReceivedMessage[] $messages
     * @param array<int, ?int> $ackResults
     */
    public function __construct(public readonly array $messages, public readonly int $acked, public readonly array $ackResults)
    {
    }
}
