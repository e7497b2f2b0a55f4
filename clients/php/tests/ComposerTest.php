<?php
declare(strict_types=1);

namespace MqGateway\Tests;

use PHPUnit\Framework\TestCase;

/**
 * Installation as a user does it, offline: a project whose composer.json maps this package (PSR-4, as its own
 * composer.json declares) and Debian's php-thrift (Thrift\ -> /usr/lib/php) runs `composer dump-autoload`, then a
 * script that only requires vendor/autoload.php sends and receives. (Packagist is not reachable here, so
 * `composer install` of apache/thrift itself is not exercised.)
 */
final class ComposerTest extends TestCase
{
    private static function exec(array $cmd, string $cwd, array $env = []): array
    {
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, array_merge(getenv(), $env));
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        return [proc_close($p), $out];
    }

    public function testComposerJsonIsValidAndRequiresThrift(): void
    {
        $json = json_decode((string) file_get_contents(dirname(__DIR__) . '/composer.json'), true);
        $this->assertSame('0.17.*', $json['require']['apache/thrift']);
        $this->assertSame(['MqGateway\\' => 'src/'], $json['autoload']['psr-4']);
        [$code, $out] = self::exec(['composer', 'validate', '--no-check-publish', '--no-check-lock', '--no-interaction'], dirname(__DIR__),
            ['COMPOSER_HOME' => sys_get_temp_dir() . '/mqg-composer-home']);
        $this->assertSame(0, $code, $out);
    }

    public function testDumpAutoloadOfflineWithDebianThrift(): void
    {
        $this->assertFileExists('/usr/lib/php/Transport/TSocket.php', "Debian's php-thrift is not installed");
        $dir = sys_get_temp_dir() . '/mqg-composer-' . getmypid();
        @mkdir($dir);
        $src = dirname(__DIR__) . '/src/';
        file_put_contents("{$dir}/composer.json", json_encode([
            'name' => 'example/pipeline',
            'require' => new \stdClass(),
            'autoload' => ['psr-4' => ['MqGateway\\' => $src, 'Thrift\\' => '/usr/lib/php/']],
        ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
        $topic = MqProc::unique('PhpComposer');
        file_put_contents("{$dir}/main.php", '<?php
require __DIR__ . "/vendor/autoload.php";
$c = MqGateway\Client::connect($argv[1]);
$c->send(new MqGateway\Message(topic: $argv[2], body: "via composer"));
$got = [];
for ($i = 0; $i < 10 && !$got; $i++) { $got = $c->get($argv[2], "g", waitMs: 1000)->messages; }
echo $got[0]->body ?? "nothing", "\n";');
        try {
            [$code, $out] = self::exec(['composer', 'dump-autoload', '--no-interaction'], $dir, ['COMPOSER_HOME' => "{$dir}/.home", 'COMPOSER_DISABLE_NETWORK' => '1']);
            $this->assertSame(0, $code, $out);
            [$code, $out] = self::exec(['php', "{$dir}/main.php", MqProc::dev(), $topic], $dir);
            $this->assertSame(0, $code, $out);
            $this->assertSame("via composer\n", $out);
        } finally {
            exec('rm -rf ' . escapeshellarg($dir));
        }
    }
}
