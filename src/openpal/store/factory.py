"""Pick the store for a deployment: SQLite in the data folder unless a database URL is set."""

from __future__ import annotations

from pathlib import Path

from openpal.store.base import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def make_store(database_url: str | None, sqlite_path: Path, *, pool_size: int = 10) -> Store:
    """A store, not yet opened (call `await store.open()`)."""
    if not database_url:
        from openpal.store.sqlite import SqliteStore

        return SqliteStore(sqlite_path)
    if is_postgres_url(database_url):
        try:
            from openpal.store.postgres import PostgresStore
        except ModuleNotFoundError as exc:
            if exc.name != "asyncpg":
                raise
            raise ValueError(
                "PostgreSQL needs the asyncpg driver: pip install 'openpal[postgres]'"
            ) from None

        return PostgresStore(database_url, pool_size=pool_size)
    raise ValueError(
        f"unsupported database URL {database_url.split('://', 1)[0]}://…"
        " (use postgresql://user:password@host:port/dbname, or unset it for SQLite)"
    )
