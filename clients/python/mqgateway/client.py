"""A thin, idiomatic wrapper over the generated MessageGateway stub.

It owns one framed + binary connection. Calls on one Client are not thread-safe: use one Client per thread.
Errors of the gateway arrive as mqgateway.GatewayError (code, message, retryable, retryAfterMs, index); transport
errors as thrift.transport.TTransport.TTransportException.
"""
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport

from mqgateway.api import MessageGateway
from mqgateway.api.ttypes import GetRequest, Message, SendRequest

# Extra socket time granted on top of a long poll's waitMs, in seconds, so that the socket never times out first.
_POLL_SLACK_S = 5.0


class Client(object):
    """A connection to one gateway. Use connect() or Client(...).open(); close() when done (or use `with`)."""

    def __init__(self, host="127.0.0.1", port=9090, timeout=30.0, auth=None):
        """host/port: the gateway's Thrift endpoint. timeout: socket timeout in seconds for connect and for each
        call (raised automatically for long polls). auth: the token sent with every call (None when auth is off)."""
        self._timeout = float(timeout)
        self._auth = auth
        self._socket = TSocket.TSocket(host, int(port))
        self._socket.setTimeout(self._timeout * 1000.0)
        self._transport = TTransport.TFramedTransport(self._socket)
        self._client = MessageGateway.Client(TBinaryProtocol.TBinaryProtocol(self._transport))

    def open(self):
        self._transport.open()
        return self

    def close(self):
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, *messages):
        """Stores messages (Message objects, or dicts with the same field names) in one batch.
        Returns one SendResult per message, in order; a message that could not be stored has `.error` set."""
        batch = [m if isinstance(m, Message) else Message(**m) for m in messages]
        return self._client.send(SendRequest(messages=batch, auth=self._auth))

    def get(self, topic, group, max_messages=32, wait_ms=0, invisible_ms=0, tag_expression="*", ack=None):
        """Returns up to max_messages ReceivedMessage of `topic` for consumer `group`, waiting up to wait_ms for the
        first. invisible_ms > 0: at-least-once, each message has a .receipt to pass to ack(). `ack`: receipts to
        acknowledge in the same call."""
        req = GetRequest(
            topic=topic,
            consumerGroup=group,
            tagExpression=tag_expression,
            maxMessages=max_messages,
            waitMs=wait_ms,
            invisibleMs=invisible_ms,
            ack=list(ack or []),
            auth=self._auth,
        )
        self._socket.setTimeout(max(self._timeout, wait_ms / 1000.0 + _POLL_SLACK_S) * 1000.0)
        try:
            return self._client.get(req).messages
        finally:
            self._socket.setTimeout(self._timeout * 1000.0)

    def ack(self, topic, group, receipts):
        """Acknowledges receipts without fetching anything; returns how many were accepted."""
        if not receipts:
            return 0
        req = GetRequest(topic=topic, consumerGroup=group, maxMessages=0, ack=list(receipts), auth=self._auth)
        return self._client.get(req).acked


def connect(host="127.0.0.1", port=9090, timeout=30.0, auth=None):
    """Opens a Client; see Client.__init__ for the arguments."""
    return Client(host, port, timeout, auth).open()
