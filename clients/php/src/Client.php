<?php
namespace MqGateway;

use MqGateway\Api\GetRequest;
use MqGateway\Api\Message;
use MqGateway\Api\MessageGatewayClient;
use MqGateway\Api\ReceivedMessage;
use MqGateway\Api\SendRequest;
use MqGateway\Api\SendResult;
use Thrift\Protocol\TBinaryProtocol;
use Thrift\Transport\TFramedTransport;
use Thrift\Transport\TSocket;

/**
 * A thin wrapper over the generated MessageGatewayClient: one framed + binary connection to one gateway.
 *
 * TSocket's defaults (100 ms send, 750 ms receive) are far too short for 5 MiB bodies and long polls, so the
 * wrapper sets both to the given timeout and raises the receive timeout above waitMs for each get.
 * Gateway errors are thrown as \MqGateway\Api\GatewayError (code, message, retryable, retryAfterMs, index);
 * transport errors as \Thrift\Exception\TTransportException.
 */
final class Client
{
    /** Extra receive time on top of a long poll's waitMs, in milliseconds. */
    private const POLL_SLACK_MS = 5000;

    private TSocket $socket;
    private TFramedTransport $transport;
    private MessageGatewayClient $client;
    private int $timeoutMs;
    private ?string $auth;

    /**
     * @param float $timeout seconds allowed for connecting and for each call (long polls get waitMs more)
     * @param ?string $auth the token sent with every call, or null when the gateway runs without auth
     */
    public function __construct(string $host = '127.0.0.1', int $port = 9090, float $timeout = 30.0, ?string $auth = null)
    {
        $this->timeoutMs = (int) round($timeout * 1000);
        $this->auth = $auth;
        $this->socket = new TSocket($host, $port);
        $this->socket->setSendTimeout($this->timeoutMs);
        $this->socket->setRecvTimeout($this->timeoutMs);
        $this->transport = new TFramedTransport($this->socket);
        $this->client = new MessageGatewayClient(new TBinaryProtocol($this->transport));
    }

    /** Opens a connection; see the constructor for the arguments. */
    public static function connect(string $host = '127.0.0.1', int $port = 9090, float $timeout = 30.0, ?string $auth = null): self
    {
        $c = new self($host, $port, $timeout, $auth);
        $c->transport->open();
        return $c;
    }

    /**
     * Stores messages in one batch.
     * @param Message ...$messages
     * @return SendResult[] one per message, in order; a message that could not be stored has ->error set
     */
    public function send(Message ...$messages): array
    {
        return $this->client->send(new SendRequest(['messages' => $messages, 'auth' => $this->auth]));
    }

    /**
     * Returns up to maxMessages messages of $topic for consumer $group.
     * Options: maxMessages (32), waitMs (0, long poll), invisibleMs (0 = auto-ack; > 0 = at-least-once with
     * receipts), tagExpression ('*'), ack (receipts to acknowledge in the same call).
     * @return ReceivedMessage[]
     */
    public function get(string $topic, string $group, array $opts = []): array
    {
        $wait = (int) ($opts['waitMs'] ?? 0);
        $req = new GetRequest([
            'topic' => $topic,
            'consumerGroup' => $group,
            'tagExpression' => $opts['tagExpression'] ?? '*',
            'maxMessages' => (int) ($opts['maxMessages'] ?? 32),
            'waitMs' => $wait,
            'invisibleMs' => (int) ($opts['invisibleMs'] ?? 0),
            'ack' => array_values($opts['ack'] ?? []),
            'auth' => $this->auth,
        ]);
        $this->socket->setRecvTimeout(max($this->timeoutMs, $wait + self::POLL_SLACK_MS));
        try {
            return $this->client->get($req)->messages;
        } finally {
            $this->socket->setRecvTimeout($this->timeoutMs);
        }
    }

    /**
     * Acknowledges receipts without fetching anything.
     * @param string[] $receipts
     * @return int how many were accepted
     */
    public function ack(string $topic, string $group, array $receipts): int
    {
        if (count($receipts) === 0) {
            return 0;
        }
        $req = new GetRequest(['topic' => $topic, 'consumerGroup' => $group, 'maxMessages' => 0, 'ack' => array_values($receipts), 'auth' => $this->auth]);
        return (int) $this->client->get($req)->acked;
    }

    public function close(): void
    {
        $this->transport->close();
    }
}
