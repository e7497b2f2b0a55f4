<?php
/**
 * Example pipeline: php examples/pipeline.php HOST:PORT TOPIC GROUP < lines.txt
 *
 * Stage 1 sends every stdin line as a message (batches of 100, tagged "line"). Stage 2 consumes the topic in
 * at-least-once mode: it processes each message (here: counts bytes) and acks it with the next get, so a crash before
 * the ack means the message is delivered again after invisibleMs.
 */
require __DIR__ . '/../autoload.php';

use MqGateway\Api\GatewayError;
use MqGateway\Api\Message;
use MqGateway\Client;

$cut = strrpos($argv[1], ':');
$gw = Client::connect(substr($argv[1], 0, $cut), (int) substr($argv[1], $cut + 1));
[$topic, $group] = [$argv[2], $argv[3]];

$batch = [];
while (($line = fgets(STDIN)) !== false) {
    $batch[] = new Message(['topic' => $topic, 'body' => rtrim($line, "\n"), 'tags' => 'line']);
    if (count($batch) === 100) {
        $gw->send(...$batch);
        $batch = [];
    }
}
if ($batch) {
    $gw->send(...$batch);
}

$total = 0;
$receipts = [];
while (true) {
    try {
        $msgs = $gw->get($topic, $group, ['maxMessages' => 64, 'waitMs' => 3000, 'invisibleMs' => 30000, 'ack' => $receipts, 'tagExpression' => 'line']);
    } catch (GatewayError $e) {
        if ($e->retryable) {
            continue;
        }
        throw $e;
    }
    $receipts = array_map(fn ($m) => $m->receipt, $msgs);
    if (!$msgs) {
        break; // nothing new for 3 s: done
    }
    foreach ($msgs as $m) {
        $total += strlen($m->body); // the "processing" step
    }
}
$gw->ack($topic, $group, $receipts);
$gw->close();
echo "consumed $total bytes\n";
