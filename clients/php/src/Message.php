<?php
declare(strict_types=1);

namespace MqGateway;

/**
 * One message to send. Typed, so a wrong type fails here, before anything is written:
 *   new Message(topic: 'logs', body: $bytes, tags: 'A', keys: ['k1'], properties: ['p' => 'v'], shardingKey: null)
 */
final class Message
{
    /**
     * @param string[] $keys
     * @param array<string, string> $properties
     */
    public function __construct(
        public readonly string $topic,
        public readonly string $body,
        public readonly ?string $tags = null,
        public readonly array $keys = [],
        public readonly array $properties = [],
        public readonly ?string $shardingKey = null,
    ) {
        if ($topic === '') {
            throw new \InvalidArgumentException('topic must not be empty');
        }
        if ($body === '') {
            throw new \InvalidArgumentException('body must not be empty');
        }
        foreach ($keys as $k) {
            if (!is_string($k)) {
                throw new \TypeError('keys must be strings, got ' . get_debug_type($k));
            }
        }
        foreach ($properties as $k => $v) {
            if (!is_string($k) || !is_string($v)) {
                throw new \TypeError('properties must map strings to strings, got ' . get_debug_type($k) . ' => ' . get_debug_type($v));
            }
        }
    }

    public function toThrift(): Api\Message
    {
        return new Api\Message(['topic' => $this->topic, 'body' => $this->body, 'tags' => $this->tags,
            'keys' => array_values($this->keys), 'properties' => $this->properties, 'shardingKey' => $this->shardingKey]);
    }
}
