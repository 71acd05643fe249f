"""The scale benchmark reads the database behind the API directly: whether every run has
ended, what became of the runs it started, and (PostgreSQL) which statements ran.

Every statement the harness sends carries the comment `bench-scale`, so its own polling
is left out of the statement counts; its backend's CPU is read apart and subtracted from
PostgreSQL's. SQLite is read through a read-only connection to the server's file.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.scale_pg import cpu_seconds

MARK = "/* bench-scale */ "
OPEN = f"{MARK}SELECT count(*) FROM runs WHERE status NOT IN ('completed', 'failed', 'cancelled', 'rejected')"  # noqa: E501
TOP = 8


class Probe:
    """The common surface: `pending()`, `statuses(ids)`, `wait_drained()`."""

    async def pending(self) -> int:
        raise NotImplementedError

    async def statuses(self, ids: list[str]) -> dict[str, int]:
        raise NotImplementedError

    async def wait_drained(self, timeout: float = 180, every: float = 0.01) -> float:
        """Poll until no run is left unfinished; the wall-clock time it was seen so."""
        deadline = time.monotonic() + timeout
        while True:
            if await self.pending() == 0:
                return time.time()
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs still unfinished after {timeout:.0f} s")
            await asyncio.sleep(every)

    def own_cpu(self) -> float:
        """CPU the database spent answering this probe (subtracted from its role)."""
        return 0.0

    async def reset_statements(self) -> None:
        return None

    async def statements(self, runs: int) -> dict[str, Any] | None:
        return None

    async def close(self) -> None:
        return None


class PgProbe(Probe):
    def __init__(self, url: str, database: str) -> None:
        self.url = url
        self.database = database
        self.conn: Any = None
        self.backend_pid = 0

    async def open(self) -> PgProbe:
        import asyncpg

        self.conn = await asyncpg.connect(self.url)
        self.backend_pid = await self.conn.fetchval(f"{MARK}SELECT pg_backend_pid()")
        return self

    async def pending(self) -> int:
        return int(await self.conn.fetchval(OPEN))

    async def statuses(self, ids: list[str]) -> dict[str, int]:
        rows = await self.conn.fetch(
            f"{MARK}SELECT status, count(*) AS n FROM runs WHERE id = ANY($1::text[]) GROUP BY status",  # noqa: E501
            ids,
        )
        return {r["status"]: int(r["n"]) for r in rows}

    def own_cpu(self) -> float:
        return cpu_seconds(self.backend_pid)

    async def settings(self, *names: str) -> dict[str, str]:
        return {n: str(await self.conn.fetchval(f"{MARK}SHOW {n}")) for n in names}

    async def reset_statements(self) -> None:
        await self.conn.execute(f"{MARK}SELECT pg_stat_statements_reset()")

    async def statements(self, runs: int) -> dict[str, Any]:
        """Statements per run since the last reset (this database, the harness's own left
        out), and the costliest ones by total execution time."""
        rows = await self.conn.fetch(
            f"""{MARK}SELECT s.query, s.calls, s.total_exec_time, s.rows
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 AND s.query NOT LIKE '%bench-scale%'
            ORDER BY s.total_exec_time DESC""",
            self.database,
        )
        calls = sum(int(r["calls"]) for r in rows)
        exec_ms = sum(float(r["total_exec_time"]) for r in rows)
        top = [
            {
                "query": " ".join(str(r["query"]).split())[:240],
                "calls_per_run": round(int(r["calls"]) / runs, 3),
                "mean_ms": round(float(r["total_exec_time"]) / max(1, int(r["calls"])), 4),
                "total_ms": round(float(r["total_exec_time"]), 1),
                "rows_per_call": round(int(r["rows"]) / max(1, int(r["calls"])), 2),
            }
            for r in rows[:TOP]
        ]
        return {
            "statements_per_run": round(calls / runs, 2),
            "exec_ms_per_run": round(exec_ms / runs, 4),
            "distinct_statements": len(rows),
            "top": top,
        }

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


class SqliteProbe(Probe):
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    async def pending(self) -> int:
        return int(self.db.execute(OPEN).fetchone()[0])

    async def statuses(self, ids: list[str]) -> dict[str, int]:
        found: collections.Counter[str] = collections.Counter()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"{MARK}SELECT status, count(*) FROM runs WHERE id IN ({marks}) GROUP BY status"
            for status, n in self.db.execute(sql, chunk):
                found[status] += n
        return dict(found)

    async def close(self) -> None:
        self.db.close()
