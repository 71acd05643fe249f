"""SQLite plumbing: one writer thread with group commit, a small reader pool, migrations.

Why a writer thread: SQLite allows one writer at a time, and a durable commit
(WAL, `synchronous=FULL`) costs an fsync. The writer drains every operation
queued while the previous commit was on disk and runs them in one
transaction, each inside its own savepoint, so a failing operation rolls back
alone while the fsync is shared by the whole batch (group commit). Futures
resolve only after COMMIT returns: an answered write is durable. The writer never
checkpoints the WAL itself: a thread of its own does (`sqlite_checkpoints`).

The engine also offers the async surface `PgEngine` has (`fetch`, `fetchrow`,
`fetchval`, `execute`, `tx`), so a statement body is written once for both stores
(`store.sql_dialect`). Its connection (`SqliteConn`) answers every call at once: the
writer runs a `tx` body, a coroutine function, to its end in one step (`_run_now`).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from openpal.private import private_file
from openpal.store.schema import bundled_migrations, split_sql
from openpal.store.sqlite_checkpoints import WRITER_PAGES, WalCheckpointer

T = TypeVar("T")
WriteOp = Callable[[sqlite3.Connection], Any]
Row = tuple[Any, ...]

_MAX_BATCH = 512
_STOP = object()


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection with the settings every openpal connection uses."""
    if str(path) != ":memory:":  # 0600 before SQLite writes a byte (its -wal/-shm follow)
        private_file(Path(path))
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


class SqliteConn:
    """A SQLite connection behind the calls of an asyncpg connection; each runs the
    statement at once on the calling thread (statements in `?` form)."""

    __slots__ = ("_c",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._c = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return self._c.execute(sql, args).fetchall()

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = self._c.execute(sql, args).fetchone()
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = self._c.execute(sql, args).fetchone()
        return None if row is None else row[0]

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; the number of rows it changed."""
        return self._c.execute(sql, args).rowcount

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> None:
        self._c.executemany(sql, args)


class SqliteEngine:
    """Runs write operations on one thread (batched) and reads on a small pool."""

    def __init__(self, path: Path, *, readers: int = 4) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer_conn = connect(path)
        apply_migrations(self._writer_conn)
        # checkpoints are the checkpointer's job; the writer's own only as a last resort
        self._writer_conn.execute(f"PRAGMA wal_autocheckpoint={WRITER_PAGES}")
        self.checkpointer = WalCheckpointer(path, connect)
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="openpal-read")
        self._thread = threading.Thread(target=self._write_loop, name="openpal-write", daemon=True)
        self._closed = False
        self._thread.start()

    # -- writes -----------------------------------------------------------
    def queued_writes(self) -> int:
        """Write operations waiting for the writer thread (the one in progress excluded)."""
        return self._queue.qsize()

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
            self.checkpointer.wrote()
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
        return op(self._thread_conn())

    def _thread_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        return conn

    # -- the surface of PgEngine ------------------------------------------
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Rows of a read, on a reader thread (a scan must not stall the event loop)."""
        return await self.read(lambda c: c.execute(sql, args).fetchall())

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        return await self.read(lambda c: c.execute(sql, args).fetchone())

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]

    async def execute(self, sql: str, *args: Any) -> int:
        """Write with one statement (group-committed); the number of rows it changed."""
        return await self.write(lambda c: c.execute(sql, args).rowcount)

    async def tx(self, op: Callable[[SqliteConn], Coroutine[Any, Any, T]]) -> T:
        """Run `op` in the next group-committed transaction, on the writer thread.

        `op` is a coroutine function written for both stores, but awaiting nothing
        other than its `SqliteConn`, whose calls answer at once, it never suspends:
        the writer runs it to its end in one step, with no event loop."""
        return await self.write(lambda c: _run_now(op(SqliteConn(c))))

    def inline(self) -> SqliteConn:
        """The event loop's own connection, for point reads (see `read_point`)."""
        conn: SqliteConn | None = getattr(self._local, "inline", None)
        if conn is None:
            conn = self._local.inline = SqliteConn(self._thread_conn())
        return conn

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        self.checkpointer.close()
        self._readers.shutdown(wait=True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
        self._writer_conn.close()


def _run_now(coro: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (see `SqliteEngine.tx`)."""
    try:
        coro.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coro.close()
    raise RuntimeError("a SQLite transaction body awaited something other than its connection")


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
