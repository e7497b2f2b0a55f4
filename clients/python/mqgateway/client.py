"""One connection to one gateway: send, get, ack. Framed transport, binary protocol.

A Client is not thread-safe: use one per thread. Every argument is checked before anything is written, and a call
that fails half-way (transport error, timeout) drops the connection, so the next call starts on a fresh one instead
of reading the remains of the broken call.
"""
import socket
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from thrift.protocol import TBinaryProtocol
from thrift.Thrift import TException
from thrift.transport import TSocket, TTransport

from mqgateway.api import MessageGateway
from mqgateway.api import ttypes
from mqgateway.errors import GatewayError, TransportError
from mqgateway.model import AckStatus, GetResult, Message, ReceivedMessage, SendResult

try:  # the C codec when the thrift package has it (both PyPI's and Debian's build it)
    from thrift.protocol import fastbinary  # noqa: F401
    _PROTOCOL = TBinaryProtocol.TBinaryProtocolAccelerated
except ImportError:  # pragma: no cover
    _PROTOCOL = TBinaryProtocol.TBinaryProtocol

# Extra socket time granted on top of a long poll's wait_ms, in seconds, so that the socket never times out first.
_POLL_SLACK_S = 5.0
DEFAULT_PORT = 9090
MAX_BATCH = 1024
MAX_ACKS = 4096

Address = Union[str, Tuple[str, int]]


def parse_address(address: Address) -> Tuple[str, int]:
    """"host:port", "host" (port 9090), "[::1]:9090" or a (host, port) tuple."""
    if isinstance(address, tuple):
        host, port = address
        return str(host), int(port)
    if not isinstance(address, str) or not address:
        raise TypeError("address must be 'host:port', got %r" % (address,))
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else DEFAULT_PORT
    if address.count(":") == 1:
        host, port_text = address.split(":")
        return host, int(port_text)
    return address, DEFAULT_PORT


def _check_int(name: str, value: int, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, got %s" % (name, type(value).__name__))
    if not lo <= value <= hi:
        raise ValueError("%s must be within %d..%d, got %d" % (name, lo, hi, value))
    return value


def _check_receipts(ack: Optional[Iterable[str]]) -> List[str]:
    receipts = list(ack or [])
    if len(receipts) > MAX_ACKS:
        raise ValueError("at most %d receipts per call, got %d" % (MAX_ACKS, len(receipts)))
    for r in receipts:
        if not isinstance(r, str) or not r:
            raise TypeError("receipts must be non-empty str, got %r" % (r,))
    return receipts


def _check_messages(messages: Sequence[Message]) -> List[ttypes.Message]:
    if not 1 <= len(messages) <= MAX_BATCH:
        raise ValueError("a batch has 1..%d messages, got %d" % (MAX_BATCH, len(messages)))
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, Message):
            raise TypeError("message %d must be a mqgateway.Message, got %s" % (i, type(m).__name__))
        m.check(i)
        out.append(m.to_thrift())
    return out


def ack_statuses(result: ttypes.GetResult, count: int) -> List[Optional[AckStatus]]:
    """One AckStatus per receipt, or None each when the gateway did not report them."""
    got = result.ackResults
    if not got or len(got) != count:
        return [None] * count
    return [AckStatus(s) if s in AckStatus._value2member_map_ else None for s in got]


