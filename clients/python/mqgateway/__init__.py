"""Python client of the mqgateway Thrift API (framed transport, binary protocol).

    import mqgateway
    with mqgateway.Producer(["gw1:9090", "gw2:9090"]) as p:
        p.send(mqgateway.Message(topic="logs", body=b"hello", tags="A"))

    def handle(m: mqgateway.ReceivedMessage) -> None:
        print(m.body)                       # raise to have the message delivered again

    mqgateway.consume("logs", "my-group", handle, addresses=["gw1:9090", "gw2:9090"])

One connection: mqgateway.connect("host:port") -> Client (send, send_batch, get, ack).
The generated stubs live in mqgateway.api (do not edit; regenerate with `npm run gen`).
"""
from mqgateway.api.ttypes import ErrorCode, SendStatus
from mqgateway.client import Client, connect, parse_address
from mqgateway.consumer import ConsumeStats, Consumer, consume
from mqgateway.errors import GatewayError, MqGatewayError, TransportError
from mqgateway.model import AckStatus, GetResult, Message, ReceivedMessage, SendResult
from mqgateway.producer import Producer
from mqgateway.retry import Backoff

__version__ = "0.2.0"

__all__ = [
    "AckStatus",
    "Backoff",
    "Client",
    "ConsumeStats",
    "Consumer",
    "ErrorCode",
    "GatewayError",
    "GetResult",
    "Message",
    "MqGatewayError",
    "Producer",
    "ReceivedMessage",
    "SendResult",
    "SendStatus",
    "TransportError",
    "connect",
    "consume",
    "parse_address",
]
