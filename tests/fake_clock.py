"""A clock for the executor that jumps instead of waiting: `sleep(s)` moves time on by
`s` at once (letting other tasks run), so retries, back-off and deadlines are tested
in milliseconds and to the microsecond."""

from __future__ import annotations

import asyncio

from openpal.worker.clock import Clock

START = 1_800_000_000_000_000  # µs


class FakeClock(Clock):
    def __init__(self, start: int = START) -> None:
        self.micros = start
        self.slept: list[float] = []

    def now(self) -> int:
        return self.micros

    def monotonic(self) -> float:
        return self.micros / 1_000_000

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.micros += int(seconds * 1_000_000)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.micros += int(seconds * 1_000_000)
