<?php
// bench/clients driver for PHP: php bench.php ADDR TOPIC SIZE BATCH SECONDS -> one JSON line.
// Sends SIZE-byte bodies in batches of BATCH with MqGateway\Producer for SECONDS, then consumes all of them with the
// consumer loop (one process, batch handler, acks with the next get).
declare(strict_types=1);
require __DIR__ . '/../../clients/php/autoload.php';

[, $addr, $topic, $size, $batch, $seconds] = $argv;
$size = (int) $size;
$body = random_bytes($size);
$msgs = array_fill(0, (int) $batch, new MqGateway\Message(topic: $topic, body: $body));
$p = new MqGateway\Producer($addr);
$sent = 0;
$start = microtime(true);
while (microtime(true) - $start < (float) $seconds) {
    foreach ($p->sendBatch($msgs) as $r) {
        $sent += $r->ok() ? 1 : 0;
    }
}
$sendS = microtime(true) - $start;
$p->close();
$got = 0;
$c = new MqGateway\Consumer($addr);
$start = microtime(true);
$c->consume($topic, 'bench', function (array $ms) use (&$got, $sent, $c): void {
    $got += count($ms);
    if ($got >= $sent) {
        $c->stop();
    }
}, batch: true, maxMessages: min(1024, max(1, intdiv(16 * 1024 * 1024, $size * 2))), waitMs: 1000, invisibleMs: 60000,
    maxRuntimeMs: (int) ((float) $seconds * 10000), handleSignals: false);
echo json_encode(['sent' => $sent, 'sendSeconds' => $sendS, 'consumed' => $got, 'consumeSeconds' => microtime(true) - $start]), "\n";
