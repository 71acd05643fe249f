"""Cron schedules: keeping the `schedules` table in step with the workflows' `triggers:`,
firing due ticks through the run service, pausing and resuming.

Every process runs a `Scheduler` (`openpal serve` and `openpal worker` alike): a tick
fires as long as any process is up, and the database decides which process fires it
(see `store.schedules_sql`). Missed ticks (every process was down) collapse into one
run, fired at once; the next tick is then the first one after now.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from openpal.errors import Conflict, InvalidInput, NotFound
from openpal.service.catalog import Catalog
from openpal.service.keys import DEFAULT_TENANT
from openpal.service.runs import RunService
from openpal.store.base import Store
from openpal.store.catalog_records import ScheduleRecord, ScheduleSpec
from openpal.store.records import RunRecord
from openpal.workflows.cron import next_fire_micros, parse_cron, zone
from openpal.workflows.model import CronTrigger

log = logging.getLogger("openpal.schedules")

POLL_SECONDS = 1.0  # how often a process looks for due ticks
LATE_US = 60 * 1_000_000  # a tick this late was missed: `catchup: none` skips it
SYNC_SECONDS = 10.0  # how often it checks the workflows' current versions for new triggers
_DUE_BATCH = 100


def now_micros() -> int:
    return time.time_ns() // 1000


def next_after(cron: str, timezone: str, after_us: int) -> int | None:
    """The schedule's first tick after `after_us` (µs), None if it never fires again."""
    return next_fire_micros(parse_cron(cron), zone(timezone), after_us)


def specs_of(triggers: tuple[CronTrigger, ...], now: int) -> list[ScheduleSpec]:
    out = []
    for t in triggers:
        first = next_after(t.cron, t.timezone, now)
        if first is not None:  # checked at load: a trigger that never fires is an error
            out.append(ScheduleSpec(t.cron, t.timezone, dict(t.input), first))
    return out


class Scheduler:
    """Syncs schedules from the catalog and fires due ticks, in one process."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        runs: RunService,
        *,
        clock: Callable[[], int] = now_micros,
        poll_seconds: float = POLL_SECONDS,
        sync_seconds: float = SYNC_SECONDS,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.runs = runs
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.sync_seconds = sync_seconds
        self._synced: dict[str, str | None] = {}  # workflow id → version its schedules follow

    async def sync(self) -> None:
        """Store the triggers of every workflow whose current version this process has
        not synced yet (the upsert is idempotent: processes doing it at once agree)."""
        offset = 0
        while True:
            page, total = await self.store.list_workflows(
                search=None, name=None, limit=500, offset=offset
            )
            for record in page:
                version = record.current_version_id
                if version is None or self._synced.get(record.id) == version:
                    continue
                try:
                    wf = await self.catalog.definition(version)
                except Exception:  # a version that no longer compiles keeps its old schedules
                    log.exception("schedules of %s: version %s does not load", record.slug, version)
                    continue
                specs = specs_of(wf.triggers, self.clock())
                await self.store.sync_schedules(record.id, version, specs, self.clock())
                self._synced[record.id] = version
            offset += len(page)
            if not page or offset >= total:
                return

    async def fire_due(self) -> list[RunRecord]:
        """Fire every due tick (the runs this process started or found started)."""
        fired = []
        for schedule in await self.store.due_schedules(self.clock(), _DUE_BATCH):
            run = await self.fire(schedule)
            if run is not None:
                fired.append(run)
        return fired

    async def fire(self, s: ScheduleRecord) -> RunRecord | None:
        """Start the run of the due tick `s.next_fire_at` (once: the idempotency key names
        the schedule and the tick) and move the schedule on to its first tick after now."""
        run: RunRecord | None = None
        if self.clock() - s.next_fire_at > LATE_US and await self._catchup(s) == "none":
            log.info("schedule %s: missed tick %s skipped", s.id, _iso(s.next_fire_at))
            return await self._advance(s, None)
        try:
            run = await self.runs.start(
                DEFAULT_TENANT,
                s.workflow_id,
                dict(s.input),
                version=s.version_id,
                trigger="cron",
                idempotency_key=f"cron:{s.id}:{s.next_fire_at}",
                metadata={"schedule": s.id, "scheduledFor": _iso(s.next_fire_at)},
            )
        except Conflict:
            pass  # started by another process
        except (InvalidInput, NotFound) as exc:
            log.warning("schedule %s: tick skipped: %s", s.id, exc)
        return await self._advance(s, run)

    async def _catchup(self, s: ScheduleRecord) -> str:
        """The trigger's `catchup:` policy, from the version the schedule was read from."""
        try:
            triggers = (await self.catalog.definition(s.version_id)).triggers
        except NotFound:
            return "latest"
        return triggers[s.idx].catchup if s.idx < len(triggers) else "latest"

    async def _advance(self, s: ScheduleRecord, run: RunRecord | None) -> RunRecord | None:
        """Move the schedule on from its due tick to the first tick after now."""
        now = self.clock()
        following = next_after(s.cron, s.timezone, now)
        if following is None:
            await self.store.set_schedule_paused(s.id, True, None, now)
            return run
        moved = await self.store.advance_schedule(
            s.id, s.next_fire_at, following, now, run.id if run else None
        )
        if moved and run is not None:
            log.info("schedule %s fired run %s (tick %s)", s.id, run.id, _iso(s.next_fire_at))
        return run

    async def run_forever(self) -> None:
        last_sync = float("-inf")
        while True:
            try:
                if time.monotonic() - last_sync >= self.sync_seconds:
                    await self.sync()
                    last_sync = time.monotonic()
                await self.fire_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a moment: try again next time
                log.exception("scheduler")
            await asyncio.sleep(self.poll_seconds)


async def set_paused(
    store: Store, workflow: str, index: int | None, paused: bool
) -> list[ScheduleRecord]:
    """Pause or resume the schedules of `workflow` (slug or id), or only its `index`-th;
    a resumed schedule's next tick is the first after now (paused ticks are not caught up)."""
    record = await store.get_workflow(workflow)
    if record is None:
        raise NotFound(f"workflow {workflow!r} not found")
    chosen = [s for s in await store.list_schedules(record.id) if index is None or s.idx == index]
    if not chosen:
        which = f" number {index}" if index is not None else "s"
        raise NotFound(f"workflow {record.slug!r} has no schedule{which}")
    now = now_micros()
    for s in chosen:
        following = None if paused else next_after(s.cron, s.timezone, now)
        await store.set_schedule_paused(s.id, paused, following, now)
    return await store.list_schedules(record.id)


def _iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / 1_000_000, UTC).isoformat().replace("+00:00", "Z")


async def schedule_rows(
    store: Store, workflow: str | None = None
) -> list[tuple[str, ScheduleRecord]]:
    """Schedules named `slug/<n>`, of one workflow (slug or id) or of every live one."""
    if workflow is not None:
        record = await store.get_workflow(workflow)
        if record is None:
            raise NotFound(f"workflow {workflow!r} not found")
        return [(f"{record.slug}/{s.idx}", s) for s in await store.list_schedules(record.id)]
    slugs: dict[str, str] = {}
    out = []
    for s in await store.list_schedules():
        if s.workflow_id not in slugs:
            found = await store.get_workflow(s.workflow_id)
            slugs[s.workflow_id] = found.slug if found else s.workflow_id
        out.append((f"{slugs[s.workflow_id]}/{s.idx}", s))
    return out
