"""Cron schedules in real processes: a due tick fires exactly once with three processes
on one PostgreSQL database (one `openpal serve`, two `openpal worker`), or one process on
SQLite; a tick missed by hours (every process was down) fires once, and the schedule
moves on to its first tick after now."""

from __future__ import annotations

import asyncio
import time

from openpal.service.catalog import workflow_id_for
from openpal.store.history_records import RunFilter
from tests.conftest import start_server, start_worker

FLOW = """\
name: every-morning
inputs:
  - {name: who, type: string}
triggers:
  cron: "0 7 * * *"
  timezone: Europe/Berlin
  input: {who: cron}
steps:
  - {name: hi, type: transform.set, with: {value: {hello: "{{ input.who }}"}}}
"""
HOUR = 3600 * 1_000_000


async def _open(data, db_url):
    if db_url is None:
        from openpal.store.sqlite import SqliteStore

        store = SqliteStore(data / "openpal.db")
    else:
        from openpal.store.postgres import PostgresStore

        store = PostgresStore(db_url, pool_size=2)
    await store.open()
    return store


async def _wait(probe, seconds=20.0):
    deadline = time.monotonic() + seconds
    while True:
        found = await probe()
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


def test_a_due_tick_fires_once_across_processes(tmp_path, db_url):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "every-morning.yaml").write_text(FLOW)
    data = tmp_path / "data"
    server = start_server(data, workflows=flows, database_url=db_url)
    workers = []
    if db_url is not None:  # PostgreSQL: three processes race for each tick
        workers = [
            start_worker(data, database_url=db_url, workflows=flows, name=f"w{n}") for n in (1, 2)
        ]
    try:
        asyncio.run(_check(data, db_url, server))
    finally:
        for w in workers:
            w.stop()
        server.stop()


async def _check(data, db_url, server):
    store = await _open(data, db_url)
    try:
        wf = workflow_id_for("every-morning")

        async def schedules():
            return await store.list_schedules(wf)

        (first,) = await _wait(schedules)
        assert (first.cron, first.timezone, first.input) == (
            "0 7 * * *",
            "Europe/Berlin",
            {"who": "cron"},
        )
        assert first.next_fire_at > time.time_ns() // 1000  # nothing due: no run yet
        await asyncio.sleep(1.5)
        flt = RunFilter(tenant_id="default", trigger_type="cron")
        assert await store.list_runs(flt) == []
        for round_ in (1, 2):
            (s,) = await schedules()
            missed = time.time_ns() // 1000 - (3 + round_) * 24 * HOUR  # days of downtime
            assert await store.advance_schedule(s.id, s.next_fire_at, missed, 0, None)

            async def runs(n=round_):
                found = await store.list_runs(flt)
                return found if len(found) >= n else None

            assert await _wait(runs)
            await asyncio.sleep(2.5)  # every process has looked at least twice since
            found = await store.list_runs(flt)
            assert len(found) == round_, [r.id for r in found]
            (after,) = await schedules()
            assert after.next_fire_at > time.time_ns() // 1000
            assert after.last_run_id == found[0].id
        with server.client() as api:
            body = api.get(f"/api/v1/runs/{found[0].id}").json()
        assert body["run"]["triggerType"] == "cron", body
    finally:
        await store.close()
