"""A claimed run's lease: renewed while the run executes, and writes that outlast an outage.

The worker holding a run renews its lease every third of it, and at once when a step
heartbeats (`threadsafe_set`, callable from the step's thread). A store write of the
run's rides out a database outage for at most one lease: past that another worker may
own the run (`LeaseKeeper.durably`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from openpal.errors import Unavailable
from openpal.store.base import Store
from openpal.worker.clock import Clock

__all__ = ["HEARTBEAT_EVERY", "LeaseKeeper", "threadsafe_set"]

T = TypeVar("T")
log = logging.getLogger("openpal.worker")
HEARTBEAT_EVERY = 1.0  # seconds: a step's heartbeats renew the lease at most this often


class LeaseKeeper:
    """Keeps the leases of the runs one executor holds."""

    def __init__(self, store: Store, clock: Clock, lease_seconds: float) -> None:
        self.store = store
        self.clock = clock
        self.lease_seconds = lease_seconds

    async def durably(self, write: Callable[[], Awaitable[T]]) -> T:
        """Run a store write, riding out a database outage for up to one lease: past
        that another worker may own the run, and the write raises (`LeaseLost` after
        the outage, or `Unavailable`) so the run is left to whoever takes it over."""
        give_up = self.clock.monotonic() + self.lease_seconds
        delay = 0.05
        while True:
            try:
                return await write()
            except Unavailable:
                if self.clock.monotonic() + delay > give_up:
                    raise
                log.warning("database unavailable; retrying a write in %.2fs", delay)
                await self.clock.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def keep(self, run_id: str, token: int, beat: asyncio.Event) -> None:
        """Renew the lease every third of it while the run executes (checkpoints renew
        it too), and at a step's heartbeat (a burst of heartbeats renews it at most every
        HEARTBEAT_EVERY seconds, and never less often than every third of the lease)."""
        interval = self.lease_seconds / 3
        gap = min(HEARTBEAT_EVERY, interval)
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(beat.wait(), max(interval - (loop.time() - last), 0))
                await asyncio.sleep(max(gap - (loop.time() - last), 0))
            beat.clear()
            last = loop.time()
            try:
                renewed = await self.store.renew_lease(
                    run_id, token, self.lease_seconds, self.clock.now()
                )
            except Unavailable:
                continue  # try again next interval; the lease may still be ours then
            if not renewed:
                return


def threadsafe_set(event: asyncio.Event) -> Callable[[], None]:
    """`event.set`, callable from a step's thread."""
    loop = asyncio.get_running_loop()

    def beat() -> None:
        loop.call_soon_threadsafe(event.set)

    return beat
