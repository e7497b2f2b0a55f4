<?php
declare(strict_types=1);

// Stage 2: <prefix>Texts "text" -> a JSON article (<prefix>Articles "article") and an image (<prefix>Images "raw").
require __DIR__ . '/Stages.php';

use MqGateway\Consumer;
use MqGateway\Message;
use MqGateway\Producer;
use MqGateway\ReceivedMessage;

$o = Stages::options();
$consumer = new Consumer($o['gateways']);
$producer = null;
$done = 0;
$stats = $consumer->consume($o['prefix'] . 'Texts', $o['prefix'] . '_enrich', function (ReceivedMessage $m) use ($o, $consumer, &$producer, &$done): void {
    $producer ??= new Producer($o['gateways']); // per process: created after the fork
    foreach ($producer->sendBatch([
        new Message(topic: $o['prefix'] . 'Articles', body: Stages::article($m->body), tags: 'article', keys: [$m->msgId]),
        new Message(topic: $o['prefix'] . 'Images', body: Stages::image($m->body), tags: 'raw', keys: [$m->msgId]),
    ]) as $r) {
        if ($r->error !== null) {
            throw $r->error; // not acked: the text comes back, and both are sent again
        }
    }
    if ($o['count'] > 0 && ++$done >= $o['count']) {
        $consumer->stop();
    }
}, tagExpression: 'text', maxMessages: 8, processes: $o['processes']);
echo "enrich: handled {$stats->handled} texts (failed {$stats->failed})\n";
