"""The SQLite writer never checkpoints the WAL inside a COMMIT: a thread of its own
does, soon after commits, so the log stays bounded while commits never wait for the
copy (before, every ~1,000 pages one commit also copied the log into the database and
fsynced it, and everything batched with it waited)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from openpal.store import sqlite_checkpoints
from openpal.store.sqlite_checkpoints import WRITER_PAGES
from openpal.store.sqlite_engine import SqliteEngine

MIB = 1 << 20


def _wal_bytes(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_the_writer_leaves_checkpoints_to_its_own_thread(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sqlite_checkpoints, "RESTART_BYTES", 2 * MIB)  # 16 MiB by default
    db = tmp_path / "x.db"
    engine = SqliteEngine(db)
    try:
        row = engine._writer_conn.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert row[0] == WRITER_PAGES  # a COMMIT copies the log only as a last resort

        async def write_a_lot() -> None:
            await engine.execute("CREATE TABLE blobs (b BLOB)")
            for _ in range(40):  # 40 MiB through the log, in 256 KiB rows
                row = b"x" * (MIB // 4)
                await asyncio.gather(
                    *(engine.execute("INSERT INTO blobs VALUES (?)", row) for _ in range(4))
                )
                await asyncio.sleep(0.01)

        asyncio.run(write_a_lot())
        deadline = time.monotonic() + 10
        while engine.checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.checkpointer.checkpoints > 0
        # the log was started over while writes went on: bounded, not all 40 MiB
        assert _wal_bytes(db) < 20 * MIB, _wal_bytes(db)
        count = engine._writer_conn.execute("SELECT count(*) FROM blobs").fetchone()[0]
        assert count == 160
    finally:
        engine.close()
    assert engine.checkpointer._thread.is_alive() is False
