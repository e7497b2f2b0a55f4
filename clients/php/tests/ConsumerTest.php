<?php
declare(strict_types=1);

namespace MqGateway\Tests;

use MqGateway\Client;
use MqGateway\Consumer;
use MqGateway\Message;
use MqGateway\Producer;
use MqGateway\ReceivedMessage;
use PHPUnit\Framework\TestCase;

final class ConsumerTest extends TestCase
{
    private static function produce(string $addr, string $topic, int $n): void
    {
        $p = new Producer($addr);
        for ($i = 0; $i < $n; $i += 100) {
            $batch = [];
            for ($j = $i; $j < min($n, $i + 100); $j++) {
                $batch[] = new Message(topic: $topic, body: "m{$j}");
            }
            $p->sendBatch($batch);
        }
        $p->close();
    }

    private function assertNothingLeft(string $addr, string $topic, string $group): void
    {
        $c = Client::connect($addr);
        $this->assertSame([], $c->get($topic, $group, waitMs: 500, invisibleMs: 1000)->messages);
        $c->close();
    }

    public function testHandlerFailingOnceIsRedeliveredThenAcked(): void
    {
        $topic = MqProc::unique('PhpFailOnce');
        self::produce(MqProc::dev(), $topic, 5);
        $consumer = new Consumer(MqProc::dev());
        $seen = [];
        $stats = $consumer->consume($topic, 'fail_once', function (ReceivedMessage $m) use (&$seen, $consumer): void {
            $seen[$m->body][] = $m->deliveryAttempt;
            if ($m->body === 'm2' && $m->deliveryAttempt === 1) {
                throw new \RuntimeException('transient failure');
            }
            if (count($seen) === 5 && count($seen['m2']) === 2) {
                $consumer->stop();
            }
        }, waitMs: 1000, invisibleMs: 1500, maxRuntimeMs: 30000);
        $this->assertSame([1, 2], $seen['m2']);
        $this->assertCount(5, $seen);
        $this->assertSame(1, $stats->failed);
        $this->assertGreaterThanOrEqual(5, $stats->acks['ACKED'] + $stats->acks['UNKNOWN']);
        usleep(2000000); // past the visibility timeout
        $this->assertNothingLeft(MqProc::dev(), $topic, 'fail_once');
    }

