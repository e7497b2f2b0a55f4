"""The consumer loop: long polls, a handler per message (or per batch), acks with the next get.

    def handle(m: mqgateway.ReceivedMessage) -> None: ...   # raise to leave the message for redelivery
    mqgateway.consume("orders", "billing", handle, addresses=["gw1:9090", "gw2:9090"], threads=4)

Delivery is at-least-once: a message is acked (with the next get, so acks cost no extra call) only after its handler
returned; a handler that raised leaves it unacked, and the gateway delivers it again after invisible_ms with
delivery_attempt + 1. BUSY waits retryAfterMs; UNAVAILABLE, TIMEOUT and broken connections back off with jitter and
move to the next gateway address. SIGINT/SIGTERM (when consume runs in the main thread) or stop.set() end the loop:
the handler that is running finishes, what was handled is acked, the rest of that batch is left for redelivery.
"""
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from mqgateway.api.ttypes import ErrorCode
from mqgateway.client import Address, Client, MAX_ACKS, MAX_BATCH
from mqgateway.errors import GatewayError, MqGatewayError, TransportError
from mqgateway.model import AckStatus, ReceivedMessage
from mqgateway.retry import Backoff, is_retryable, normalize_addresses

Handler = Callable[[Any], None]
_log = logging.getLogger("mqgateway.consumer")


@dataclass
class ConsumeStats:
    """Counters of one consume() run (all threads together)."""
    gets: int = 0
    received: int = 0
    handled: int = 0
    failed: int = 0
    acks: Dict[str, int] = field(default_factory=lambda: {"ACKED": 0, "ALREADY_ACKED": 0, "EXPIRED": 0,
                                                          "INVALID": 0, "UNKNOWN": 0})
    busy: int = 0
    errors: int = 0
    reconnects: int = 0
    dropped_acks: int = 0


class _Run(object):
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.stats = ConsumeStats()
        self.lock = threading.Lock()
        self.clients: List[Client] = []
        self.fatal: Optional[BaseException] = None

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            setattr(self.stats, name, getattr(self.stats, name) + n)

    def count_acks(self, results: List[Optional[AckStatus]]) -> None:
        with self.lock:
            for s in results:
                self.stats.acks["UNKNOWN" if s is None else s.name] += 1

    def interrupt(self) -> None:
        with self.lock:
            clients = list(self.clients)
        for c in clients:
            c.interrupt()


