"""The consumer loop against real gateways: fail-once redelivery, stop (event and SIGTERM), BUSY, restart, failover."""
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import mqgateway
from mqgateway import Message, Producer, consume
from mqproc import free_port, unique


def run_in_thread(fn):
    out = {}

    def target():
        try:
            out["stats"] = fn()
        except BaseException as e:  # surfaced by the test
            out["error"] = e
    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, out


def wait_for(cond, timeout_s, what):
    until = time.time() + timeout_s
    while time.time() < until:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def test_handler_failing_once_is_redelivered_then_acked(dev_gateway):
    topic, group = unique("PyFailOnce"), "fail_once"
    with Producer(dev_gateway) as p:
        p.send_batch([Message(topic=topic, body=b"m%d" % i) for i in range(5)])
    seen, lock, stop = [], threading.Lock(), threading.Event()

    def handler(m):
        with lock:
            seen.append((m.body, m.delivery_attempt))
            if m.body == b"m2" and m.delivery_attempt == 1:
                raise RuntimeError("transient failure")
            if len({b for b, _ in seen}) == 5 and (b"m2", 2) in seen:
                stop.set()
    t, out = run_in_thread(lambda: consume(topic, group, handler, addresses=dev_gateway, wait_ms=1000,
                                           invisible_ms=1500, stop=stop, handle_signals=False))
    t.join(60)
    assert "error" not in out, out
    stats = out["stats"]
    assert sorted(b for b, a in seen if a == 1) == [b"m%d" % i for i in range(5)]
    assert (b"m2", 2) in seen
    assert stats.failed == 1 and stats.handled >= 5
    assert stats.acks["ACKED"] + stats.acks["UNKNOWN"] >= 5
    # Everything was acked: nothing comes back after the visibility timeout.
    time.sleep(2.0)
    with mqgateway.connect(dev_gateway) as c:
        assert c.get(topic, group, wait_ms=500, invisible_ms=1000).messages == []


def test_stop_event_finishes_the_handler_and_acks(dev_gateway):
    topic, group = unique("PyStop"), "stopper"
    with Producer(dev_gateway) as p:
        p.send_batch([Message(topic=topic, body=b"s%d" % i) for i in range(20)])
    handled, stop = [], threading.Event()

    def handler(m):
        time.sleep(0.05)
        handled.append(m.body)
        if len(handled) == 5:
            stop.set()  # the loop stops after this handler, with 15 left in the batch
    started = time.time()
    stats = consume(topic, group, handler, addresses=dev_gateway, max_messages=20, wait_ms=5000,
                    invisible_ms=3000, stop=stop, handle_signals=False)
    assert time.time() - started < 10
    assert handled == [b"s%d" % i for i in range(5)] or len(handled) == 5
    assert stats.handled == 5
    assert stats.acks["ACKED"] + stats.acks["UNKNOWN"] == 5
    # The 5 handled ones were acked at stop; the other 15 come back after invisible_ms.
    left = []
    with mqgateway.connect(dev_gateway) as c:
        until = time.time() + 20
        while len(left) < 15 and time.time() < until:
            res = c.get(topic, group, wait_ms=1000, invisible_ms=60000, ack=[m.receipt for m in left[-32:]])
            left += res.messages
    assert sorted(m.body for m in left) == sorted(b"s%d" % i for i in range(5, 20))


def test_sigterm_stops_a_consumer_process_gracefully(dev_gateway, tmp_path):
    topic, group = unique("PySig"), "sig"
    with Producer(dev_gateway) as p:
        p.send_batch([Message(topic=topic, body=b"x%d" % i) for i in range(3)])
    script = tmp_path / "consumer.py"
    script.write_text(
        "import sys, mqgateway\n"
        "def h(m):\n"
        "    print('handled', m.body.decode(), flush=True)\n"
        "s = mqgateway.consume(sys.argv[1], sys.argv[2], h, addresses=sys.argv[3], wait_ms=20000, invisible_ms=2500)\n"
        "print('stopped handled=%d' % s.handled, flush=True)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, str(script), topic, group, dev_gateway], stdout=subprocess.PIPE,
                            env=env, text=True)
    lines = []
    assert proc.stdout is not None
    while len(lines) < 3:
        lines.append(proc.stdout.readline().strip())
    time.sleep(0.5)  # it is now blocked in a 20 s long poll
    t0 = time.time()
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert time.time() - t0 < 5  # the long poll was interrupted, not waited out
    assert "stopped handled=3" in rest
    time.sleep(3.0)  # past the visibility timeout: whatever was not acked would be delivered again now
    with mqgateway.connect(dev_gateway) as c:
        assert c.get(topic, group, wait_ms=500, invisible_ms=1000).messages == []


