"""The schedules contract (migration 0024) on every backend: syncing a workflow's
triggers, pausing, and one run per tick when several processes fire it at once."""

import asyncio

from openpal.service.catalog import Catalog, workflow_id_for
from openpal.service.notify import Hub
from openpal.service.runs import RunService
from openpal.service.schedules import Scheduler, set_paused
from openpal.store.catalog_records import ScheduleSpec
from openpal.store.history_records import RunFilter
from openpal.workflows.loader import load_workflow_text

FLOW = """\
name: nightly
inputs:
  - {name: who, type: string}
triggers:
  - {cron: "*/5 * * * *", timezone: Europe/Berlin, input: {who: cron}}
  - {cron: "0 7 * * 1-5", input: {who: weekday}}
steps:
  - {name: hi, type: transform.set, with: {value: {who: "{{ input.who }}"}}}
"""
MINUTE = 60_000_000
WF = workflow_id_for("nightly")


async def _process(store, text=FLOW):
    """What one process holds: its own catalog, run service and scheduler."""
    catalog = Catalog(store)
    await catalog.register(load_workflow_text(text))
    scheduler = Scheduler(store, catalog, RunService(store, catalog, Hub()))
    await scheduler.sync()
    return scheduler


async def _cron_runs(store):
    return await store.list_runs(RunFilter(tenant_id="default", trigger_type="cron"))


async def test_sync_stores_one_schedule_per_trigger_and_keeps_the_next_tick(store):
    await _process(store)
    first = await store.list_schedules(WF)
    assert [(s.idx, s.cron, s.timezone, s.input) for s in first] == [
        (0, "*/5 * * * *", "Europe/Berlin", {"who": "cron"}),
        (1, "0 7 * * 1-5", "UTC", {"who": "weekday"}),
    ]
    await store.advance_schedule(first[0].id, first[0].next_fire_at, 123, 100, None)
    # a new version with the same cron keeps the tick; a changed cron gets a new one;
    # a removed trigger is dropped
    changed = FLOW.replace('  - {cron: "0 7 * * 1-5", input: {who: weekday}}\n', "")
    await _process(store, changed.replace("name: hi", "name: hello"))
    after = await store.list_schedules(WF)
    assert [(s.idx, s.next_fire_at) for s in after] == [(0, 123)]
    await store.sync_schedules(WF, "v9", [ScheduleSpec("1 * * * *", "Europe/Berlin", {}, 456)], 200)
    assert [(s.cron, s.next_fire_at, s.version_id) for s in await store.list_schedules()] == [
        ("1 * * * *", 456, "v9")
    ]


async def test_advance_moves_a_tick_on_once(store):
    await store.sync_schedules("wf_x", "v1", [ScheduleSpec("* * * * *", "UTC", {}, 1000)], 1)
    (s,) = await store.list_schedules("wf_x")
    assert await store.advance_schedule(s.id, 1000, 2000, 1500, "exec_1")
    assert not await store.advance_schedule(s.id, 1000, 3000, 1600, "exec_2")
    (s,) = await store.list_schedules("wf_x")
    assert (s.next_fire_at, s.last_fired_at, s.last_run_id) == (2000, 1500, "exec_1")


async def test_paused_and_deleted_schedules_are_never_due(store):
    scheduler = await _process(store)
    schedules = await store.list_schedules(WF)
    for s in schedules:
        await store.advance_schedule(s.id, s.next_fire_at, 10, 0, None)
    assert len(await store.due_schedules(20, 10)) == 2
    paused = await set_paused(store, "nightly", 1, True)
    assert [s.paused for s in paused] == [False, True]
    assert [s.idx for s in await store.due_schedules(20, 10)] == [0]
    resumed = await set_paused(store, "nightly", None, False)
    assert not any(s.paused for s in resumed)
    assert all(s.next_fire_at > 20 for s in resumed)  # resumed: the next tick after now
    await store.delete_workflow(WF, now=30)
    assert await store.due_schedules(2**62, 10) == []
    assert await scheduler.fire_due() == []


async def test_three_processes_fire_a_tick_exactly_once(open_store):
    """Three stores on one database (three processes in effect) fire the same due tick
    at once, twice over: one run per tick; the tick was missed by hours (catch-up:
    one run, and the next tick is after now)."""
    stores = [await open_store() for _ in range(3)]
    schedulers = [await _process(s) for s in stores]
    (s0, _) = await stores[0].list_schedules(WF)
    for round_ in range(2):
        due = (await stores[0].list_schedules(WF))[0]
        hours_ago = schedulers[0].clock() - (3 + round_) * 60 * MINUTE
        assert await stores[0].advance_schedule(s0.id, due.next_fire_at, hours_ago, 0, None)
        fired = await asyncio.gather(*(s.fire_due() for s in schedulers))
        ids = {run.id for runs in fired for run in runs}
        assert len(ids) == 1, fired
        runs = await _cron_runs(stores[1])
        assert len(runs) == round_ + 1
        newest = await stores[0].get_run("default", runs[0].id)
        assert newest.input == {"who": "cron"} and newest.trigger_type == "cron"
        (after, _) = await stores[2].list_schedules(WF)
        assert after.next_fire_at > schedulers[0].clock()
        assert after.last_run_id in ids
        for s in schedulers:
            assert await s.fire_due() == []  # nothing due any more


async def test_catchup_none_skips_a_missed_tick_and_fires_one_on_time(store):
    scheduler = await _process(
        store, FLOW.replace("input: {who: cron}}", "input: {who: cron}, catchup: none}")
    )
    (s, _) = await store.list_schedules(WF)
    now = scheduler.clock()
    assert await store.advance_schedule(s.id, s.next_fire_at, now - 5 * 60 * MINUTE, 0, None)
    assert await scheduler.fire_due() == []  # hours late: skipped, moved on
    (after, _) = await store.list_schedules(WF)
    assert after.next_fire_at > now and after.last_run_id is None
    assert await store.advance_schedule(s.id, after.next_fire_at, now - 10_000_000, 0, None)
    (run,) = await scheduler.fire_due()  # 10 s late: on time
    assert run.trigger_type == "cron"
