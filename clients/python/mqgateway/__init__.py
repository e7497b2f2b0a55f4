"""Python client of the mqgateway Thrift API (framed transport, binary protocol).

    from mqgateway import connect, Message
    with connect("127.0.0.1", 9090) as gw:
        gw.send(Message(topic="logs", body=b"hello", tags="A"))
        for m in gw.get("logs", "my-group", wait_ms=1000):
            print(m.body)

The generated stubs live in mqgateway.api (do not edit; regenerate with `npm run gen`).
"""
from mqgateway.api.ttypes import (
    ErrorCode,
    GatewayError,
    GetRequest,
    GetResult,
    Message,
    MessageError,
    ReceivedMessage,
    SendRequest,
    SendResult,
    SendStatus,
)
from mqgateway.client import Client, connect

__all__ = [
    "Client",
    "connect",
    "ErrorCode",
    "GatewayError",
    "GetRequest",
    "GetResult",
    "Message",
    "MessageError",
    "ReceivedMessage",
    "SendRequest",
    "SendResult",
    "SendStatus",
]
