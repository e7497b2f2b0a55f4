<?php
declare(strict_types=1);

namespace MqGateway\Tests;

use MqGateway\Api\AckStatus;
use MqGateway\Client;
use MqGateway\ConnectionException;
use MqGateway\GatewayException;
use MqGateway\Message;
use MqGateway\MqGatewayException;
use MqGateway\Producer;
use PHPUnit\Framework\TestCase;

final class ClientTest extends TestCase
{
    /** Gets (at-least-once) until $want messages arrived, acking each batch with the next get and at the end. */
    public static function drain(Client $c, string $topic, string $group, int $want): array
    {
        $got = [];
        $receipts = [];
        $until = microtime(true) + 60;
        while (count($got) < $want && microtime(true) < $until) {
            $res = $c->get($topic, $group, waitMs: 2000, invisibleMs: 60000, ack: $receipts);
            $receipts = array_map(fn ($m) => $m->receipt, $res->messages);
            array_push($got, ...$res->messages);
        }
        $c->ack($topic, $group, $receipts);
        return $got;
    }

    public static function sizes(): array
    {
        return ['500 B' => [500], '2 KiB' => [2048], '1 MiB' => [1 << 20], '5 MiB' => [5 << 20]];
    }

    /** @dataProvider sizes */
    public function testSendReceiveByteIdentical(int $size): void
    {
        $topic = MqProc::unique("PhpBytes{$size}");
        $body = random_bytes($size);
        $c = Client::connect(MqProc::dev());
        $r = $c->send(new Message(topic: $topic, body: $body, tags: 'T', keys: ['k1'], properties: ['size' => (string) $size]));
        $this->assertSame(32, strlen($r->msgId));
        $got = self::drain($c, $topic, 'g', 1);
        $this->assertCount(1, $got);
        $this->assertTrue($got[0]->body === $body, 'body differs');
        $this->assertSame(['T', ['k1'], ['size' => (string) $size], $r->msgId], [$got[0]->tags, $got[0]->keys, $got[0]->properties, $got[0]->msgId]);
        if ($r->uniqueId !== '') {
            $this->assertSame($r->uniqueId, $got[0]->uniqueId);
        }
        $c->close();
    }

    public function testWrongTypesAndUnknownOptionsFailBeforeAnythingIsWritten(): void
    {
        $topic = MqProc::unique('PhpPoison');
        $c = Client::connect(MqProc::dev());
        try {
            $c->send(new Message(topic: $topic, body: 12345));
            $this->fail('an int body was accepted');
        } catch (\TypeError) {
        }
        try {
            $c->sendBatch([new Message(topic: $topic, body: 'ok'), ['topic' => $topic, 'body' => 'an array']]);
            $this->fail('an array message was accepted');
        } catch (\TypeError) {
        }
        try {
            $c->get($topic, 'g', waitMS: 1000); // a typo of waitMs
            $this->fail('an unknown option was accepted');
        } catch (\Error $e) {
            $this->assertStringContainsString('waitMS', $e->getMessage());
        }
        $this->assertTrue($c->send(new Message(topic: $topic, body: 'after'))->ok());
        $got = self::drain($c, $topic, 'g', 1);
        $this->assertSame(['after'], array_map(fn ($m) => $m->body, $got));
    }

    public function testGatewayErrorsAndConnectFailures(): void
    {
        $p = new Producer(MqProc::dev());
        $topic = MqProc::unique('PhpErr');
        try {
            $p->sendBatch([new Message(topic: $topic, body: 'fine'), new Message(topic: 'bad topic!', body: 'x')]);
            $this->fail('an invalid topic was accepted');
        } catch (GatewayException $e) {
            $this->assertSame('INVALID_ARGUMENT', $e->codeName);
            $this->assertSame(1, $e->index);
            $this->assertFalse($e->retryable);
            $this->assertStringStartsWith('mqgateway: INVALID_ARGUMENT: ', $e->getMessage());
        }
        try {
            Client::connect('127.0.0.1:1', 2.0);
            $this->fail('connected to port 1');
        } catch (ConnectionException $e) {
            $this->assertInstanceOf(MqGatewayException::class, $e);
            $this->assertStringContainsString('127.0.0.1:1', $e->getMessage());
        }
    }

    public function testAcksAreIdempotentWithPerReceiptResults(): void
    {
        $topic = MqProc::unique('PhpAck');
        $c = Client::connect(MqProc::dev());
        $c->sendBatch([new Message(topic: $topic, body: 'a'), new Message(topic: $topic, body: 'b'), new Message(topic: $topic, body: 'c')]);
        $got = [];
        $until = microtime(true) + 30;
        while (count($got) < 3 && microtime(true) < $until) {
            array_push($got, ...$c->get($topic, 'g', waitMs: 2000, invisibleMs: 60000)->messages);
        }
        $receipts = array_map(fn ($m) => $m->receipt, $got);
        $first = $c->ack($topic, 'g', $receipts);
        $this->assertCount(3, $first);
        if ($first[0] === null) {
            // A gateway without per-receipt results (before the consumption issue) refuses a repeated ack.
            $this->expectException(GatewayException::class);
            $c->ack($topic, 'g', $receipts);
            return;
        }
        $this->assertSame([AckStatus::ACKED, AckStatus::ACKED, AckStatus::ACKED], $first);
        $this->assertSame([AckStatus::ALREADY_ACKED, AckStatus::ALREADY_ACKED, AckStatus::ALREADY_ACKED], $c->ack($topic, 'g', $receipts));
        $this->assertSame([AckStatus::INVALID], $c->ack($topic, 'g', ['garbage']));
    }
}
