<?php
declare(strict_types=1);

namespace MqGateway;

/** Implemented by every exception this library throws (GatewayException, ConnectionException). */
interface MqGatewayException extends \Throwable
{
}
