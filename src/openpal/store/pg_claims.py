"""Claims on PostgreSQL: which runs a worker takes, in one statement when it can.

Rows are taken `FOR UPDATE SKIP LOCKED`, so workers in many processes never block on
or double-claim a run. Due waiting runs come first, then pending runs, then runs whose
lease expired (a takeover, recorded as a `run.takeover` event). Runs under a
concurrency limit are admitted in a transaction holding an advisory lock, one claimer
at a time across processes; while none are pending (the common case) a claim is one
round trip without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from openpal.engine.states import CANCEL_AT_CHECKPOINT
from openpal.store.events import EVENT_COLS, event_values, takeover_event
from openpal.store.pg_engine import PgEngine
from openpal.store.records import Claim, RunRecord, loads
from openpal.store.rows import (
    FULL_COLS,
    HAS_LIMITED_PENDING,
    admissible_query,
    run_from_row,
    status_list,
)

_RUNNING = status_list(CANCEL_AT_CHECKPOINT)
# what a claim sets: a new lease and fencing token; pending and waiting runs start
# running, a run whose lease expired keeps its status and counts a takeover
_TAKE = (
    f"status = CASE WHEN status IN ({_RUNNING}) THEN status ELSE 'running' END,"
    " lease_owner = $1, lease_expires_at = $2, fencing_token = fencing_token + 1,"
    f" attempt = attempt + 1, takeovers = takeovers + CASE WHEN status IN ({_RUNNING})"
    " THEN 1 ELSE 0 END, started_at = COALESCE(started_at, $3), step_started_at = $3,"
    " updated_at = $3"
)
_ADMISSION_LOCK = 0x6F70656E61646D  # pg_advisory_xact_lock key serialising limited claims


class PostgresClaims:
    """The `claim_runs` of `PostgresStore`."""

    db: PgEngine
    _limited_seen: bool  # limited runs were pending at the last claim (see `__init__`)

    async def claim_runs(
        self, worker_id: str, limit: int, lease_seconds: float, now: int
    ) -> list[Claim]:
        expires = now + int(lease_seconds * 1_000_000)
        rows: list[Any] = []
        if not self._limited_seen:
            rows, self._limited_seen = await self._claim_unlimited(
                self.db.fetch, worker_id, limit, expires, now
            )
        if self._limited_seen and len(rows) < limit:
            rows += await self.db.tx(
                lambda c: self._claim_admitting(c, worker_id, limit - len(rows), expires, now)
            )
        runs = [run_from_row(tuple(r)) for r in rows]
        if any(r.takeovers for r in runs):  # rare: a worker died or stalled
            await self._record_takeovers([r for r in runs if r.takeovers], worker_id, now)
        resumed = [r.id for r in runs if r.next_step > 0]
        done: dict[str, dict[str, Any]] = {r.id: {} for r in runs}
        if resumed:
            for step in await self.db.fetch(
                "SELECT s.run_id, s.step_name, s.output FROM step_executions s"
                " JOIN runs r ON r.id = s.run_id WHERE s.run_id = ANY($1::text[])"
                " AND s.step_index < r.next_step ORDER BY s.run_id, s.step_index",
                resumed,
            ):
                done[step[0]][step[1]] = loads(step[2])
        return [Claim(run=r, done=done[r.id]) for r in runs]

    async def _claim_unlimited(
        self,
        fetch: Callable[..., Awaitable[list[Any]]],
        worker_id: str,
        limit: int,
        expires: int,
        now: int,
        *,
        defer_to_limited: bool = True,
    ) -> tuple[list[Any], bool]:
        """One statement, one round trip: due waiting runs, then pending runs without a
        concurrency limit, then runs whose lease expired (taken over), oldest first;
        and whether limited runs are pending. If they are, only waiting runs are taken
        here: the limited ones go next, by the admission path (see `claim_runs`), which
        then calls this with `defer_to_limited=False` for the slots they leave."""
        defer = " AND NOT (SELECT limited FROM l)" if defer_to_limited else ""
        rows = await fetch(
            f"WITH l AS MATERIALIZED ({HAS_LIMITED_PENDING} AS limited),"
            " w AS MATERIALIZED (SELECT id, 1 AS o, wait_until AS t FROM runs"
            " WHERE status = 'waiting' AND wait_until <= $3 ORDER BY wait_until LIMIT $4"
            " FOR UPDATE SKIP LOCKED),"
            # limited runs go before these: with any pending, leave them to the admission
            " p AS MATERIALIZED (SELECT id, 2 AS o, created_at AS t FROM runs"
            f" WHERE status = 'pending' AND concurrency_key IS NULL{defer}"
            " ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED),"
            " x AS MATERIALIZED (SELECT id, 3 AS o, lease_expires_at AS t FROM runs"
            f" WHERE status IN ({_RUNNING}) AND lease_expires_at < $3{defer}"
            " ORDER BY lease_expires_at LIMIT $4 FOR UPDATE SKIP LOCKED),"
            " picked AS MATERIALIZED (SELECT id FROM (SELECT * FROM w UNION ALL"
            " SELECT * FROM p UNION ALL SELECT * FROM x) u ORDER BY o, t LIMIT $4),"
            f" upd AS (UPDATE runs SET {_TAKE} WHERE id IN (SELECT id FROM picked)"
            f" RETURNING {FULL_COLS})"
            " SELECT upd.*, l.limited FROM l LEFT JOIN upd ON true",
            worker_id,
            expires,
            now,
            limit,
        )
        limited = bool(rows[0][-1])
        return [r[:-1] for r in rows if r[0] is not None], limited

    async def _claim_admitting(
        self, c: asyncpg.Connection, worker_id: str, limit: int, expires: int, now: int
    ) -> list[Any]:
        """Admission-controlled runs first (one claimer at a time across processes:
        counting a group's executing runs and filling its slots must not interleave),
        then the rest as `_claim_unlimited` does. Notes whether limited runs remain."""
        rows: list[Any] = []
        if await c.fetchval(HAS_LIMITED_PENDING):
            await c.execute("SELECT pg_advisory_xact_lock($1)", _ADMISSION_LOCK)
            rows += await c.fetch(
                f"WITH picked AS MATERIALIZED ({admissible_query('$4')})"
                f" UPDATE runs SET {_TAKE} WHERE id IN (SELECT id FROM picked)"
                f" AND status = 'pending' RETURNING {FULL_COLS}",
                worker_id,
                expires,
                now,
                limit,
            )
        more, self._limited_seen = await self._claim_unlimited(
            c.fetch, worker_id, limit - len(rows), expires, now, defer_to_limited=False
        ) if len(rows) < limit else ([], True)  # fmt: skip
        return rows + more

    async def _record_takeovers(self, runs: list[RunRecord], worker_id: str, now: int) -> None:
        """One `run.takeover` event per takeover: a run taken over before and claimed
        again (e.g. after a wait) already has the event for its count."""
        for run in runs:
            await self.db.execute(
                f"INSERT INTO run_events ({EVENT_COLS}) SELECT $1, $2::bigint, $3, $4::integer,"
                " $5, $6::integer, $7, $8 WHERE NOT EXISTS (SELECT 1 FROM run_events"
                " WHERE run_id = $1 AND type = $3 AND attempt = $6)",
                *event_values(takeover_event(run, worker_id, now)),
            )
