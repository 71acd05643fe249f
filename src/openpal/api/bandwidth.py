"""Per-client bandwidth: what one client address may send the server, over time.

Reading a request costs the event loop CPU for every byte (parsing HTTP, collecting a
JSON body, splitting a multipart upload, discarding the rest of a refused one): about
2.6 ms per MiB of a chunked upload here. A client sending bodies at the limits back to
back keeps the loop busy for everyone else. Each client address gets a token bucket
of bytes: it may send `burst` bytes at once, then `rate` bytes a second; past that
its connections stop being read (`pause_reading`) until the bucket has refilled, so
the kernel's buffers fill and TCP slows the sender down. Nothing is refused and no
byte is lost; a client within the budget is never delayed.

Behind a reverse proxy every client has the proxy's address: raise the rate or set
`OPENPAL_CLIENT_BYTES_PER_SECOND=0` (no cap) there, as for the connection cap.
"""

from __future__ import annotations

import time

__all__ = ["ByteBudget"]

MAX_TRACKED = 10_000  # client addresses remembered at once (full buckets are forgotten)


class ByteBudget:
    """Token buckets of bytes, one per client address, refilled at `rate` up to `burst`."""

    def __init__(self, rate: int, burst: int) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # host -> (tokens, at)

    def take(self, host: str, size: int, now: float | None = None) -> float:
        """Charge `size` bytes to `host`: how many seconds it must wait before sending
        more (0 when it is within its budget)."""
        if self.rate <= 0:
            return 0.0
        at = time.monotonic() if now is None else now
        tokens, then = self._buckets.get(host, (float(self.burst), at))
        tokens = min(float(self.burst), tokens + (at - then) * self.rate) - size
        if len(self._buckets) >= MAX_TRACKED and host not in self._buckets:
            self._forget_full(at)
        self._buckets[host] = (tokens, at)
        return 0.0 if tokens >= 0 else -tokens / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: they hold no debt to remember."""
        full = [
            host
            for host, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rate >= self.burst
        ]
        for host in full:
            del self._buckets[host]
        if len(self._buckets) >= MAX_TRACKED:  # all in debt: a flood of addresses
            self._buckets.clear()
