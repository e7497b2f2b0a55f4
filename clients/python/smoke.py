#!/usr/bin/python3
"""Cross-language smoke test: python3 smoke.py HOST:PORT TOPIC GROUP

Sends a batch with tags, keys and properties (one body of 5 MiB), gets it back with long polls in at-least-once mode,
acks it, and checks that every message came back byte-identical. Prints "SMOKE OK <n>" and exits 0, or prints what
differed and exits 1. Runs with Debian's /usr/bin/python3 (python3-thrift) or in a virtualenv where mqgateway is installed.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mqgateway import Message, connect  # noqa: E402

DEADLINE_S = 60


def build(topic, run):
    big = bytes((i * 131 + 7) % 256 for i in range(256)) * (5 * 1024 * 1024 // 256)
    bodies = [b"hello from python", bytes(range(256)), "unicode \u00fc\u2713".encode("utf-8"), big]
    out = []
    for i, body in enumerate(bodies):
        out.append(Message(
            topic=topic,
            body=body,
            tags="A" if i % 2 == 0 else "B",
            keys=["%s-%d" % (run, i), "order-%d" % i],
            properties={"run": run, "idx": str(i), "lang": "python", "text": "caf\u00e9 \u2603"},
        ))
    return out


def main(argv):
    if len(argv) != 4:
        print("usage: smoke.py HOST:PORT TOPIC GROUP")
        return 2
    topic, group = argv[2], argv[3]
    run = "py%d" % os.getpid()
    sent = build(topic, run)
    with connect(argv[1], timeout=30.0) as gw:
        results = gw.send_batch(sent)
        if len(results) != len(sent) or any(r.error is not None for r in results):
            print("send failed: %r" % (results,))
            return 1
        got = {}
        # Receipts of one get are acked with the next one (and the last ones with ack()).
        receipts = []
        until = time.time() + DEADLINE_S
        while len(got) < len(sent) and time.time() < until:
            batch = gw.get(topic, group, max_messages=32, wait_ms=2000, invisible_ms=60000, ack=receipts).messages
            receipts = [m.receipt for m in batch if m.receipt]
            for m in batch:
                if (m.properties or {}).get("run") == run:
                    got[int(m.properties["idx"])] = m
        gw.ack(topic, group, receipts)
    problems = []
    for i, want in enumerate(sent):
        m = got.get(i)
        if m is None:
            problems.append("message %d never arrived" % i)
            continue
        if m.body != want.body:
            problems.append("message %d: body differs (%d bytes sent, %d received)" % (i, len(want.body), len(m.body)))
        if m.tags != want.tags:
            problems.append("message %d: tags %r != %r" % (i, m.tags, want.tags))
        if list(m.keys or []) != want.keys:
            problems.append("message %d: keys %r != %r" % (i, m.keys, want.keys))
        if dict(m.properties or {}) != want.properties:
            problems.append("message %d: properties %r != %r" % (i, m.properties, want.properties))
    if problems:
        print("SMOKE FAILED")
        for p in problems:
            print("  " + p)
        return 1
    print("SMOKE OK %d" % len(sent))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # a transport or gateway error is a failed smoke test too
        print("SMOKE FAILED: %s: %s" % (type(e).__name__, e))
        sys.exit(1)
