"""Fan-out (`forEach`) in-process, on SQLite and PostgreSQL: `item`/`item_index` in `with:`,
output in input order, `fail_fast` against `collect`, per-item retries, the item limit,
a non-list, a resumed step that runs only the items without a kept row, and a fan-out
declared with the Python API."""

from __future__ import annotations

from pathlib import Path

import pytest

from openpal.blobs.local import LocalBlobStore
from openpal.engine.states import RunStatus
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.service.runs import RunService
from openpal.store.history_records import ItemResult
from openpal.worker.executor import RunExecutor
from tests.fake_clock import FakeClock
from tests.pg import BACKENDS, create_database, db_url, drop_database, require_postgres

FANOUT = Path(__file__).resolve().parents[1] / "workflows_fanout"


class Harness:
    def __init__(self, store, runs: RunService, executor: RunExecutor) -> None:
        self.store, self.runs, self.executor = store, runs, executor

    async def run(self, target: str, data: dict):
        """Start a run, claim it and execute it to its end; the run and its steps."""
        started = await self.runs.start("default", target, data)
        (claim,) = await self.store.claim_runs("w1", 1, 30, self.executor.clock.now())
        assert claim.run.id == started.id
        await self.executor.execute(claim)
        run = await self.store.get_run("default", started.id)
        return run, await self.store.get_steps(started.id)


@pytest.fixture(params=BACKENDS)
async def harness(request, tmp_path):
    name = None
    if request.param == "postgres":
        require_postgres()
        from openpal.store.postgres import PostgresStore

        name = await create_database()
        store = PostgresStore(db_url(name), pool_size=4)
    else:
        from openpal.store.sqlite import SqliteStore

        store = SqliteStore(tmp_path / "openpal.db")
    await store.open()
    catalog = Catalog(store)
    await catalog.load([FANOUT], examples=False)
    hub = Hub()
    executor = RunExecutor(store, catalog, LocalBlobStore(tmp_path / "blobs"), hub,
                           lease_seconds=30, clock=FakeClock(), max_foreach_items=50)  # fmt: skip
    yield Harness(store, RunService(store, catalog, hub), executor)
    await store.close()
    if name is not None:
        await drop_database(name)


def _calls(log: Path) -> list[int]:
    return [int(x) for x in log.read_text().split()] if log.exists() else []


async def test_items_see_item_and_index_and_the_output_keeps_input_order(harness, tmp_path):
    run, _ = await harness.run("workflows.fan-literal", {"prefix": "q"})
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.output == [{"label": "q-a-0"}, {"label": "q-b-1"}, {"label": "q-q-2"}]
    kept = await harness.store.list_items(run.id, 0)
    assert [(i.item_index, i.status) for i in kept] == [(0, "completed"), (1, "completed"),
                                                       (2, "completed")]  # fmt: skip
    data = {"count": 30, "log": str(tmp_path / "m.log"), "delay": 0}
    many, _ = await harness.run("workflows.fan-many", data)
    assert many.status == RunStatus.COMPLETED, many.error
    assert many.output["results"] == [{"n": n, "square": n * n} for n in range(30)]
    assert await harness.store.count_items(many.id) == {1: {"completed": 30}}


async def test_fail_fast_starts_no_item_after_the_first_failure(harness, tmp_path):
    log = tmp_path / "fast.log"
    run, steps = await harness.run("workflows.fan-fast", {"items": [1, 2, -3, 4, 5],
                                                          "log": str(log)})  # fmt: skip
    assert run.status == RunStatus.FAILED
    assert run.error == "step 'each' failed: item 2 failed: ValueError: negative: -3"
    assert _calls(log) == [0, 1, 2]  # max_parallel 1: nothing after item 2 started
    assert [(s.status, s.output) for s in steps] == [("failed", None)]
    kept = await harness.store.list_items(run.id, 0)
    assert [(i.item_index, i.status) for i in kept] == [(0, "completed"), (1, "completed"),
                                                       (2, "failed")]  # fmt: skip
    assert kept[2].error == "ValueError: negative: -3"


