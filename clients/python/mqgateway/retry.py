"""Retry policy shared by Producer and Consumer: which errors to retry, how long to wait, which gateway next."""
import random
from typing import List, Optional, Sequence, Union

from mqgateway.api.ttypes import ErrorCode
from mqgateway.client import Address, parse_address
from mqgateway.errors import GatewayError, MqGatewayError, TransportError

DEFAULT_BUSY_WAIT_MS = 1000


def normalize_addresses(addresses: Union[Address, Sequence[Address]]) -> List[str]:
    """One address or several ("host:port" strings or (host, port) tuples) as a non-empty list of "host:port"."""
    if isinstance(addresses, (str, tuple)):
        items: Sequence[Address] = [addresses]
    else:
        items = list(addresses)
    out = ["%s:%d" % parse_address(a) for a in items]
    if not out:
        raise ValueError("at least one gateway address is needed")
    return out


class Backoff(object):
    """BUSY: wait retryAfterMs (plus up to 20 % jitter, so that consumers do not come back in step).
    UNAVAILABLE, TIMEOUT and connection failures: exponential backoff with full jitter, from base_ms up to max_ms."""

    def __init__(self, base_ms: int = 100, max_ms: int = 5000, rng: Optional[random.Random] = None) -> None:
        self.base_ms = base_ms
        self.max_ms = max_ms
        self.attempt = 0
        self._rng = rng or random.Random()

    def reset(self) -> None:
        self.attempt = 0

    def next_delay_s(self, err: MqGatewayError) -> float:
        self.attempt += 1
        if isinstance(err, GatewayError) and err.code == ErrorCode.BUSY:
            wait = err.retry_after_ms if err.retry_after_ms is not None else DEFAULT_BUSY_WAIT_MS
            return float(wait) * (1.0 + 0.2 * self._rng.random()) / 1000.0
        cap = min(self.max_ms, self.base_ms << min(self.attempt - 1, 20))
        return (cap / 2.0 + self._rng.random() * cap / 2.0) / 1000.0


def is_retryable(err: BaseException) -> bool:
    if isinstance(err, TransportError):
        return True
    return isinstance(err, GatewayError) and err.retryable