def hog(port, size):
    """Holds `size` - 1 bytes of the gateway's in-flight budget: a frame announcing `size` bytes, all sent but the
    last one (the gateway counts bytes as they arrive, and waits frameReadTimeoutMs for the rest)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(struct.pack(">i", size) + b"\x80\x01" + b"\0" * (size - 3))
    time.sleep(0.5)  # until the gateway has read them
    return s


def test_busy_waits_retry_after_ms(cluster):
    # In-flight cap of one frame: while a stalled 128 KiB frame holds it, every call gets BUSY, retryAfterMs 700.
    cap = 128 * 1024
    gw = cluster.gateway(extra=["--maxMessageSize=65536", "--frameHeadroomBytes=65536",
                                "--maxInflightBytes=%d" % cap, "--maxInflightBytesPerConnection=%d" % cap,
                                "--busyRetryAfterMs=700"])
    addr = "127.0.0.1:%s" % gw.fields["listenPort"]
    topic, group = unique("PyBusy"), "busy"
    with Producer(addr) as p:
        p.send_batch([Message(topic=topic, body=b"b%d" % i) for i in range(3)])
    h = hog(int(gw.fields["listenPort"]), cap)
    handled, stop = [], threading.Event()

    def handler(m):
        handled.append(m.body)
        if len(handled) == 3:
            stop.set()
    t, out = run_in_thread(lambda: consume(topic, group, handler, addresses=addr, wait_ms=1000,
                                           invisible_ms=10000, stop=stop, handle_signals=False))
    time.sleep(3.5)
    h.close()
    t.join(30)
    assert "error" not in out, out
    stats = out["stats"]
    assert sorted(handled) == [b"b0", b"b1", b"b2"]
    # 3.5 s of BUSY at 700 ms (+ up to 20 % jitter) each: about 4-5 calls, never a tight loop.
    assert 3 <= stats.busy <= 6, stats
    # The Producer waits retryAfterMs too: BUSY for 1 s, then the retry goes through (no retries in a tight loop
    # would have used up its 3 retries in milliseconds and raised BUSY).
    h = hog(int(gw.fields["listenPort"]), cap)
    threading.Timer(1.0, h.close).start()
    start = time.time()
    with Producer(addr, retries=3) as p:
        assert p.send(Message(topic=topic, body=b"after busy")).ok
    assert time.time() - start >= 0.7
    gw.stop()


def test_gateway_restart_and_failover_lose_nothing(cluster):
    port = free_port()
    gw = cluster.gateway(port=port)
    dead = "127.0.0.1:%d" % free_port()  # nothing listens there: the consumer fails over to the live one
    live = "127.0.0.1:%d" % port
    topic, group, n = unique("PyRestart"), "restart", 300
    with Producer([dead, live]) as p:
        for i in range(0, n, 50):
            p.send_batch([Message(topic=topic, body=b"r%d" % j) for j in range(i, i + 50)])
    seen, stop = set(), threading.Event()
    restarted = threading.Event()

    def handler(m):
        time.sleep(0.005)
        seen.add(m.body)
        if len(seen) == n:
            stop.set()
    t, out = run_in_thread(lambda: consume(topic, group, handler, addresses=[dead, live], max_messages=16,
                                           wait_ms=1000, invisible_ms=4000, stop=stop, handle_signals=False,
                                           max_backoff_ms=500))
    wait_for(lambda: len(seen) >= 60, 30, "60 messages before the restart")
    gw.stop(signal.SIGKILL)
    time.sleep(1.0)
    gw2 = cluster.gateway(port=port)
    restarted.set()
    t.join(90)
    assert "error" not in out, out
    assert len(seen) == n, "lost %d messages" % (n - len(seen))
    assert out["stats"].reconnects >= 2  # the dead address, and the restart
    gw2.stop()


def test_orderly_keeps_key_order_across_a_failure(dev_gateway):
    topic, group = unique("PyOrderly"), "orderly"
    with Producer(dev_gateway) as p:
        p.send_batch([Message(topic=topic, body=b"o%02d" % i, sharding_key="order-42") for i in range(20)])
    handled, failed, stop = [], [], threading.Event()

    def handler(m):
        if m.body == b"o05" and not failed:
            failed.append(m)
            raise RuntimeError("transient failure")
        handled.append(m.body)
        if len(handled) == 20:
            stop.set()
    t, out = run_in_thread(lambda: consume(topic, group, handler, addresses=dev_gateway, orderly=True, max_messages=8,
                                           wait_ms=1000, invisible_ms=1500, stop=stop, handle_signals=False))
    t.join(60)
    assert "error" not in out, out
    assert failed and handled == [b"o%02d" % i for i in range(20)]
