<?php
declare(strict_types=1);

namespace MqGateway;

/**
 * Sends with retries, reconnects and failover across gateway addresses (in order). A retryable failure (BUSY: after
 * retryAfterMs; UNAVAILABLE, TIMEOUT, a broken connection: after a jittered backoff, on the next address) is retried
 * up to $retries times; only the messages that failed are sent again. A retried TIMEOUT or connection failure may
 * store a message twice (at-least-once).
 */
final class Producer
{
    /** @var string[] */
    private array $addresses;
    private int $next = 0;
    private ?Client $client = null;

    /** @param string|string[] $addresses */
    public function __construct(
        string|array $addresses = '127.0.0.1:9090',
        private readonly float $timeout = 30.0,
        private readonly ?string $auth = null,
        private readonly int $retries = 3,
        private readonly int $backoffMs = 100,
        private readonly int $maxBackoffMs = 5000,
    ) {
        $this->addresses = array_values((array) $addresses);
        if (count($this->addresses) === 0) {
            throw new \InvalidArgumentException('at least one gateway address is needed');
        }
        foreach ($this->addresses as $a) {
            Client::parseAddress($a);
        }
    }

    private function client(): Client
    {
        return $this->client ??= Client::forAddress($this->addresses[$this->next % count($this->addresses)], $this->timeout, $this->auth);
    }

    /**
     * @param Message[] $messages
     * @return SendResult[] one per message, in order; after the retries a message still not stored has ->error
     */
    public function sendBatch(array $messages): array
    {
        $messages = array_values($messages);
        foreach ($messages as $i => $m) {
            if (!$m instanceof Message) {
                throw new \TypeError("message {$i} must be a MqGateway\\Message, got " . get_debug_type($m));
            }
        }
        $results = [];
        $todo = array_keys($messages);
        $backoff = new Backoff($this->backoffMs, $this->maxBackoffMs);
        while (true) {
            try {
                $got = $this->client()->sendBatch(array_map(fn ($i) => $messages[$i], $todo));
            } catch (GatewayException | ConnectionException $e) {
                if (!Backoff::retryable($e) || $backoff->attempt >= $this->retries) {
                    if ($e instanceof GatewayException && $e->index !== null && isset($todo[$e->index])) {
                        throw $e->withIndex($todo[$e->index]);
                    }
                    throw $e;
                }
                if ($e instanceof ConnectionException) {
                    $this->client?->close();
                    $this->client = null;
                    $this->next++;
                }
                usleep($backoff->nextMs($e) * 1000);
                continue;
            }
            $again = [];
            foreach ($todo as $k => $i) {
                $results[$i] = $got[$k];
                if ($got[$k]->error !== null && $got[$k]->error->retryable) {
                    $again[] = $i;
                }
            }
            if ($again === [] || $backoff->attempt >= $this->retries) {
                ksort($results);
                return array_values($results);
            }
            usleep($backoff->nextMs($results[$again[0]]->error) * 1000);
            $todo = $again;
        }
    }

    public function send(Message $message): SendResult
    {
        $r = $this->sendBatch([$message])[0];
        if ($r->error !== null) {
            throw $r->error;
        }
        return $r;
    }

    public function close(): void
    {
        $this->client?->close();
        $this->client = null;
    }
}
