<?php
declare(strict_types=1);

// Stage 1: every stdin line becomes a message of <prefix>Texts, tag "text" (batches of 100, with retries).
require __DIR__ . '/Stages.php';

use MqGateway\Message;
use MqGateway\Producer;

$o = Stages::options();
$p = new Producer($o['gateways']);
$sent = 0;
$batch = [];
$flush = function () use (&$batch, &$sent, $p): void {
    if ($batch !== []) {
        foreach ($p->sendBatch($batch) as $r) {
            $sent += $r->ok() ? 1 : 0;
        }
        $batch = [];
    }
};
while (($line = fgets(STDIN)) !== false) {
    $line = rtrim($line, "\n");
    if ($line !== '') {
        $batch[] = new Message(topic: $o['prefix'] . 'Texts', body: $line, tags: 'text');
    }
    if (count($batch) === 100) {
        $flush();
    }
}
$flush();
echo "ingest: sent {$sent} texts to {$o['prefix']}Texts\n";
