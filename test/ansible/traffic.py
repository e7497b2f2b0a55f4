"""Traffic through the gateways, with the Python client of clients/python (Debian's python3-thrift).

Runs inside the test's client namespace (see test_ansible.py). Every command prints one JSON object.

  traffic.py roundtrip GW_A GW_B TOPIC TOKEN
      sends a message through each gateway and receives it through the other one
  traffic.py spread GW TOPIC TOKEN COUNT
      sends COUNT messages through GW, prints how many each broker set stored
  traffic.py steady GW_A,GW_B TOPIC GROUP TOKEN STOPFILE SECONDS_MAX
      a steady producer (about 25 messages/s, each retried on the other gateway until it is acknowledged, for up
      to 60 s) and an at-least-once consumer (get with invisibleMs, ack next call), both failing over between the
      gateways, until STOPFILE exists; then the consumer drains; prints acked, failed, lost and duplicate counts.
GW is host:port.
"""
import json
import os
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))

from mqgateway.client import connect  # noqa: E402
from mqgateway.model import Message  # noqa: E402


def send_msg(c, topic, body):
    """Sends one message on client c; returns its SendResult (.error set when it was not stored)."""
    return c.send_batch([Message(topic=topic, body=body.encode())])[0]


def get_msgs(c, topic, group, **kw):
    """One get call on client c; returns the list of received messages."""
    return c.get(topic, group, **kw).messages


def hp(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def receive(gw, token, topic, group, want, timeout=60.0):
    """Gets (at-least-once, acking) until every body in `want` was seen; returns the set seen."""
    seen = set()
    deadline = time.time() + timeout
    receipts = []
    c = connect(*hp(gw), timeout=10, auth=token)
    try:
        while not want <= seen and time.time() < deadline:
            msgs = get_msgs(c, topic, group, max_messages=64, wait_ms=1000, invisible_ms=30000, ack=receipts)
            receipts = [m.receipt for m in msgs if m.receipt]
            for m in msgs:
                seen.add(m.body.decode())
        if receipts:
            c.ack(topic, group, receipts)
    finally:
        c.close()
    return seen


def send_one(gw, token, topic, body):
    c = connect(*hp(gw), timeout=10, auth=token)
    try:
        r = send_msg(c, topic, body)
        if r.error is not None:
            raise RuntimeError("send failed: %s" % r.error)
        return r
    finally:
        c.close()


def roundtrip(gw_a, gw_b, topic, token):
    out = {}
    for src, dst in ((gw_a, gw_b), (gw_b, gw_a)):
        body = "roundtrip-%s" % uuid.uuid4().hex
        r = send_one(src, token, topic, body)
        group = "rt_%s" % uuid.uuid4().hex[:12]
        seen = receive(dst, token, topic, group, {body})
        out["%s->%s" % (src, dst)] = {"sent_to": r.broker_name, "received": body in seen}
    return out


def spread(gw, topic, token, count):
    counts = {}
    c = connect(*hp(gw), timeout=10, auth=token)
    try:
        for i in range(count):
            r = send_msg(c, topic, "spread-%d" % i)
            key = r.broker_name if r.error is None else "error:%s" % r.error.code_name
            counts[key] = counts.get(key, 0) + 1
    finally:
        c.close()
    return {"counts": counts}


class Failover(object):
    """One connection at a time to one of the gateways; switches to the next one on any transport error."""

    def __init__(self, gws, token):
        self.gws = gws
        self.token = token
        self.i = 0
        self.c = None
        self.switches = 0

    def client(self):
        if self.c is None:
            self.c = connect(*hp(self.gws[self.i]), timeout=10, auth=self.token)
        return self.c

    def fail(self):
        try:
            if self.c is not None:
                self.c.close()
        except Exception:
            pass
        self.c = None
        self.i = (self.i + 1) % len(self.gws)
        self.switches += 1


def steady(gws, topic, group, token, stopfile, seconds_max):
    gws = gws.split(",")
    acked, failed, errors = set(), [], []
    received, dup = set(), [0]
    stop_producing = threading.Event()
    stop_consuming = threading.Event()

    def producer():
        f = Failover(gws, token)
        n = 0
        while not stop_producing.is_set():
            body = "steady-%06d-%s" % (n, uuid.uuid4().hex[:8])
            n += 1
            deadline = time.time() + 60
            while True:
                try:
                    r = send_msg(f.client(), topic, body)
                    if r.error is None:
                        acked.add(body)
                        break
                    errors.append(r.error.code_name)
                    f.fail()
                except Exception as e:  # transport errors and GatewayError (BUSY, UNAVAILABLE, ...)
                    errors.append(type(e).__name__)
                    f.fail()
                if time.time() > deadline:
                    failed.append(body)
                    break
                time.sleep(0.2)
            time.sleep(0.04)

    def consumer():
        f = Failover(gws[::-1], token)
        receipts = []
        while not stop_consuming.is_set():
            try:
                msgs = get_msgs(f.client(), topic, group, max_messages=64, wait_ms=500, invisible_ms=15000,
                                ack=receipts)
                receipts = [m.receipt for m in msgs if m.receipt]
                for m in msgs:
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

    tp = threading.Thread(target=producer, daemon=True)
    tc = threading.Thread(target=consumer, daemon=True)
    start = time.time()
    tp.start()
    tc.start()
    while not os.path.exists(stopfile) and time.time() - start < seconds_max:
        time.sleep(0.2)
    stop_producing.set()
    tp.join(90)
    drain_deadline = time.time() + 90
    while not acked <= received and time.time() < drain_deadline:
        time.sleep(0.5)
    stop_consuming.set()
    tc.join(30)
    lost = sorted(acked - received)
    return {
        "acked": len(acked), "failed": len(failed), "lost": len(lost), "lost_sample": lost[:10],
        "received": len(received), "duplicates": dup[0], "send_errors_retried": len(errors),
        "error_kinds": sorted(set(errors)), "seconds": round(time.time() - start, 1),
    }


def main(argv):
    cmd = argv[0]
    if cmd == "roundtrip":
        res = roundtrip(argv[1], argv[2], argv[3], argv[4])
    elif cmd == "spread":
        res = spread(argv[1], argv[2], argv[3], int(argv[4]))
    elif cmd == "steady":
        res = steady(argv[1], argv[2], argv[3], argv[4], argv[5], float(argv[6]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
