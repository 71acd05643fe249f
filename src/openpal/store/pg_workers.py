"""Which worker process new work wakes, on PostgreSQL (migration 0018).

A NOTIFY reaches every process listening on its channel. With one `work` channel for
all, every start woke every worker process and each ran a claim, though one took the
runs: claims per run grew with the number of workers. So each worker listens on a
channel of its own too and reports itself (free slots included) every second; an API
process names, with each batch of starts, just enough live workers, round robin, to
take the batch. A worker that is full when named, or whose claim filled every free
slot (more may wait), hands on to all of them (`hand_on_work`); a worker not yet seen
or a notice lost is covered by each worker's safety poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from openpal.store.history_records import WorkerSeen
from openpal.store.pg_engine import CHANNEL_PREFIX, PgEngine

log = logging.getLogger("openpal.store")

BROADCAST = CHANNEL_PREFIX + "work"
SEEN_SECONDS = 3.0  # a worker not heard of for this long is not named
REFRESH_SECONDS = 1.0
_GONE_SECONDS = 3600  # rows of workers gone for this long are deleted


def work_channel(listener_id: str) -> str:
    """The channel a worker process hears work named to it on."""
    return f"{CHANNEL_PREFIX}work_{listener_id}"


class PostgresWorkers:
    """Worker reports (worker side) and the choice of whom to wake (API side)."""

    db: PgEngine
    listener_id: str

    def _init_workers(self) -> None:
        self._live: list[tuple[str, int]] = []  # (channel, free slots) of live workers
        self._turn = 0
        self._refreshed = 0.0
        self._refreshing: asyncio.Task[None] | None = None

    async def report_worker(self, worker_id: str, slots: int, free: int, now: int) -> None:
        await self.db.execute(
            "INSERT INTO workers (id, channel, slots, free, started_at, seen_at)"
            " VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO UPDATE"
            " SET slots = EXCLUDED.slots, free = EXCLUDED.free, seen_at = EXCLUDED.seen_at",
            worker_id,
            self.listener_id,
            slots,
            free,
            now,
        )

    async def forget_worker(self, worker_id: str, now: int) -> None:
        await self.db.execute(
            "DELETE FROM workers WHERE id = $1 OR seen_at < $2",
            worker_id,
            now - _GONE_SECONDS * 1_000_000,
        )

    async def workers_seen(self, since: int) -> list[WorkerSeen]:
        rows = await self.db.fetch(
            "SELECT id, slots, free, started_at, seen_at FROM workers WHERE seen_at >= $1"
            " ORDER BY id",
            since,
        )
        return [WorkerSeen(*tuple(r)) for r in rows]

    async def hand_on_work(self) -> None:
        await self.db.execute(f"SELECT pg_notify('{BROADCAST}', '')")

    def wake_channels(self, runs: int) -> list[str]:
        """The channels to NOTIFY for `runs` new pending runs: live workers in turn until
        their free slots cover them, or every worker when none is known."""
        self._refresh_soon()
        live = self._live
        if not live:
            return [BROADCAST]
        picked: list[str] = []
        room = 0
        ready = [w for w in live if w[1] > 0] or live  # all full: they hand on
        for _ in range(len(ready)):
            channel, free = ready[self._turn % len(ready)]
            self._turn += 1
            picked.append(channel)
            room += max(free, 1)
            if room >= runs:
                break
        return picked

    def _refresh_soon(self) -> None:
        if time.monotonic() - self._refreshed < REFRESH_SECONDS or self._refreshing is not None:
            return
        self._refreshing = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        try:
            since = time.time_ns() // 1000 - int(SEEN_SECONDS * 1_000_000)
            rows = await self.db.fetch(
                "SELECT channel, free FROM workers WHERE seen_at > $1 ORDER BY id", since
            )
            self._live = [(work_channel(r[0]), int(r[1])) for r in rows]
        except Exception as exc:  # keep naming the last known; the next start retries
            log.warning("reading the live workers failed: %s", exc)
        finally:
            self._refreshed = time.monotonic()
            self._refreshing = None

    async def _stop_workers(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refreshing
