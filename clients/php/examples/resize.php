<?php
declare(strict_types=1);

// Stage 3: <prefix>Images "raw" -> the image halved, to <prefix>Images "thumb".
require __DIR__ . '/Stages.php';

use MqGateway\Consumer;
use MqGateway\Message;
use MqGateway\Producer;
use MqGateway\ReceivedMessage;

$o = Stages::options();
$consumer = new Consumer($o['gateways']);
$producer = null;
$done = 0;
$bytes = [0, 0];
$stats = $consumer->consume($o['prefix'] . 'Images', $o['prefix'] . '_resize', function (ReceivedMessage $m) use ($o, $consumer, &$producer, &$done, &$bytes): void {
    $producer ??= new Producer($o['gateways']);
    $thumb = Stages::resize($m->body);
    $producer->send(new Message(topic: $o['prefix'] . 'Images', body: $thumb, tags: 'thumb', keys: $m->keys));
    $bytes[0] += strlen($m->body);
    $bytes[1] += strlen($thumb);
    if ($o['count'] > 0 && ++$done >= $o['count']) {
        $consumer->stop();
    }
}, tagExpression: 'raw', maxMessages: 4, processes: $o['processes']);
echo "resize: {$stats->handled} images, {$bytes[0]} bytes in, {$bytes[1]} bytes out\n";
