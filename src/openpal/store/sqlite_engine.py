"""SQLite plumbing: one writer thread with group commit, a small reader pool, migrations.

Why a writer thread: SQLite allows one writer at a time, and a durable commit
(WAL, `synchronous=FULL`) costs an fsync. The writer drains every operation
queued while the previous commit was on disk and runs them in one
transaction, each inside its own savepoint, so a failing operation rolls back
alone while the fsync is shared by the whole batch (group commit). Futures
resolve only after COMMIT returns: an answered write is durable.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from openpal.store.schema import bundled_migrations, split_sql

T = TypeVar("T")
WriteOp = Callable[[sqlite3.Connection], Any]

_MAX_BATCH = 512
_STOP = object()


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection with the settings every openpal connection uses."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-32000")
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations under one write lock; returns the names applied.

    BEGIN IMMEDIATE takes the write lock first, so two processes starting at
    once serialise here and the second sees the first one's work.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for number, name, sql in bundled_migrations("sqlite"):
            if number in done:
                continue
            for statement in split_sql(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))", (number, name)
            )
            applied.append(name)
        conn.execute("COMMIT")
        return applied
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class SqliteEngine:
    """Runs write operations on one thread (batched) and reads on a small pool."""

    def __init__(self, path: Path, *, readers: int = 4) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer_conn = connect(path)
        apply_migrations(self._writer_conn)
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="openpal-read")
        self._thread = threading.Thread(target=self._write_loop, name="openpal-write", daemon=True)
        self._closed = False
        self._thread.start()

    # -- writes -----------------------------------------------------------
    async def write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run `op` inside the next group-committed transaction; resolves after COMMIT."""
        if self._closed:
            raise RuntimeError("store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((op, future, loop))
        return await future

    def _write_loop(self) -> None:
        conn = self._writer_conn
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < _MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(nxt)
            self._run_batch(conn, batch)

    def _run_batch(self, conn: sqlite3.Connection, batch: list[Any]) -> None:
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, _, _ in batch:
                conn.execute("SAVEPOINT op")
                try:
                    result = op(conn)
                except BaseException as exc:  # one op failing must not sink the batch
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((None, exc))
                else:
                    conn.execute("RELEASE op")
                    outcomes.append((result, None))
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(None, exc) for _ in batch]
        for (_, future, loop), (result, error) in zip(batch, outcomes, strict=True):
            loop.call_soon_threadsafe(_resolve, future, result, error)

    # -- reads ------------------------------------------------------------
    async def read(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run `op` on a reader connection (sees every committed write)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_on_thread, op)

    async def read_point(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run a primary-key lookup right here, on the event loop's own connection.

        A point read takes tens of microseconds; handing it to a reader thread costs
        more than the read (two thread switches and a fight for the GIL under load).
        Scans and anything that may read many rows go through `read`."""
        return self._read_on_thread(op)

    def _read_on_thread(self, op: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        return op(conn)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        self._readers.shutdown(wait=True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
        self._writer_conn.close()


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
