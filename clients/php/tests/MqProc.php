<?php
declare(strict_types=1);

namespace MqGateway\Tests;

/**
 * Real `mq` processes for the tests (`mq dev`, or a name server + broker + gateways), started on free ports,
 * ready once they print `<component> ready k=v ...`, stopped by pid. The repository root is ../../.. or MQ_REPO.
 */
final class MqProc
{
    /** @var array<string, string> */
    public array $fields = [];
    /** @var resource */
    private $proc;
    private int $pid;
    private static ?self $dev = null;
    /** @var self[] */
    private static array $started = [];
    private static ?array $cluster = null;
    private string $out = '';

    public static function repo(): string
    {
        return getenv('MQ_REPO') ?: dirname(__DIR__, 3);
    }

    public function __construct(array $args)
    {
        $cmd = array_merge([self::repo() . '/bin/mq'], $args);
        $this->proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, self::repo());
        $this->pid = proc_get_status($this->proc)['pid'];
        // Whatever a test leaves running (a failed assertion skips its own stop()) is stopped at exit.
        if (self::$started === []) {
            register_shutdown_function(function () {
                foreach (array_reverse(self::$started) as $p) {
                    $p->stop();
                }
            });
        }
        self::$started[] = $this;
        $out = $pipes[1];
        $until = microtime(true) + 60;
        while (microtime(true) < $until) {
            $line = fgets($out);
            if ($line === false) {
                break;
            }
            $this->out .= $line;
            if (preg_match('/^(\S+) ready (.*)$/', rtrim($line), $m)) {
                foreach (preg_split('/\s+/', $m[2]) as $kv) {
                    [$k, $v] = array_pad(explode('=', $kv, 2), 2, '');
                    $this->fields[$k] = $v;
                }
                stream_set_blocking($out, false);
                return;
            }
        }
        $this->stop(SIGKILL);
        throw new \RuntimeException('mq ' . implode(' ', $args) . " was not ready:\n" . $this->out);
    }

    public function stop(int $sig = SIGTERM): void
    {
        if (!proc_get_status($this->proc)['running']) {
            return;
        }
        posix_kill($this->pid, $sig);
        $until = microtime(true) + 15;
        while (proc_get_status($this->proc)['running'] && microtime(true) < $until) {
            usleep(50000);
        }
        if (proc_get_status($this->proc)['running']) {
            posix_kill($this->pid, SIGKILL);
        }
    }

    public static function freePort(): int
    {
        $s = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($s, false), ':'), 1);
        fclose($s);
        return $port;
    }

    /** "127.0.0.1:<port>" of a shared `mq dev`, started on first use and stopped at exit. */
    public static function dev(): string
    {
        if (self::$dev === null) {
            $dir = sys_get_temp_dir() . '/mq-phpunit-dev-' . getmypid();
            @mkdir($dir);
            self::$dev = new self(['dev', '--basePort=0', "--dataDir={$dir}", '--httpPort=-1']);
            register_shutdown_function(function () use ($dir) {
                self::$dev?->stop();
                exec('rm -rf ' . escapeshellarg($dir));
            });
        }
        return '127.0.0.1:' . self::$dev->fields['gatewayPort'];
    }

    /** The name server address of a shared name server + broker, for gateways the tests start themselves. */
    public static function namesrv(): string
    {
        if (self::$cluster === null) {
            $dir = sys_get_temp_dir() . '/mq-phpunit-broker-' . getmypid();
            @mkdir($dir);
            $ns = new self(['namesrv', '--listenPort=0', '--httpPort=-1', '--logLevel=warn']);
            $addr = '127.0.0.1:' . $ns->fields['listenPort'];
            $broker = new self(['broker', '--brokerName=php-a', "--storePathRootDir={$dir}", "--namesrvAddr={$addr}", '--listenPort=0',
                '--haListenPort=' . self::freePort(), '--httpPort=-1', '--logLevel=warn', '--mappedFileSizeCommitLog=' . (64 << 20),
                '--registerNameServerPeriod=1000']);
            self::$cluster = [$ns, $broker, $addr];
            register_shutdown_function(function () use ($dir) {
                self::$cluster[1]->stop();
                self::$cluster[0]->stop();
                exec('rm -rf ' . escapeshellarg($dir));
            });
        }
        return self::$cluster[2];
    }

    public static function gateway(int $port = 0, array $extra = []): self
    {
        return new self(array_merge(['gateway', '--namesrvAddr=' . self::namesrv(), "--listenPort={$port}", '--listenHost=127.0.0.1',
            '--httpPort=-1', '--logLevel=warn', '--autoCreateTopic=true', '--receiptSecret=phpunit-secret', '--offsetFlushIntervalMs=200'], $extra));
    }

    public static function unique(string $prefix): string
    {
        return $prefix . '_' . getmypid() . '_' . random_int(0, 99999999);
    }
}
