"""Errors of the mqgateway client.

Every error the library raises is an MqGatewayError:
- GatewayError: the gateway answered with a GatewayError (or one message of a batch failed, see Producer.send);
  `code` is an ErrorCode value, `code_name` its name ("BUSY"), plus `retryable`, `retry_after_ms` and `index`.
- TransportError: the connection failed (refused, reset, timed out). The client reconnects on its next call.
Bad input (a str body, a non-string key) raises TypeError or ValueError before anything is written.
"""
from typing import Optional

from mqgateway.api.ttypes import ErrorCode

# Codes worth retrying whatever the retryable flag says (DESIGN: BUSY, UNAVAILABLE, TIMEOUT).
RETRYABLE_CODES = frozenset([ErrorCode.BUSY, ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT])


def code_name(code: int) -> str:
    """The name of an ErrorCode value ("BUSY"), or "CODE_<n>" for a value this client does not know."""
    return ErrorCode._VALUES_TO_NAMES.get(code, "CODE_%d" % code)


class MqGatewayError(Exception):
    """Base class of every error this library raises."""


class GatewayError(MqGatewayError):
    """A call (or one message of a batch) failed at the gateway."""

    def __init__(self, code: int, message: str, retryable: Optional[bool] = None,
                 retry_after_ms: Optional[int] = None, index: Optional[int] = None) -> None:
        self.code = int(code)
        self.code_name = code_name(self.code)
        self.message = message
        self.retryable = bool(retryable) or self.code in RETRYABLE_CODES
        self.retry_after_ms = retry_after_ms
        self.index = index
        super().__init__(str(self))

    def __str__(self) -> str:
        extra = ""
        if self.retry_after_ms is not None:
            extra += " (retry after %d ms)" % self.retry_after_ms
        if self.index is not None:
            extra += " (message %d of the batch)" % self.index
        return "mqgateway: %s: %s%s" % (self.code_name, self.message, extra)

    @classmethod
    def from_thrift(cls, e: object) -> "GatewayError":
        """From the generated GatewayError or MessageError."""
        return cls(getattr(e, "code"), getattr(e, "message", "") or "", getattr(e, "retryable", None),
                   getattr(e, "retryAfterMs", None), getattr(e, "index", None))


class TransportError(MqGatewayError):
    """The connection to a gateway failed; the outcome of the call that saw it is unknown."""

    def __init__(self, address: str, cause: BaseException) -> None:
        self.address = address
        self.cause = cause
        super().__init__("mqgateway: connection to %s failed: %s" % (address, cause or type(cause).__name__))

    retryable = True
