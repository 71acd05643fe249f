"""The `store` fixture: every contract test runs against every backend.

`open_store()` opens another store on the same database (another process, in
effect: its own connections, its own writer), for the tests of what happens
when several processes share one database.
"""

import pytest

from tests.pg import BACKENDS, create_database, db_url, drop_database, require_postgres


@pytest.fixture(params=BACKENDS)
async def open_store(request, tmp_path):
    opened = []
    name = None
    if request.param == "postgres":
        require_postgres()
        name = await create_database()

    async def opener():
        if name is None:
            from openpal.store.sqlite import SqliteStore

            s = SqliteStore(tmp_path / "openpal.db")
        else:
            from openpal.store.postgres import PostgresStore

            s = PostgresStore(db_url(name), pool_size=4)
        await s.open()
        opened.append(s)
        return s

    opener.backend = request.param
    yield opener
    for s in opened:
        await s.close()
    if name is not None:
        await drop_database(name)


@pytest.fixture
async def store(open_store):
    return await open_store()
