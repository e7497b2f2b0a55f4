<?php
declare(strict_types=1);

namespace MqGateway\Tests;

use MqGateway\Client;
use PHPUnit\Framework\TestCase;

/** The example pipeline, one process per stage, end to end: texts -> articles + images -> thumbnails. */
final class PipelineTest extends TestCase
{
    private static function stage(string $name, array $args, string $stdin = ''): string
    {
        $p = proc_open(array_merge(['php', dirname(__DIR__) . "/examples/{$name}"], $args), [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        fwrite($pipes[0], $stdin);
        fclose($pipes[0]);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        self::assertSame(0, proc_close($p), $out);
        return $out;
    }

    public function testIngestEnrichResize(): void
    {
        $prefix = MqProc::unique('PhpPipe');
        $common = ['--gateways=' . MqProc::dev(), "--prefix={$prefix}"];
        $this->assertStringContainsString('sent 3 texts', self::stage('ingest.php', $common, "first text\nsecond, longer text here\nthird\n"));
        $this->assertStringContainsString('handled 3 texts', self::stage('enrich.php', array_merge($common, ['--count=3'])));
        $this->assertStringContainsString('resize: 3 images', self::stage('resize.php', array_merge($common, ['--count=3'])));
        $c = Client::connect(MqProc::dev());
        $got = [];
        $until = microtime(true) + 30;
        while (count($got) < 6 && microtime(true) < $until) {
            foreach ([[$prefix . 'Articles', 'article'], [$prefix . 'Images', 'thumb']] as [$topic, $tag]) {
                foreach ($c->get($topic, 'check', tagExpression: $tag, waitMs: 500)->messages as $m) {
                    $got[$tag . ' ' . $m->keys[0]] = [$tag, $m->body];
                }
            }
        }
        $texts = [];
        $thumbs = 0;
        foreach ($got as [$tag, $body]) {
            if ($tag === 'article') {
                $this->assertGreaterThanOrEqual(1024, strlen($body));
                $this->assertLessThanOrEqual(2048, strlen($body));
                $texts[] = json_decode($body, true)['text'];
            } else {
                $thumbs++;
                [$magic, $dims] = explode("\n", $body, 3);
                [$w, $h] = array_map('intval', explode(' ', $dims));
                $this->assertSame(['P5', 512], [$magic, $w]);
                $this->assertGreaterThanOrEqual(512, $h);
            }
        }
        sort($texts);
        $this->assertSame(['first text', 'second, longer text here', 'third'], $texts);
        $this->assertSame(3, $thumbs);
    }
}
