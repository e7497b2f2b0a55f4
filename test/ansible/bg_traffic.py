"""Steady traffic through the gateways for test_blue_green.py, with the Python client of clients/python.

  bg_traffic.py GW_A,GW_B TOPIC GROUP TOKEN STOPFILE PROGRESSFILE SECONDS_MAX

Two producers (about 12 messages/s each; each message retried, on the other gateway after a failure, until it is
acknowledged, for up to 60 s) and two at-least-once consumers of GROUP (get with invisibleMs, ack with the next
get), one of each starting on each gateway and failing over to the other one, until STOPFILE exists; then the consumer drains for up to 90 s. PROGRESSFILE
gets {"acked": n, "received": n} about once a second. Prints one JSON object: acked, failed, lost (acked and never
received), received, duplicates (deliveries of a body already received), send errors retried, seconds.
Runs inside the test's client namespace.
"""
import json
import os
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))

from mqgateway import Message  # noqa: E402
from traffic import Failover  # noqa: E402  (the same directory: one connection at a time, the next gateway after an error)


def main(gws, topic, group, token, stopfile, progressfile, seconds_max):
    gws = gws.split(",")
    acked, failed, errors = set(), [], []
    received, dup = set(), [0]
    stop_producing, stop_consuming = threading.Event(), threading.Event()
    lock = threading.Lock()

    def producer(k):
        f = Failover(gws[k:] + gws[:k], token)
        n = 0
        while not stop_producing.is_set():
            body = "bg-%d-%06d-%s" % (k, n, uuid.uuid4().hex[:8])
            n += 1
            deadline = time.time() + 60
            while True:
                try:
                    f.client().send(Message(topic=topic, body=body.encode()))
                    with lock:
                        acked.add(body)
                    break
                except Exception as e:  # TransportError, GatewayError (BUSY, UNAVAILABLE, ...)
                    errors.append(type(e).__name__ + ":" + str(getattr(e, "code", "")))
                    f.fail()
                if time.time() > deadline:
                    failed.append(body)
                    break
                time.sleep(0.2)
            time.sleep(0.08)

    def consumer(k):
        f = Failover(gws[k:] + gws[:k], token)
        receipts = []
        while not stop_consuming.is_set():
            try:
                res = f.client().get(topic, group, max_messages=64, wait_ms=500, invisible_ms=15000, ack=receipts)
                receipts = [m.receipt for m in res.messages if m.receipt]
                with lock:
                    for m in res.messages:
                        b = m.body.decode()
                        if b in received:
                            dup[0] += 1
                        received.add(b)
            except Exception:
                # The receipts of the failed call are not acked: those messages come back after invisibleMs.
                receipts = []
                f.fail()
                time.sleep(0.2)
        try:
            if receipts:
                f.client().ack(topic, group, receipts)
        except Exception:
            pass

    def progress():
        with lock:
            state = {"acked": len(acked), "received": len(received), "errors": len(errors)}
        with open(progressfile + ".tmp", "w") as fh:
            json.dump(state, fh)
        os.replace(progressfile + ".tmp", progressfile)

    producers = [threading.Thread(target=producer, args=(k,), daemon=True) for k in range(len(gws))]
    consumers = [threading.Thread(target=consumer, args=(k,), daemon=True) for k in range(len(gws))]
    start = time.time()
    for t in producers + consumers:
        t.start()
    while not os.path.exists(stopfile) and time.time() - start < seconds_max:
        progress()
        time.sleep(1)
    stop_producing.set()
    for t in producers:
        t.join(90)
    drain_deadline = time.time() + 90
    while time.time() < drain_deadline:
        with lock:
            if acked <= received:
                break
        time.sleep(0.5)
    stop_consuming.set()
    for t in consumers:
        t.join(30)
    progress()
    with lock:
        lost = sorted(acked - received)
    return {
        "acked": len(acked), "failed": len(failed), "lost": len(lost), "lost_sample": lost[:10],
        "received": len(received), "duplicates": dup[0], "send_errors_retried": len(errors),
        "error_kinds": sorted(set(errors)), "seconds": round(time.time() - start, 1),
    }


if __name__ == "__main__":
    if len(sys.argv) != 8:
        raise SystemExit(__doc__)
    a = sys.argv[1:]
    print(json.dumps(main(a[0], a[1], a[2], a[3], a[4], a[5], float(a[6]))), flush=True)
