"""The `store` fixture: every contract test runs against every backend."""

import pytest

from openpal.store.sqlite import SqliteStore


@pytest.fixture(params=["sqlite"])
async def store(request, tmp_path):
    s = SqliteStore(tmp_path / "openpal.db")
    yield s
    await s.close()
