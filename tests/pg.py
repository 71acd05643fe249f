"""A fresh PostgreSQL database per test, on the cluster named by OPENPAL_TEST_PG_URL.

`./scripts/test` (and so `.ci/run`) starts that cluster with `./scripts/pg-up`.
Without it, PostgreSQL tests are skipped locally and fail in CI (CI=true).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ADMIN_URL = os.environ.get("OPENPAL_TEST_PG_URL", "")
BACKENDS = ["sqlite", "postgres"]


def require_postgres() -> str:
    if not ADMIN_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: set OPENPAL_TEST_PG_URL (./scripts/pg-up)")
        pytest.skip("no PostgreSQL: set OPENPAL_TEST_PG_URL (./scripts/pg-up)")
    return ADMIN_URL


def db_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database() -> str:
    name = "openpal_t_" + uuid.uuid4().hex[:12]
    await _admin(f'CREATE DATABASE "{name}"')
    return name


async def drop_database(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards (sync code only)."""
    require_postgres()
    name = asyncio.run(create_database())
    try:
        yield db_url(name)
    finally:
        asyncio.run(drop_database(name))


@contextmanager
def database_for(backend: str) -> Iterator[str | None]:
    """None for SQLite (the server's data folder holds it), else a fresh PostgreSQL URL."""
    if backend == "sqlite":
        yield None
        return
    with fresh_database() as url:
        yield url
