<?php
declare(strict_types=1);

namespace MqGateway;

use MqGateway\Api\GetRequest;
use MqGateway\Api\MessageGatewayClient;
use MqGateway\Api\SendRequest;
use Thrift\Exception\TException;
use Thrift\Protocol\TBinaryProtocol;
use Thrift\Transport\TSocket;

/**
 * One framed + binary connection to one gateway: send, sendBatch, get, ack.
 *
 * The constructor does not connect; the first call does (or connect()). Every argument is checked before anything is
 * written, and a call that fails half-way (connection error, timeout) drops the connection, so the next call starts
 * on a fresh one. Gateway refusals throw GatewayException; connection failures ConnectionException (both implement
 * MqGatewayException). TSocket's default timeouts (100 ms send, 750 ms receive) are raised to $timeout, and above
 * waitMs for long polls.
 */
final class Client
{
    /** Extra receive time on top of a long poll's waitMs, in milliseconds. */
    private const POLL_SLACK_MS = 5000;
    public const MAX_BATCH = 1024;
    public const MAX_ACKS = 4096;

    public readonly string $address;
    private ?TSocket $socket = null;
    private ?FramedTransport $transport = null;
    private ?MessageGatewayClient $client = null;
    private int $timeoutMs;

    /**
     * @param float $timeout seconds allowed for connecting and for each call (long polls get waitMs more)
     * @param ?string $auth the token sent with every call, or null when the gateway runs without auth
     */
    public function __construct(
        public readonly string $host = '127.0.0.1',
        public readonly int $port = 9090,
        float $timeout = 30.0,
        private readonly ?string $auth = null,
    ) {
        $this->timeoutMs = (int) round($timeout * 1000);
        $this->address = "{$host}:{$port}";
    }

    /** "host:port", "host" (port 9090) or "[::1]:9090" as [host, port]. */
    public static function parseAddress(string $address): array
    {
        if (preg_match('/^\[(.+)\](?::(\d+))?$/', $address, $m)) {
            return [$m[1], isset($m[2]) ? (int) $m[2] : 9090];
        }
        if (substr_count($address, ':') === 1) {
            [$h, $p] = explode(':', $address);
            if ($h !== '' && ctype_digit($p)) {
                return [$h, (int) $p];
            }
        }
        if ($address === '' || str_contains($address, ':')) {
            throw new \InvalidArgumentException("bad gateway address '{$address}' (want host:port)");
        }
        return [$address, 9090];
    }

    /** A client for "host:port"; see the constructor. Does not connect yet. */
    public static function forAddress(string $address, float $timeout = 30.0, ?string $auth = null): self
    {
        [$host, $port] = self::parseAddress($address);
        return new self($host, $port, $timeout, $auth);
    }

    /** Opens a connection to "host:port" now. */
    public static function connect(string $address, float $timeout = 30.0, ?string $auth = null): self
    {
        return self::forAddress($address, $timeout, $auth)->open();
    }

    public function open(): self
    {
        if ($this->client !== null) {
            return $this;
        }
        $socket = new TSocket($this->host, $this->port);
        $socket->setSendTimeout($this->timeoutMs);
        $socket->setRecvTimeout($this->timeoutMs);
        $transport = new FramedTransport($socket);
        try {
            $transport->open();
        } catch (TException $e) {
            throw new ConnectionException($this->address, $e);
        }
        $this->socket = $socket;
        $this->transport = $transport;
        $this->client = new MessageGatewayClient(new TBinaryProtocol($transport));
        return $this;
    }

    public function close(): void
    {
        $t = $this->transport;
        $this->socket = $this->transport = $this->client = null;
        if ($t !== null) {
            try {
                $t->close();
            } catch (\Throwable) {
            }
        }
    }

    private function call(string $method, object $request, int $recvTimeoutMs): mixed
    {
        $client = $this->open()->client;
        $this->socket->setRecvTimeout($recvTimeoutMs);
        try {
            return $client->$method($request);
        } catch (Api\GatewayError $e) {
            $this->socket?->setRecvTimeout($this->timeoutMs);
            throw GatewayException::fromThrift($e); // a complete answer: the connection is still in step
        } catch (\Throwable $e) {
            $this->close(); // half a call may be on the wire: never reuse this connection
            if ($e instanceof TException) {
                throw new ConnectionException($this->address, $e);
            }
            throw $e;
        } finally {
            $this->socket?->setRecvTimeout($this->timeoutMs);
        }
    }

