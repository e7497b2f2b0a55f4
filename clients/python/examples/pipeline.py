#!/usr/bin/python3
"""Example pipeline: python3 examples/pipeline.py HOST:PORT TOPIC GROUP < lines.txt

Stage 1 sends every stdin line as a message (batches of 100, tagged "line"). Stage 2 consumes the topic in
at-least-once mode: it processes each message (here: counts bytes) and acks it with the next get, so a crash before
the ack means the message is delivered again after invisible_ms.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mqgateway import GatewayError, Message, connect  # noqa: E402


def produce(gw, topic, lines):
    batch = []
    for line in lines:
        batch.append(Message(topic=topic, body=line.encode("utf-8"), tags="line"))
        if len(batch) == 100:
            gw.send(*batch)
            batch = []
    if batch:
        gw.send(*batch)


def consume(gw, topic, group):
    total, receipts = 0, []
    while True:
        try:
            batch = gw.get(topic, group, max_messages=64, wait_ms=3000, invisible_ms=30000, ack=receipts,
                           tag_expression="line")
        except GatewayError as e:
            if e.retryable:
                continue
            raise
        receipts = [m.receipt for m in batch]
        if not batch:
            break  # nothing new for 3 s: done
        for m in batch:
            total += len(m.body)  # the "processing" step
    gw.ack(topic, group, receipts)
    return total


if __name__ == "__main__":
    host, port = sys.argv[1].rsplit(":", 1)
    with connect(host, int(port)) as gw:
        produce(gw, sys.argv[2], sys.stdin.read().splitlines())
        print("consumed %d bytes" % consume(gw, sys.argv[2], sys.argv[3]))
