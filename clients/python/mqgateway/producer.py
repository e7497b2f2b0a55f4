"""Producer: sends with retries, reconnects and failover across gateway addresses."""
import threading
from typing import List, Optional, Sequence, Union

from mqgateway.client import Address, Client, _check_messages
from mqgateway.errors import GatewayError, MqGatewayError, TransportError
from mqgateway.model import Message, SendResult
from mqgateway.retry import Backoff, is_retryable, normalize_addresses


class Producer(object):
    """Sends messages to the first gateway that answers; thread-safe (one connection, calls take turns).

    A retryable failure (BUSY: after retryAfterMs; UNAVAILABLE, TIMEOUT, a broken connection: after a jittered
    backoff, on the next address) is retried up to `retries` times. Only the messages that failed are sent again.
    A retried TIMEOUT or connection failure may store a message twice (at-least-once): deduplicate on a key of
    your own, or on ReceivedMessage.unique_id for copies the gateway itself retried.
    """

    def __init__(self, addresses: Union[Address, Sequence[Address]] = "127.0.0.1:9090", timeout: float = 30.0,
                 auth: Optional[str] = None, retries: int = 3, backoff_ms: int = 100,
                 max_backoff_ms: int = 5000) -> None:
        self.addresses = normalize_addresses(addresses)
        self.timeout = timeout
        self.auth = auth
        self.retries = retries
        self._backoff = (backoff_ms, max_backoff_ms)
        self._next = 0
        self._client: Optional[Client] = None
        self._lock = threading.Lock()

    def _connected(self) -> Client:
        if self._client is None:
            self._client = Client(self.addresses[self._next % len(self.addresses)], timeout=self.timeout,
                                  auth=self.auth)
        return self._client

    def _failover(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self._next += 1

    def send_batch(self, messages: Sequence[Message]) -> List[SendResult]:
        """One SendResult per message, in order; after the retries, a message that was still not stored has .error.
        Raises GatewayError for a non-retryable refusal of the whole batch (e.g. INVALID_ARGUMENT with .index), or
        the last error when every retry failed."""
        msgs = list(messages)
        _check_messages(msgs)  # before anything is written; raises TypeError/ValueError
        results: List[Optional[SendResult]] = [None] * len(msgs)
        todo = list(range(len(msgs)))
        backoff = Backoff(*self._backoff)
        with self._lock:
            while True:
                try:
                    got = self._connected().send_batch([msgs[i] for i in todo])
                except MqGatewayError as e:
                    if not is_retryable(e) or backoff.attempt >= self.retries:
                        if isinstance(e, GatewayError) and e.index is not None:
                            e.index = todo[e.index]
                        raise
                    if isinstance(e, TransportError):
                        self._failover()
                    threading.Event().wait(backoff.next_delay_s(e))
                    continue
                again = []
                for i, r in zip(todo, got):
                    results[i] = r
                    if r.error is not None and r.error.retryable:
                        again.append(i)
                if not again or backoff.attempt >= self.retries:
                    return [r for r in results if r is not None]
                first = results[again[0]]
                assert first is not None and first.error is not None
                threading.Event().wait(backoff.next_delay_s(first.error))
                todo = again

    def send(self, message: Message) -> SendResult:
        """Sends one message; raises GatewayError when it was not stored after the retries."""
        r = self.send_batch([message])[0]
        if r.error is not None:
            raise r.error
        return r

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
