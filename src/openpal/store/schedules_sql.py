"""Cron schedules (`schedules` table, migration 0024), written once for both stores.

A tick fires once however many processes look at it: the scheduler starts the run under
an idempotency key naming the schedule and the due value it read (a second process gets
the same run back), then `advance_schedule` moves `next_fire_at` on only where it still
holds that due value (compare-and-set: one process wins; the others see 0 rows)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from openpal.store.catalog_records import ScheduleRecord, ScheduleSpec
from openpal.store.records import dumps
from openpal.store.sql_dialect import Conn, E, SqlStore

_COLS = (
    "s.id, s.workflow_id, s.idx, s.version_id, s.cron, s.timezone, s.input, s.paused,"
    " s.next_fire_at, s.last_fired_at, s.last_run_id, s.updated_at"
)
_UPSERT = (
    "INSERT INTO schedules (id, workflow_id, idx, version_id, cron, timezone, input, paused,"
    " next_fire_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"
    " ON CONFLICT (workflow_id, idx) DO UPDATE SET version_id = excluded.version_id,"
    " input = excluded.input, updated_at = excluded.updated_at,"
    # the same cron in the same zone keeps its next tick (and a missed one stays missed)
    " next_fire_at = CASE WHEN schedules.cron = excluded.cron"
    " AND schedules.timezone = excluded.timezone THEN schedules.next_fire_at"
    " ELSE excluded.next_fire_at END,"
    " cron = excluded.cron, timezone = excluded.timezone"
)
_DROP_REST = "DELETE FROM schedules WHERE workflow_id = ? AND idx >= ?"
_LIST = f"SELECT {_COLS} FROM schedules s"
_ALIVE = " JOIN workflows w ON w.id = s.workflow_id AND w.deleted_at IS NULL"
_DUE = (
    f"SELECT {_COLS} FROM schedules s{_ALIVE}"
    " WHERE s.paused = 0 AND s.next_fire_at <= ? ORDER BY s.next_fire_at LIMIT ?"
)
_ADVANCE = (
    "UPDATE schedules SET next_fire_at = ?, last_fired_at = ?, last_run_id = ?, updated_at = ?"
    " WHERE id = ? AND next_fire_at = ?"
)
_PAUSE = (
    "UPDATE schedules SET paused = ?, next_fire_at = COALESCE(?, next_fire_at), updated_at = ?"
    " WHERE id = ?"
)


def schedule_id_for(workflow_id: str, idx: int) -> str:
    """Schedule ids are derived from the workflow and the trigger's position."""
    return f"sch_{workflow_id}_{idx}"


def _record(row: Sequence[Any]) -> ScheduleRecord:
    values = list(row)
    values[6] = json.loads(values[6])
    values[7] = bool(values[7])
    return ScheduleRecord(*values)


class SchedulesSql(SqlStore[E]):
    """The `# -- schedules` part of `Store` for `SqliteStore` and `PostgresStore`."""

    async def sync_schedules(
        self, workflow_id: str, version_id: str, specs: Sequence[ScheduleSpec], now: int
    ) -> None:
        async def op(c: Conn) -> None:
            for idx, spec in enumerate(specs):
                await c.execute(
                    self._sql(_UPSERT),
                    schedule_id_for(workflow_id, idx),
                    workflow_id,
                    idx,
                    version_id,
                    spec.cron,
                    spec.timezone,
                    dumps(spec.input),
                    spec.next_fire_at,
                    now,
                )
            await c.execute(self._sql(_DROP_REST), workflow_id, len(specs))

        await self.db.tx(op)

    async def list_schedules(self, workflow_id: str | None = None) -> list[ScheduleRecord]:
        if workflow_id is None:
            sql = f"{_LIST}{_ALIVE} ORDER BY w.slug, s.idx"
            rows = await self.db.fetch(sql)
        else:
            sql = f"{_LIST} WHERE s.workflow_id = ? ORDER BY s.idx"
            rows = await self.db.fetch(self._sql(sql), workflow_id)
        return [_record(r) for r in rows]

    async def due_schedules(self, now: int, limit: int) -> list[ScheduleRecord]:
        return [_record(r) for r in await self.db.fetch(self._sql(_DUE), now, limit)]

    async def advance_schedule(
        self, schedule_id: str, due: int, next_fire_at: int, fired_at: int, run_id: str | None
    ) -> bool:
        result = await self.db.execute(
            self._sql(_ADVANCE), next_fire_at, fired_at, run_id, fired_at, schedule_id, due
        )
        return self._changed(result) > 0

    async def set_schedule_paused(
        self, schedule_id: str, paused: bool, next_fire_at: int | None, now: int
    ) -> bool:
        result = await self.db.execute(
            self._sql(_PAUSE), int(paused), next_fire_at, now, schedule_id
        )
        return self._changed(result) > 0