class Client(object):
    """A connection to one gateway. connect() opens one; Client(...) alone connects on the first call."""

    def __init__(self, host: Address = "127.0.0.1", port: Optional[int] = None, timeout: float = 30.0,
                 auth: Optional[str] = None) -> None:
        """host: "host:port" (or a host name with `port`). timeout: seconds for connecting and for each call (long
        polls get wait_ms more). auth: the token sent with every call (None when the gateway runs without auth)."""
        if port is not None:
            self.host, self.port = str(host), int(port)
        else:
            self.host, self.port = parse_address(host)
        self.address = "%s:%d" % (self.host, self.port)
        self.timeout = float(timeout)
        self.auth = auth
        self._socket: Optional[TSocket.TSocket] = None
        self._transport: Optional[TTransport.TFramedTransport] = None
        self._client: Optional[MessageGateway.Client] = None

    # -- connection -------------------------------------------------------------------------------------------------

    def open(self) -> "Client":
        """Connects now (the calls connect by themselves when needed)."""
        if self._client is not None:
            return self
        sock = TSocket.TSocket(self.host, self.port)
        sock.setTimeout(self.timeout * 1000.0)
        transport = TTransport.TFramedTransport(sock)
        try:
            transport.open()
        except TTransport.TTransportException as e:
            raise TransportError(self.address, e) from None
        self._socket, self._transport = sock, transport
        self._client = MessageGateway.Client(_PROTOCOL(transport))
        return self

    def close(self) -> None:
        transport, self._socket, self._transport, self._client = self._transport, None, None, None
        if transport is not None:
            try:
                transport.close()
            except Exception:  # closing a broken socket
                pass

    def interrupt(self) -> None:
        """Breaks a call that is blocked in another thread (e.g. a long poll); that call raises TransportError."""
        sock = self._socket
        handle = getattr(sock, "handle", None) if sock is not None else None
        if handle is not None:
            try:
                handle.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def connected(self) -> bool:
        return self._client is not None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, request: object, timeout_s: float) -> object:
        client = self.open()._client
        assert client is not None and self._socket is not None
        self._socket.setTimeout(timeout_s * 1000.0)
        try:
            return getattr(client, method)(request)
        except ttypes.GatewayError as e:
            # A complete answer: the connection is still in step.
            raise GatewayError.from_thrift(e) from None
        except (TException, OSError, EOFError, ValueError) as e:
            # Half a call may be on the wire: never reuse this connection.
            self.close()
            raise TransportError(self.address, e) from None
        except BaseException:
            self.close()
            raise

    # -- API --------------------------------------------------------------------------------------------------------

    def send_batch(self, messages: Sequence[Message]) -> List[SendResult]:
        """Stores messages (1..1024, any topics) in one call. Returns one SendResult per message, in order; a message
        that was not stored has .error (a GatewayError, possibly retryable). The whole call fails with GatewayError
        when the gateway refused the batch (invalid, auth, every broker set busy)."""
        batch = _check_messages(list(messages))
        req = ttypes.SendRequest(messages=batch, auth=self.auth)
        res = self._call("send", req, self.timeout)
        return [SendResult.from_thrift(r) for r in res]  # type: ignore[attr-defined]

    def send(self, message: Message) -> SendResult:
        """Stores one message; raises GatewayError when it was not stored."""
        r = self.send_batch([message])[0]
        if r.error is not None:
            raise r.error
        return r

    def get(self, topic: str, group: str, max_messages: int = 32, wait_ms: int = 0, invisible_ms: int = 0,
            tag_expression: str = "*", ack: Optional[Iterable[str]] = None, orderly: bool = False) -> GetResult:
        """Acks the receipts in `ack`, then returns up to max_messages messages of `topic` for consumer `group`,
        waiting up to wait_ms for the first. invisible_ms > 0: at-least-once, each message has a receipt to ack
        (with a later get or ack()); 0: the group's offset moves when the messages are returned."""
        for name, v in (("topic", topic), ("group", group), ("tag_expression", tag_expression)):
            if not isinstance(v, str) or not v:
                raise TypeError("%s must be a non-empty str, got %r" % (name, v))
        _check_int("max_messages", max_messages, 0, MAX_BATCH)
        _check_int("wait_ms", wait_ms, 0, 30000)
        _check_int("invisible_ms", invisible_ms, 0, 43200000)
        receipts = _check_receipts(ack)
        req = ttypes.GetRequest(topic=topic, consumerGroup=group, tagExpression=tag_expression,
                                maxMessages=max_messages, waitMs=wait_ms, invisibleMs=invisible_ms, ack=receipts,
                                auth=self.auth, orderly=bool(orderly))
        res = self._call("get", req, max(self.timeout, wait_ms / 1000.0 + _POLL_SLACK_S))
        assert isinstance(res, ttypes.GetResult)
        return GetResult(messages=[ReceivedMessage.from_thrift(m) for m in res.messages or []],
                         acked=res.acked or 0, ack_results=ack_statuses(res, len(receipts)))

    def ack(self, topic: str, group: str, receipts: Iterable[str]) -> List[Optional[AckStatus]]:
        """Acknowledges receipts without fetching anything. Returns one AckStatus per receipt (None: the gateway did
        not report it). Acks are idempotent: acking a receipt again answers ALREADY_ACKED."""
        receipts = _check_receipts(receipts)
        if not receipts:
            return []
        return self.get(topic, group, max_messages=0, ack=receipts).ack_results


def connect(address: Address = "127.0.0.1:9090", port: Optional[int] = None, timeout: float = 30.0,
            auth: Optional[str] = None) -> Client:
    """Opens a Client: connect("host:port") (or connect(host, port)); see Client for the arguments."""
    return Client(address, port, timeout, auth).open()
