"""bench/clients driver for Python: python3 bench.py ADDR TOPIC SIZE BATCH SECONDS -> one JSON line.

Sends SIZE-byte bodies in batches of BATCH with mqgateway.Producer for SECONDS, then consumes all of them with the
consumer loop (mqgateway.consume, at-least-once, acks with the next get).
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import mqgateway  # noqa: E402


def main(addr: str, topic: str, size: int, batch: int, seconds: float) -> None:
    body = os.urandom(size)
    msgs = [mqgateway.Message(topic=topic, body=body) for _ in range(batch)]
    sent = 0
    with mqgateway.Producer(addr) as p:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            sent += sum(1 for r in p.send_batch(msgs) if r.ok)
        send_s = time.monotonic() - start
    got = [0]
    stop = threading.Event()

    def handle(ms):
        got[0] += len(ms)
        if got[0] >= sent:
            stop.set()
    start = time.monotonic()
    timer = threading.Timer(seconds * 10, stop.set)
    timer.start()
    mqgateway.consume(topic, "bench", handle, addresses=addr, batch=True, max_messages=min(1024, max(1, 16 * 1024 * 1024 // size // 2)),
                      wait_ms=1000, invisible_ms=60000, stop=stop, handle_signals=False)
    timer.cancel()
    print(json.dumps({"sent": sent, "sendSeconds": send_s, "consumed": got[0], "consumeSeconds": time.monotonic() - start}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
