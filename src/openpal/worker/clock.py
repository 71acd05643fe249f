"""The executor's clock: what time it is (µs since the epoch), a monotonic reading for
timeouts, and sleeping. Injected, so tests drive retries, back-off and deadlines with a
clock that jumps instead of waiting (`tests/fake_clock.py`)."""

from __future__ import annotations

import asyncio
import time

__all__ = ["Clock", "SystemClock"]


class Clock:
    """The interface (and the real thing: `SystemClock`)."""

    def now(self) -> int:
        """µs since the epoch: what runs, steps and events are stamped with."""
        raise NotImplementedError

    def monotonic(self) -> float:
        """Seconds, for measuring how long something has taken."""
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        raise NotImplementedError


class SystemClock(Clock):
    def now(self) -> int:
        return time.time_ns() // 1000

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