async def test_collect_runs_every_item_and_completes_with_error_objects(harness, tmp_path):
    log = tmp_path / "collect.log"
    run, steps = await harness.run("workflows.fan-collect", {"items": [1, -2, 3, -4],
                                                             "log": str(log)})  # fmt: skip
    assert run.status == RunStatus.COMPLETED, run.error
    assert sorted(_calls(log)) == [0, 1, 2, 3]
    assert steps[0].status == "completed"
    assert steps[0].output == [
        {"value": 1, "index": 0},
        {"error": "ValueError: negative: -2", "item_index": 1},
        {"value": 3, "index": 2},
        {"error": "ValueError: negative: -4", "item_index": 3},
    ]
    assert run.output == {"count": 4}  # the next step read the whole list
    assert await harness.store.count_items(run.id) == {0: {"completed": 2, "failed": 2}}


async def test_each_item_retries_on_its_own(harness, tmp_path):
    log = tmp_path / "flaky.log"
    run, steps = await harness.run("workflows.fan-retry", {"count": 5, "log": str(log)})
    assert run.status == RunStatus.COMPLETED, run.error
    assert steps[1].output == [{"index": i, "attempt": 2} for i in range(5)]
    assert sorted(_calls(log)) == sorted(list(range(5)) * 2)  # each item: two attempts
    assert {i.attempts for i in await harness.store.list_items(run.id, 1)} == {2}
    retries = [e for e in await harness.store.list_run_events(run.id) if e.type == "step.retry"]
    assert len(retries) == 5


async def test_a_list_over_the_limit_and_a_non_list_fail_the_step(harness, tmp_path):
    log = tmp_path / "limit.log"
    run, steps = await harness.run("workflows.fan-fast", {"items": list(range(51)),
                                                          "log": str(log)})  # fmt: skip
    assert run.status == RunStatus.FAILED
    assert run.error == ("step 'each' failed: forEach gave 51 items, over the limit of 50"
                         " (OPENPAL_MAX_FOREACH_ITEMS)")  # fmt: skip
    assert not log.exists()  # no item ran
    for thing, kind in (({"list": "abc"}, "str"), ({"list": {"a": 1}}, "dict"), ({}, "null")):
        run, _ = await harness.run("workflows.fan-any", {"thing": thing})
        assert run.status == RunStatus.FAILED
        assert run.error.startswith(f"step 'each' failed: forEach must give a list, not {kind}")
    empty, steps = await harness.run("workflows.fan-any", {"thing": {"list": []}})
    assert empty.status == RunStatus.COMPLETED and steps[0].output == []


async def test_a_resumed_step_runs_only_the_items_without_a_kept_row(harness, tmp_path):
    """Items 0, 2 and 4 ended before a crash (their rows kept): the run taken over runs
    1, 3 and 5 only, and the output holds the kept outputs in their places."""
    log = tmp_path / "resume.log"
    started = await harness.runs.start("default", "workflows.fan-collect",
                                       {"items": [0, 1, 2, 3, 4, 5], "log": str(log)})  # fmt: skip
    (claim,) = await harness.store.claim_runs("w1", 1, 30, harness.executor.clock.now())
    for index in (0, 2, 4):
        kept = ItemResult(0, index, "completed", {"kept": index}, None, 1, 1, 2)
        assert await harness.store.save_item(started.id, claim.run.fencing_token, kept)
    # a writer whose token is no longer the run's keeps nothing
    stale = ItemResult(0, 1, "completed", {"stale": True}, None, 1, 1, 2)
    assert not await harness.store.save_item(started.id, claim.run.fencing_token - 1, stale)
    await harness.executor.execute(claim)
    run = await harness.store.get_run("default", started.id)
    assert run.status == RunStatus.COMPLETED, run.error
    assert sorted(_calls(log)) == [1, 3, 5]
    steps = await harness.store.get_steps(started.id)
    assert steps[0].output == [
        {"kept": 0}, {"value": 1, "index": 1}, {"kept": 2},
        {"value": 3, "index": 3}, {"kept": 4}, {"value": 5, "index": 5},
    ]  # fmt: skip


