"""Bulk-load runs for W-list: straight into the store's tables (the API would take hours
for a million), spread over 30 days, several workflows and statuses."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from openpal.engine.ids import new_id
from openpal.service.catalog import workflow_id_for

SLUGS = ("noop3", "hello", "extract-invoice", "slow-count", "noop40")
STATUSES = ("completed",) * 16 + ("failed",) * 2 + ("cancelled", "rejected")
COLUMNS = (
    "id, tenant_id, type, workflow_id, workflow_slug, workflow_name, version_id, status,"
    " trigger_type, input, output, error, created_at, started_at, completed_at, updated_at"
)


def rows(n: int, seed: int = 1) -> list[tuple[Any, ...]]:
    rnd = random.Random(seed)
    now = time.time_ns() // 1000
    span = 30 * 86_400 * 1_000_000
    out = []
    for _ in range(n):
        created = now - rnd.randrange(span)
        slug = rnd.choice(SLUGS)
        status = rnd.choice(STATUSES)
        done = created + rnd.randrange(1_000, 5_000_000)
        out.append(
            (
                new_id("exec", created), "default", "workflow", workflow_id_for(slug), slug,
                slug, "ver_bench", status, "api", '{"i":1}',
                '{"i":1}' if status == "completed" else None,
                "boom" if status == "failed" else None, created, created + 500, done, done,
            )
        )  # fmt: skip
    return out


def load_sqlite(db: Path, n: int, batch: int = 50_000) -> None:
    conn = sqlite3.connect(str(db), timeout=60)
    try:
        marks = ",".join("?" * 16)
        for start in range(0, n, batch):
            chunk = rows(min(batch, n - start), seed=start + 1)
            with conn:
                conn.executemany(f"INSERT INTO runs ({COLUMNS}) VALUES ({marks})", chunk)
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def load_postgres(url: str, n: int, batch: int = 100_000) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        columns = [c.strip() for c in COLUMNS.split(",")]
        for start in range(0, n, batch):
            chunk = rows(min(batch, n - start), seed=start + 1)
            await conn.copy_records_to_table("runs", records=chunk, columns=columns)
        await conn.execute("ANALYZE runs")
    finally:
        await conn.close()
