<?php
/**
 * Cross-language smoke test: php smoke.php HOST:PORT TOPIC GROUP
 *
 * Sends a batch with tags, keys and properties (one body of 5 MiB), gets it back with long polls in at-least-once
 * mode, acks it, and checks every message came back byte-identical. Prints "SMOKE OK <n>" and exits 0, or prints
 * what differed and exits 1.
 */
require __DIR__ . '/autoload.php';

use MqGateway\Message;
use MqGateway\Client;

if ($argc !== 4) {
    fwrite(STDERR, "usage: php smoke.php HOST:PORT TOPIC GROUP\n");
    exit(2);
}
$cut = strrpos($argv[1], ':');
$host = substr($argv[1], 0, $cut);
$port = (int) substr($argv[1], $cut + 1);
[$topic, $group] = [$argv[2], $argv[3]];
$run = 'php' . getmypid();

$pattern = '';
for ($i = 0; $i < 256; $i++) {
    $pattern .= chr(($i * 131 + 7) % 256);
}
$bodies = ["hello from php", implode('', array_map('chr', range(0, 255))), "unicode \u{00fc}\u{2713}", str_repeat($pattern, 5 * 1024 * 1024 / 256)];
$sent = [];
foreach ($bodies as $i => $body) {
    $sent[] = new Message(
        topic: $topic,
        body: $body,
        tags: $i % 2 === 0 ? 'A' : 'B',
        keys: ["$run-$i", "order-$i"],
        properties: ['run' => $run, 'idx' => (string) $i, 'lang' => 'php', 'text' => "caf\u{00e9} \u{2603}"],
    );
}

// A transport or gateway error is a failed smoke test too.
set_exception_handler(function (\Throwable $e): void {
    echo 'SMOKE FAILED: ' . get_class($e) . ': ' . $e->getMessage() . "\n";
    exit(1);
});
$gw = Client::connect($argv[1], 30.0);
$results = $gw->sendBatch($sent);
foreach ($results as $r) {
    if ($r->error !== null) {
        echo "send failed: {$r->error->getMessage()}\n";
        exit(1);
    }
}
if (count($results) !== count($sent)) {
    echo 'send returned ' . count($results) . ' results for ' . count($sent) . " messages\n";
    exit(1);
}

$got = [];
// Receipts of one get are acked with the next one (and the last ones with ack()).
$receipts = [];
$until = microtime(true) + 60;
while (count($got) < count($sent) && microtime(true) < $until) {
    $batch = $gw->get($topic, $group, maxMessages: 32, waitMs: 2000, invisibleMs: 60000, ack: $receipts)->messages;
    $receipts = [];
    foreach ($batch as $m) {
        if ($m->receipt !== null) {
            $receipts[] = $m->receipt;
        }
        if (($m->properties['run'] ?? null) === $run) {
            $got[(int) $m->properties['idx']] = $m;
        }
    }
}
$gw->ack($topic, $group, $receipts);
$gw->close();

$problems = [];
foreach ($sent as $i => $want) {
    $m = $got[$i] ?? null;
    if ($m === null) {
        $problems[] = "message $i never arrived";
        continue;
    }
    if ($m->body !== $want->body) {
        $problems[] = "message $i: body differs (" . strlen($want->body) . ' bytes sent, ' . strlen($m->body) . ' received)';
    }
    if ($m->tags !== $want->tags) {
        $problems[] = "message $i: tags " . var_export($m->tags, true) . ' != ' . var_export($want->tags, true);
    }
    if (($m->keys ?? []) !== $want->keys) {
        $problems[] = "message $i: keys " . json_encode($m->keys) . ' != ' . json_encode($want->keys);
    }
    $props = $m->properties ?? [];
    ksort($props);
    $wantProps = $want->properties;
    ksort($wantProps);
    if ($props !== $wantProps) {
        $problems[] = "message $i: properties " . json_encode($m->properties) . ' != ' . json_encode($want->properties);
    }
}
if ($problems) {
    echo "SMOKE FAILED\n";
    foreach ($problems as $p) {
        echo "  $p\n";
    }
    exit(1);
}
echo 'SMOKE OK ' . count($sent) . "\n";
exit(0);