def _after_saves(harness, count: int, then) -> list[int]:
    """Spy on `save_item`: after the `count`-th kept item, await `then()`; the kept indexes."""
    saved: list[int] = []
    real = harness.store.save_item

    async def spy(run_id, token, item):
        kept = await real(run_id, token, item)
        saved.append(item.item_index)
        if len(saved) == count:
            await then()
        return kept

    harness.store.save_item = spy
    return saved


async def test_shutting_down_hands_the_run_back_between_items(harness, tmp_path):
    log = tmp_path / "drain.log"

    async def drain():
        harness.executor.draining.set()

    saved = _after_saves(harness, 2, drain)
    started = await harness.runs.start("default", "workflows.fan-fast",
                                       {"items": [1, 2, 3, 4, 5], "log": str(log)})  # fmt: skip
    (claim,) = await harness.store.claim_runs("w1", 1, 30, harness.executor.clock.now())
    await harness.executor.execute(claim)
    handed = await harness.store.get_run("default", started.id)
    assert handed.status == RunStatus.PENDING and handed.next_step == 0
    assert saved == [0, 1] and _calls(log) == [0, 1]  # max_parallel 1: no third item
    harness.executor.draining.clear()
    (again,) = await harness.store.claim_runs("w1", 1, 30, harness.executor.clock.now())
    await harness.executor.execute(again)
    done = await harness.store.get_run("default", started.id)
    assert done.status == RunStatus.COMPLETED, done.error
    assert _calls(log) == [0, 1, 2, 3, 4]  # the kept items did not run again
    assert [o["value"] for o in done.output] == [1, 2, 3, 4, 5]


async def test_a_cancel_stamped_elsewhere_stops_the_items(harness, tmp_path):
    """A cancel from another process (no in-process signal) is read between items."""
    log = tmp_path / "cancel.log"
    run_ids: list[str] = []

    async def cancel_elsewhere():
        clock = harness.executor.clock
        await harness.store.request_cancel("default", run_ids[0], clock.now())
        clock.advance(2)  # past CANCEL_CHECK_SECONDS

    _after_saves(harness, 2, cancel_elsewhere)
    started = await harness.runs.start("default", "workflows.fan-fast",
                                       {"items": [1, 2, 3, 4, 5], "log": str(log)})  # fmt: skip
    run_ids.append(started.id)
    (claim,) = await harness.store.claim_runs("w1", 1, 30, harness.executor.clock.now())
    await harness.executor.execute(claim)
    run = await harness.store.get_run("default", started.id)
    assert run.status == RunStatus.CANCELLED
    assert _calls(log) == [0, 1]


async def test_a_python_for_each_step_runs_once_per_item(harness, tmp_path):
    """`@wf.step(for_each=...)` (tests/workflows_fanout/fan_python.py), end to end."""
    log = tmp_path / "py.log"
    run, steps = await harness.run("workflows.fan-python", {"values": [3, -1, 0, 5],
                                                            "log": str(log)})  # fmt: skip
    assert run.status == RunStatus.COMPLETED, run.error
    each = steps[1]
    assert (each.name, each.status) == ("each", "completed")
    assert each.output == [
        {"double": 6, "at": 0},
        {"error": "ValueError: bad item: -1", "item_index": 1},
        {"double": 0, "at": 2},  # failed once, passed on its retry
        {"double": 10, "at": 3},
    ]
    assert sorted(_calls(log)) == [0, 1, 1, 2, 2, 3]  # items 1 and 2 tried twice
    assert run.output == {"count": 4, "failed": 1}
    kept = await harness.store.list_items(run.id, 1)
    assert [(i.item_index, i.status, i.attempts) for i in kept] == [
        (0, "completed", 1),
        (1, "failed", 2),
        (2, "completed", 2),
        (3, "completed", 1),
    ]
