"""PostgreSQL plumbing: a connection pool, migrations under a lock, and LISTEN.

Driver: asyncpg, chosen by measurement (`bench/pg_drivers.py`: 15-40 % more
one-row transactions per second than psycopg 3 on the store's statement
shapes, from one task and from 32).

Migrations run inside one transaction holding an advisory lock, so any number
of processes may start at once against a fresh database: one applies the
pending steps, the others wait and then find nothing left to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import asyncpg

from openpal.errors import InvalidInput, Issue, Unavailable
from openpal.store.schema import bundled_migrations

T = TypeVar("T")
log = logging.getLogger("openpal.store")

# one channel per event kind (migration 0012): a process hears only what it acts on
CHANNEL_PREFIX = "openpal_"
_MIGRATION_LOCK = 0x6F70656E70616C  # "openpal": pg_advisory_xact_lock key
_PING_SECONDS = 15.0


# The database is unreachable, restarting, or dropped our connection mid-statement
# (class 08 connection exceptions, class 57 operator intervention such as an admin
# shutdown, and the client-side errors asyncpg raises on a connection that died under it).
_CONNECTION_ERRORS = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


@contextlib.contextmanager
def _text_errors() -> Iterator[None]:
    """Text PostgreSQL cannot hold (a NUL character) is bad input, not a server error;
    a database that cannot be reached is `Unavailable` (503, retry), not a crash."""
    try:
        yield
    except (
        asyncpg.CharacterNotInRepertoireError,
        asyncpg.UntranslatableCharacterError,
    ) as exc:
        raise InvalidInput(
            [Issue("<root>", f"text the database cannot store: {exc}", "invalid_value")]
        ) from exc
    except _CONNECTION_ERRORS as exc:
        raise Unavailable(f"database unavailable: {exc}") from exc


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations in one transaction under an advisory lock."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for number, name, sql in bundled_migrations("postgres"):
            if number in done:
                continue
            await conn.execute(sql)  # no arguments: the simple protocol runs the whole file
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", number, name
            )
            applied.append(name)
        return applied


async def migrate(url: str) -> list[str]:
    """Connect, apply pending migrations, disconnect (for `openpal db upgrade`)."""
    conn = await asyncpg.connect(url)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()


class PgEngine:
    """A pool of connections to one database, opened once per process."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is not None:
            return
        conn = await asyncpg.connect(self.url)
        try:
            applied = await apply_migrations(conn)
        finally:
            await conn.close()
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        self._pool = await asyncpg.create_pool(
            self.url, min_size=min(2, self.pool_size), max_size=self.pool_size, reset=_keep
        )

    def usage(self) -> tuple[int, int] | None:
        """(connections in use, connections open) of the pool; None before `open`."""
        if self._pool is None:
            return None
        size = self._pool.get_size()
        return size - self._pool.get_idle_size(), size

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store is not open (call `await store.open()` first)")
        return self._pool

    async def tx(self, op: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run `op` in one transaction on a pooled connection; committed when it returns."""
        with _text_errors():
            async with self.pool.acquire() as conn, conn.transaction():
                return await op(conn)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        with _text_errors():
            return await self.pool.fetch(sql, *args)  # type: ignore[no-any-return]

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        with _text_errors():
            return await self.pool.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        with _text_errors():
            return await self.pool.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        with _text_errors():
            return await self.pool.execute(sql, *args)  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def listen(self, deliver: Callable[[str, str], None], channels: dict[str, str]) -> None:
        """Deliver `(kind, run_id)` for every NOTIFY on `channels` (channel name → the
        kind it carries; payload: the run id), until cancelled.

        One dedicated connection (not from the pool). When it drops, reconnect
        with backoff and deliver `("resync", "")`: events sent while deaf are lost,
        so whoever waits re-reads the state it waits on.
        """
        backoff = 0.2
        while True:
            try:
                conn = await asyncpg.connect(self.url)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("LISTEN connection failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.2
            try:
                await _listen_on(conn, deliver, channels)
            except Exception as exc:  # whatever broke the connection, listening must go on
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 5)


async def _listen_on(
    conn: asyncpg.Connection, deliver: Callable[[str, str], None], channels: dict[str, str]
) -> None:
    """Listen on one connection until it is lost (pinging it now and then)."""
    lost = asyncio.Event()

    def on_notify(_c: object, _pid: int, channel: str, payload: str) -> None:
        deliver(channels[channel], payload)

    conn.add_termination_listener(lambda _c: lost.set())
    for channel in sorted(channels):
        await conn.add_listener(channel, on_notify)
    deliver("resync", "")
    while not lost.is_set():
        try:
            await asyncio.wait_for(lost.wait(), _PING_SECONDS)
        except TimeoutError:
            await conn.fetchval("SELECT 1", timeout=_PING_SECONDS)


async def _keep(conn: asyncpg.Connection) -> None:
    """Pool reset: nothing to undo. asyncpg's default sends RESET ALL, CLOSE ALL, UNLISTEN *
    and pg_advisory_unlock_all() on every release (a round trip per store call), but pooled
    connections never change session state: advisory locks are transaction-scoped,
    LISTEN has its own connection, nothing SETs. asyncpg still rolls back an open
    transaction before calling this."""