    /**
     * Stores 1..1024 messages (any topics) in one call.
     * @param Message[] $messages
     * @return SendResult[] one per message, in order; a message that was not stored has ->error
     * @throws GatewayException when the gateway refused the whole batch (->index names the offending message)
     */
    public function sendBatch(array $messages): array
    {
        $n = count($messages);
        if ($n < 1 || $n > self::MAX_BATCH) {
            throw new \InvalidArgumentException('a batch has 1..' . self::MAX_BATCH . " messages, got {$n}");
        }
        $batch = [];
        foreach (array_values($messages) as $i => $m) {
            if (!$m instanceof Message) {
                throw new \TypeError("message {$i} must be a MqGateway\\Message, got " . get_debug_type($m));
            }
            $batch[] = $m->toThrift();
        }
        $res = $this->call('send', new SendRequest(['messages' => $batch, 'auth' => $this->auth]), $this->timeoutMs);
        return array_map(fn (Api\SendResult $r) => SendResult::fromThrift($r), $res);
    }

    /** Stores one message; throws its GatewayException when it was not stored. */
    public function send(Message $message): SendResult
    {
        $r = $this->sendBatch([$message])[0];
        if ($r->error !== null) {
            throw $r->error;
        }
        return $r;
    }

    /**
     * Acks $ack, then returns up to $maxMessages messages of $topic for consumer $group, waiting up to $waitMs for the
     * first. $invisibleMs > 0: at-least-once, each message has a receipt to ack; 0: the offset moves at once.
     * Options are named arguments; an unknown name is an Error.
     * @param string[] $ack
     */
    public function get(
        string $topic,
        string $group,
        int $maxMessages = 32,
        int $waitMs = 0,
        int $invisibleMs = 0,
        string $tagExpression = '*',
        array $ack = [],
        bool $orderly = false,
    ): GetResult {
        if ($topic === '' || $group === '' || $tagExpression === '') {
            throw new \InvalidArgumentException('topic, group and tagExpression must not be empty');
        }
        self::range('maxMessages', $maxMessages, 0, self::MAX_BATCH);
        self::range('waitMs', $waitMs, 0, 30000);
        self::range('invisibleMs', $invisibleMs, 0, 43200000);
        $ack = array_values($ack);
        if (count($ack) > self::MAX_ACKS) {
            throw new \InvalidArgumentException('at most ' . self::MAX_ACKS . ' receipts per call');
        }
        foreach ($ack as $r) {
            if (!is_string($r) || $r === '') {
                throw new \TypeError('receipts must be non-empty strings');
            }
        }
        $req = new GetRequest(['topic' => $topic, 'consumerGroup' => $group, 'tagExpression' => $tagExpression,
            'maxMessages' => $maxMessages, 'waitMs' => $waitMs, 'invisibleMs' => $invisibleMs, 'ack' => $ack,
            'auth' => $this->auth, 'orderly' => $orderly]);
        $res = $this->call('get', $req, max($this->timeoutMs, $waitMs + self::POLL_SLACK_MS));
        $statuses = array_fill(0, count($ack), null);
        if (is_array($res->ackResults) && count($res->ackResults) === count($ack)) {
            $statuses = array_map('intval', array_values($res->ackResults));
        }
        return new GetResult(array_map(fn ($m) => ReceivedMessage::fromThrift($m), $res->messages ?? []), (int) $res->acked, $statuses);
    }

    /**
     * Acknowledges receipts without fetching. Acks are idempotent: a repeated receipt answers ALREADY_ACKED.
     * @param string[] $receipts
     * @return array<int, ?int> one Api\AckStatus per receipt (null: not reported by the gateway)
     */
    public function ack(string $topic, string $group, array $receipts): array
    {
        if (count($receipts) === 0) {
            return [];
        }
        return $this->get($topic, $group, maxMessages: 0, ack: $receipts)->ackResults;
    }

    private static function range(string $name, int $v, int $lo, int $hi): void
    {
        if ($v < $lo || $v > $hi) {
            throw new \InvalidArgumentException("{$name} must be within {$lo}..{$hi}, got {$v}");
        }
    }
}
