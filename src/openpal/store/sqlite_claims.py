"""Claims on SQLite: which runs a worker takes, in one write of the group-committed writer.

Due waiting runs come first, then pending runs under a concurrency limit (admitted
within it: one writer, so counting and taking cannot race), then the other pending
runs, then runs whose lease expired (a takeover, recorded as a `run.takeover` event).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from openpal.store.events import takeover_event
from openpal.store.records import Claim, RunRecord, loads
from openpal.store.rows import FULL_COLS, HAS_LIMITED_PENDING, admissible_query, run_from_row
from openpal.store.sqlite_engine import SqliteEngine
from openpal.store.sqlite_progress import insert_event


class SqliteClaims:
    """The `claim_runs` of `SqliteStore`."""

    db: SqliteEngine

    async def claim_runs(
        self, worker_id: str, limit: int, lease_seconds: float, now: int
    ) -> list[Claim]:
        expires = now + int(lease_seconds * 1_000_000)

        start = (
            "UPDATE runs SET status = 'running', lease_owner = ?, lease_expires_at = ?,"
            " fencing_token = fencing_token + 1, attempt = attempt + 1,"
            " started_at = COALESCE(started_at, ?), step_started_at = ?, updated_at = ?"
        )

        def op(c: sqlite3.Connection) -> list[Claim]:
            # waiting runs whose timer fired or whose approval deadline passed
            rows: list[Any] = c.execute(
                f"{start} WHERE id IN (SELECT id FROM runs WHERE status = 'waiting'"
                f" AND wait_until <= ? ORDER BY wait_until LIMIT ?) RETURNING {FULL_COLS}",
                (worker_id, expires, now, now, now, now, limit),
            ).fetchall()
            if (
                len(rows) < limit and c.execute(HAS_LIMITED_PENDING).fetchone()[0]
            ):  # admission-controlled first
                rows += c.execute(
                    f"{start} WHERE id IN ({admissible_query('?')}) RETURNING {FULL_COLS}",
                    (worker_id, expires, now, now, now, limit - len(rows)),
                ).fetchall()
            if len(rows) < limit:
                rows += c.execute(
                    f"{start} WHERE id IN (SELECT id FROM runs WHERE status = 'pending'"
                    f" AND concurrency_key IS NULL ORDER BY created_at LIMIT ?)"
                    f" RETURNING {FULL_COLS}",
                    (worker_id, expires, now, now, now, limit - len(rows)),
                ).fetchall()
            if len(rows) < limit:  # take over runs whose worker stopped renewing its lease
                taken = c.execute(
                    f"UPDATE runs SET lease_owner = ?, lease_expires_at = ?,"
                    f" fencing_token = fencing_token + 1, attempt = attempt + 1,"
                    f" takeovers = takeovers + 1, step_started_at = ?, updated_at = ?"
                    f" WHERE id IN (SELECT id FROM runs WHERE status IN ('running', 'finalizing')"
                    f" AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?)"
                    f" RETURNING {FULL_COLS}",
                    (worker_id, expires, now, now, now, limit - len(rows)),
                ).fetchall()
                if taken:  # rare: a worker died or stalled
                    _record_takeovers(c, [run_from_row(r) for r in taken], worker_id, now)
                rows += taken
            claims = []
            for row in rows:
                run = run_from_row(row)
                done: dict[str, Any] = {}
                if run.next_step > 0:
                    for name, output in c.execute(
                        "SELECT step_name, output FROM step_executions WHERE run_id = ?"
                        " AND step_index < ? ORDER BY step_index",
                        (run.id, run.next_step),
                    ):
                        done[name] = output
                claims.append(Claim(run=run, done=done))
            return claims

        claims = await self.db.write(op)
        # decode outside the writer thread: it is the bottleneck
        return [Claim(run=cl.run, done={k: loads(v) for k, v in cl.done.items()}) for cl in claims]


def _record_takeovers(
    c: sqlite3.Connection, runs: list[RunRecord], worker_id: str, now: int
) -> None:
    for run in runs:
        insert_event(c, takeover_event(run, worker_id, now))