class Consumer(object):
    """Consumes from one or several gateways (failover in order). See consume() for the options."""

    def __init__(self, addresses: Union[Address, Sequence[Address]] = "127.0.0.1:9090", timeout: float = 30.0,
                 auth: Optional[str] = None) -> None:
        self.addresses = normalize_addresses(addresses)
        self.timeout = timeout
        self.auth = auth

    def consume(self, topic: str, group: str, handler: Handler, batch: bool = False, max_messages: int = 32,
                wait_ms: int = 10000, invisible_ms: int = 60000, tag_expression: str = "*", orderly: bool = False,
                threads: int = 1, stop: Optional[threading.Event] = None, handle_signals: bool = True,
                backoff_ms: int = 100, max_backoff_ms: int = 5000) -> ConsumeStats:
        """Runs until stop is set (or SIGINT/SIGTERM), then acks what was handled and returns the counters.

        handler: called with one ReceivedMessage (batch=False) or with the list of one get (batch=True); raising
        leaves the message (the whole batch) unacked for redelivery. max_messages, wait_ms, invisible_ms,
        tag_expression, orderly: as in Client.get (invisible_ms must be > 0: the loop is at-least-once). orderly:
        after a failure, the later messages of the same queue in that batch are not handled either. threads: that
        many pollers, each with its own connection. A non-retryable GatewayError (auth, unknown topic, bad
        argument) stops every thread and is raised."""
        if not callable(handler):
            raise TypeError("handler must be callable")
        for name, v, lo, hi in (("max_messages", max_messages, 1, MAX_BATCH), ("wait_ms", wait_ms, 0, 30000),
                                ("invisible_ms", invisible_ms, 1, 43200000), ("threads", threads, 1, 1024)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError("%s must be an int" % name)
            if not lo <= v <= hi:
                raise ValueError("%s must be within %d..%d, got %d" % (name, lo, hi, v))
        for name, s in (("topic", topic), ("group", group), ("tag_expression", tag_expression)):
            if not isinstance(s, str) or not s:
                raise TypeError("%s must be a non-empty str" % name)
        run = _Run(stop if stop is not None else threading.Event())
        opts = dict(topic=topic, group=group, handler=handler, batch=batch, max_messages=max_messages,
                    wait_ms=wait_ms, invisible_ms=invisible_ms, tag_expression=tag_expression, orderly=orderly,
                    backoff=(backoff_ms, max_backoff_ms))
        restore: List[Tuple[signal.Signals, Any]] = []
        if handle_signals and threading.current_thread() is threading.main_thread():
            def on_signal(signum: int, _frame: Any) -> None:
                _log.info("signal %d: stopping after the running handlers", signum)
                run.stop.set()
                run.interrupt()
            for sig in (signal.SIGINT, signal.SIGTERM):
                restore.append((sig, signal.signal(sig, on_signal)))
        workers = [threading.Thread(target=self._worker, args=(run, i, opts), name="mqgateway-consumer-%d" % i,
                                    daemon=True) for i in range(threads)]
        try:
            for w in workers:
                w.start()
            watcher_stopped = False
            while any(w.is_alive() for w in workers):
                for w in workers:
                    w.join(0.1)
                if run.stop.is_set() and not watcher_stopped:
                    watcher_stopped = True
                    run.interrupt()
        finally:
            run.stop.set()
            for w in workers:
                w.join()
            for sig, old in restore:
                signal.signal(sig, old)
        if run.fatal is not None:
            raise run.fatal
        return run.stats

    # -- one poller -------------------------------------------------------------------------------------------------

    def _worker(self, run: _Run, index: int, o: Dict[str, Any]) -> None:
        pending: List[Tuple[str, float]] = []  # (receipt, monotonic time it was received)
        backoff = Backoff(*o["backoff"])
        address = index  # threads start on different addresses
        client: Optional[Client] = None
        invisible_s = o["invisible_ms"] / 1000.0
        try:
            while not run.stop.is_set():
                now = time.monotonic()
                live = [p for p in pending if now - p[1] < invisible_s]
                if len(live) != len(pending):
                    run.count("dropped_acks", len(pending) - len(live))  # leases ended: they come back anyway
                pending = live
                acks = [r for r, _ in pending[:MAX_ACKS]]
                if client is None:
                    client = Client(self.addresses[address % len(self.addresses)], timeout=self.timeout,
                                    auth=self.auth)
                    with run.lock:
                        run.clients.append(client)
                try:
                    res = client.get(o["topic"], o["group"], max_messages=o["max_messages"], wait_ms=o["wait_ms"],
                                     invisible_ms=o["invisible_ms"], tag_expression=o["tag_expression"], ack=acks,
                                     orderly=o["orderly"])
                except MqGatewayError as e:
                    if run.stop.is_set():
                        break
                    if not is_retryable(e):
                        if acks and isinstance(e, GatewayError) and e.code not in (ErrorCode.UNAUTHENTICATED,
                                                                                ErrorCode.PERMISSION_DENIED):
                            # A gateway that refuses old receipts must not stop the loop: drop them (redelivery).
                            run.count("dropped_acks", len(acks))
                            pending = pending[len(acks):]
                            acks = []
                            continue
                        raise
                    run.count("errors")
                    if isinstance(e, GatewayError) and e.code_name == "BUSY":
                        run.count("busy")
                    if isinstance(e, TransportError):
                        client.close()
                        with run.lock:
                            run.clients.remove(client)
                        client = None
                        address += 1
                        run.count("reconnects")
                    delay = backoff.next_delay_s(e)
                    _log.warning("%s; retrying in %.0f ms", e, delay * 1000)
                    run.stop.wait(delay)
                    continue
                backoff.reset()
                run.count("gets")
                pending = pending[len(acks):]
                run.count_acks(res.ack_results)
                run.count("received", len(res.messages))
                pending.extend((r, time.monotonic()) for r in self._handle(run, o, res.messages))
        except BaseException as e:  # a fatal error ends every thread
            with run.lock:
                if run.fatal is None:
                    run.fatal = e
            run.stop.set()
        finally:
            self._final_ack(run, o, client, [r for r, t in pending if time.monotonic() - t < invisible_s])

    def _handle(self, run: _Run, o: Dict[str, Any], messages: List[ReceivedMessage]) -> List[str]:
        """Runs the handler; returns the receipts of what was handled."""
        if not messages:
            return []
        handler = o["handler"]
        if o["batch"]:
            try:
                handler(messages)
            except Exception as e:
                run.count("failed", len(messages))
                _log.warning("handler failed on a batch of %d: %r; left for redelivery", len(messages), e)
                return []
            run.count("handled", len(messages))
            return [m.receipt for m in messages if m.receipt]
        done: List[str] = []
        blocked = set()
        for m in messages:
            if run.stop.is_set():
                break  # the rest of the batch is delivered again after invisible_ms
            queue = (m.broker_name, m.queue_id)
            if queue in blocked:
                continue
            try:
                handler(m)
            except Exception as e:
                run.count("failed")
                _log.warning("handler failed on %s (attempt %d): %r; left for redelivery", m.msg_id,
                             m.delivery_attempt, e)
                if o["orderly"]:
                    blocked.add(queue)
                continue
            run.count("handled")
            if m.receipt:
                done.append(m.receipt)
        return done

    def _final_ack(self, run: _Run, o: Dict[str, Any], client: Optional[Client], receipts: List[str]) -> None:
        if client is not None:
            client.close()  # it may have been interrupted mid-call
            with run.lock:
                if client in run.clients:
                    run.clients.remove(client)
        if not receipts:
            return
        backoff = Backoff(*o["backoff"])
        for attempt in range(3 * len(self.addresses)):
            c = Client(self.addresses[attempt % len(self.addresses)], timeout=min(self.timeout, 10.0),
                       auth=self.auth)
            try:
                for i in range(0, len(receipts), MAX_ACKS):
                    chunk = receipts[i:i + MAX_ACKS]
                    run.count_acks(c.ack(o["topic"], o["group"], chunk))
                    receipts = receipts[len(chunk):]
                return
            except MqGatewayError as e:
                if not is_retryable(e):
                    break
                time.sleep(min(backoff.next_delay_s(e), 1.0))
            finally:
                c.close()
        run.count("dropped_acks", len(receipts))
        _log.warning("could not confirm the ack of %d handled messages at stop (the interrupted call may have applied it); "
                     "unacked ones are delivered again", len(receipts))


def consume(topic: str, group: str, handler: Handler, addresses: Union[Address, Sequence[Address]] = "127.0.0.1:9090",
            timeout: float = 30.0, auth: Optional[str] = None, **options: Any) -> ConsumeStats:
    """Consumer(addresses, timeout, auth).consume(topic, group, handler, **options); see Consumer.consume."""
    return Consumer(addresses, timeout, auth).consume(topic, group, handler, **options)