    public function testSigtermStopsAConsumerProcessGracefully(): void
    {
        $topic = MqProc::unique('PhpSig');
        self::produce(MqProc::dev(), $topic, 3);
        $script = tempnam(sys_get_temp_dir(), 'mqg-consumer-');
        file_put_contents($script, '<?php require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';
$c = new MqGateway\Consumer($argv[3]);
$s = $c->consume($argv[1], $argv[2], function (MqGateway\ReceivedMessage $m): void { echo "handled {$m->body}\n"; }, waitMs: 20000, invisibleMs: 2500);
echo "stopped handled={$s->handled}\n";');
        $proc = proc_open(['php', $script, $topic, 'sig', MqProc::dev()], [1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        $lines = [];
        while (count($lines) < 3 && ($l = fgets($pipes[1])) !== false) {
            $lines[] = trim($l);
        }
        $this->assertCount(3, $lines);
        usleep(500000); // now blocked in a 20 s long poll
        $t0 = microtime(true);
        proc_terminate($proc, SIGTERM);
        $rest = stream_get_contents($pipes[1]);
        $code = proc_close($proc);
        unlink($script);
        $this->assertLessThan(5.0, microtime(true) - $t0, 'the long poll was waited out');
        $this->assertSame(0, $code);
        $this->assertStringContainsString('stopped handled=3', $rest);
        usleep(3000000); // past the visibility timeout: anything not acked would be delivered again now
        $this->assertNothingLeft(MqProc::dev(), $topic, 'sig');
    }

    public function testProcessesConsumeInParallel(): void
    {
        $topic = MqProc::unique('PhpProcs');
        self::produce(MqProc::dev(), $topic, 200);
        $log = tempnam(sys_get_temp_dir(), 'mqg-procs-');
        $consumer = new Consumer(MqProc::dev());
        $stats = $consumer->consume($topic, 'procs', function (array $batch) use ($log): void {
            file_put_contents($log, implode('', array_map(fn ($m) => getmypid() . ' ' . $m->body . "\n", $batch)), FILE_APPEND | LOCK_EX);
            usleep(50000); // a handler that takes time: one process alone would need 1 s for the 20 batches
        }, batch: true, maxMessages: 10, processes: 3, waitMs: 1000, invisibleMs: 10000, maxRuntimeMs: 6000);
        $lines = file($log, FILE_IGNORE_NEW_LINES);
        unlink($log);
        $bodies = array_unique(array_map(fn ($l) => explode(' ', $l)[1], $lines));
        $this->assertCount(200, $bodies);
        $this->assertSame(count($lines), $stats->handled);
        $this->assertGreaterThan(1, count(array_unique(array_map(fn ($l) => explode(' ', $l)[0], $lines))), 'one process did everything');
    }

    /**
     * Holds $size - 1 bytes of the gateway's in-flight budget: a frame announcing $size bytes, all sent but the last one
     * (the gateway counts bytes as they arrive, and waits frameReadTimeoutMs for the rest).
     */
    private static function hog(string $port, int $size)
    {
        $s = stream_socket_client("tcp://127.0.0.1:{$port}");
        fwrite($s, pack('N', $size) . "\x80\x01" . str_repeat("\0", $size - 3));
        usleep(500000); // until the gateway has read them
        return $s;
    }

    public function testBusyWaitsRetryAfterMs(): void
    {
        $cap = 128 * 1024;
        $gw = MqProc::gateway(0, ['--maxMessageSize=65536', '--frameHeadroomBytes=65536', "--maxInflightBytes={$cap}",
            "--maxInflightBytesPerConnection={$cap}", '--busyRetryAfterMs=700']);
        $addr = '127.0.0.1:' . $gw->fields['listenPort'];
        $topic = MqProc::unique('PhpBusy');
        self::produce($addr, $topic, 3);
        $hog = self::hog($gw->fields['listenPort'], $cap);
        // For 3.5 s every call gets BUSY; the loop runs that long, then the hog goes and the messages are consumed.
        $consumer = new Consumer($addr);
        $stats = $consumer->consume($topic, 'busy', fn () => null, waitMs: 1000, invisibleMs: 10000, maxRuntimeMs: 3500);
        fclose($hog);
        $this->assertSame(0, $stats->handled);
        // 3.5 s of BUSY at 700 ms (+ up to 20 % jitter) each: about 4-5 calls, never a tight loop.
        $this->assertGreaterThanOrEqual(3, $stats->busy);
        $this->assertLessThanOrEqual(6, $stats->busy);
        $got = 0;
        $stats = $consumer->consume($topic, 'busy', function () use (&$got, $consumer): void {
            if (++$got === 3) {
                $consumer->stop();
            }
        }, waitMs: 1000, invisibleMs: 10000, maxRuntimeMs: 20000);
        $this->assertSame(3, $got);
        // The Producer waits retryAfterMs too: BUSY for 1 s (the hog goes when pcntl's alarm fires), then a retry goes
        // through (retrying in a tight loop would have used up its 3 retries in milliseconds and thrown BUSY).
        $hog = self::hog($gw->fields['listenPort'], $cap);
        pcntl_async_signals(true);
        pcntl_signal(SIGALRM, function () use (&$hog): void {
            fclose($hog);
        });
        pcntl_alarm(1);
        $start = microtime(true);
        $this->assertTrue((new Producer($addr, retries: 3))->send(new Message(topic: $topic, body: 'after busy'))->ok());
        $this->assertGreaterThanOrEqual(0.7, microtime(true) - $start);
        pcntl_signal(SIGALRM, SIG_DFL);
        $gw->stop();
    }

    public function testGatewayRestartAndFailoverLoseNothing(): void
    {
        $port = MqProc::freePort();
        $gw = MqProc::gateway($port);
        $live = "127.0.0.1:{$port}";
        $dead = '127.0.0.1:' . MqProc::freePort();
        $topic = MqProc::unique('PhpRestart');
        $n = 300;
        self::produce($live, $topic, $n);
        $consumer = new Consumer([$dead, $live]);
        $seen = [];
        $restarted = false;
        $stats = $consumer->consume($topic, 'restart', function (ReceivedMessage $m) use (&$seen, &$gw, &$restarted, $port, $n, $consumer): void {
            $seen[$m->body] = true;
            if (count($seen) === 60 && !$restarted) {
                // The gateway dies between two gets and comes back on the same port.
                $gw->stop(SIGKILL);
                $restarted = true;
                $gw = MqProc::gateway($port);
            }
            if (count($seen) === $n) {
                $consumer->stop();
            }
        }, maxMessages: 16, waitMs: 1000, invisibleMs: 4000, maxBackoffMs: 500, maxRuntimeMs: 60000);
        $gw->stop();
        $this->assertCount($n, $seen, 'messages were lost');
        $this->assertGreaterThanOrEqual(2, $stats->reconnects);
    }

    public function testOrderlyKeepsKeyOrderAcrossAFailure(): void
    {
        $topic = MqProc::unique('PhpOrderly');
        $c = Client::connect(MqProc::dev());
        $c->sendBatch(array_map(fn ($i) => new Message(topic: $topic, body: sprintf('o%02d', $i), shardingKey: 'order-42'), range(0, 19)));
        $consumer = new Consumer(MqProc::dev());
        $handled = [];
        $failed = false;
        $consumer->consume($topic, 'orderly', function (ReceivedMessage $m) use (&$handled, &$failed, $consumer): void {
            if ($m->body === 'o05' && !$failed) {
                $failed = true;
                throw new \RuntimeException('transient failure');
            }
            $handled[] = $m->body;
            if (count($handled) === 20) {
                $consumer->stop();
            }
        }, orderly: true, maxMessages: 8, waitMs: 1000, invisibleMs: 1500, maxRuntimeMs: 30000, log: fn () => null);
        $this->assertTrue($failed);
        $this->assertSame(array_map(fn ($i) => sprintf('o%02d', $i), range(0, 19)), $handled);
    }
}
