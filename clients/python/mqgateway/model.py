"""The messages and results of the client API (plain dataclasses; the generated Thrift structs stay internal)."""
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Dict, List, Optional

from mqgateway.api import ttypes
from mqgateway.errors import GatewayError


class AckStatus(IntEnum):
    """The outcome of one acked receipt (GetResult.ackResults). None in a result list means: the gateway did not say."""
    ACKED = ttypes.AckStatus.ACKED
    ALREADY_ACKED = ttypes.AckStatus.ALREADY_ACKED
    EXPIRED = ttypes.AckStatus.EXPIRED
    INVALID = ttypes.AckStatus.INVALID


@dataclass
class Message:
    """One message to send. body must be bytes (encode text yourself); keys and properties are strings."""
    topic: str
    body: bytes
    tags: Optional[str] = None
    keys: List[str] = field(default_factory=list)
    properties: Dict[str, str] = field(default_factory=dict)
    sharding_key: Optional[str] = None

    def check(self, index: int = 0) -> None:
        """Raises TypeError/ValueError when a field has the wrong type, before anything is written."""
        where = "message %d" % index
        if not isinstance(self.topic, str) or not self.topic:
            raise TypeError("%s: topic must be a non-empty str, got %r" % (where, self.topic))
        if not isinstance(self.body, (bytes, bytearray, memoryview)):
            raise TypeError("%s: body must be bytes, got %s (encode text, e.g. s.encode('utf-8'))"
                            % (where, type(self.body).__name__))
        if len(self.body) == 0:
            raise ValueError("%s: body must not be empty" % where)
        if self.tags is not None and not isinstance(self.tags, str):
            raise TypeError("%s: tags must be a str or None, got %s" % (where, type(self.tags).__name__))
        if self.sharding_key is not None and not isinstance(self.sharding_key, str):
            raise TypeError("%s: sharding_key must be a str or None, got %s" % (where, type(self.sharding_key).__name__))
        if isinstance(self.keys, (str, bytes)) or not all(isinstance(k, str) for k in self.keys):
            raise TypeError("%s: keys must be a list of str, got %r" % (where, self.keys))
        if not isinstance(self.properties, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.properties.items()):
            raise TypeError("%s: properties must be a dict of str to str, got %r" % (where, self.properties))

    def to_thrift(self) -> ttypes.Message:
        return ttypes.Message(topic=self.topic, body=bytes(self.body), tags=self.tags, keys=list(self.keys),
                              properties=dict(self.properties), shardingKey=self.sharding_key)


@dataclass
class SendResult:
    """The outcome of one message of a send, in request order. error is set when that message was not stored."""
    msg_id: str = ""
    unique_id: str = ""
    broker_name: str = ""
    queue_id: int = -1
    queue_offset: int = -1
    status: int = ttypes.SendStatus.OK
    error: Optional[GatewayError] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def from_thrift(cls, r: ttypes.SendResult) -> "SendResult":
        return cls(msg_id=r.msgId or "", unique_id=r.uniqueId or "", broker_name=r.brokerName or "",
                   queue_id=-1 if r.queueId is None else r.queueId,
                   queue_offset=-1 if r.queueOffset is None else r.queueOffset,
                   status=ttypes.SendStatus.OK if r.status is None else r.status,
                   error=None if r.error is None else GatewayError.from_thrift(r.error))


@dataclass
class ReceivedMessage:
    """One delivered message. receipt is set in at-least-once mode (invisible_ms > 0)."""
    msg_id: str
    topic: str
    body: bytes
    tags: Optional[str] = None
    keys: List[str] = field(default_factory=list)
    properties: Dict[str, str] = field(default_factory=dict)
    born_timestamp: int = 0
    store_timestamp: int = 0
    broker_name: str = ""
    queue_id: int = -1
    queue_offset: int = -1
    delivery_attempt: int = 1
    receipt: Optional[str] = None
    unique_id: str = ""

    @classmethod
    def from_thrift(cls, m: ttypes.ReceivedMessage) -> "ReceivedMessage":
        return cls(msg_id=m.msgId or "", topic=m.topic or "", body=m.body if m.body is not None else b"",
                   tags=m.tags, keys=list(m.keys or []), properties=dict(m.properties or {}),
                   born_timestamp=m.bornTimestamp or 0, store_timestamp=m.storeTimestamp or 0,
                   broker_name=m.brokerName or "", queue_id=-1 if m.queueId is None else m.queueId,
                   queue_offset=-1 if m.queueOffset is None else m.queueOffset,
                   delivery_attempt=m.deliveryAttempt or 1, receipt=m.receipt or None, unique_id=m.uniqueId or "")


@dataclass
class GetResult:
    """messages: what was fetched. acked: receipts ACKED by this call. ack_results: one AckStatus per receipt of
    the request, or None for each when the gateway does not report them (older gateways)."""
    messages: List[ReceivedMessage]
    acked: int = 0
    ack_results: List[Optional[AckStatus]] = field(default_factory=list)
