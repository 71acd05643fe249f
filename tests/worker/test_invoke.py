"""`workflow.invoke` in-process (real SQLite store, injected clock): a parent resumed before
its child ended finds that child and starts no second one; a parent over its deadline ends
`failed` and cancels the child it waited for."""

from __future__ import annotations

from pathlib import Path

import pytest

from openpal.blobs.local import LocalBlobStore
from openpal.engine.states import RunStatus
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.service.runs import RunService
from openpal.store.sqlite import SqliteStore
from openpal.worker.executor import RunExecutor
from tests.conftest import TEST_WORKFLOWS
from tests.fake_clock import FakeClock

CHILDREN = Path(__file__).resolve().parents[1] / "workflows_children"


@pytest.fixture
async def parts(tmp_path):
    store = SqliteStore(tmp_path / "openpal.db")
    await store.open()
    catalog = Catalog(store)
    await catalog.load([TEST_WORKFLOWS, CHILDREN], examples=True)
    hub = Hub()
    executor = RunExecutor(store, catalog, LocalBlobStore(tmp_path / "blobs"), hub,
                           lease_seconds=30, clock=FakeClock())  # fmt: skip
    yield store, RunService(store, catalog, hub), executor
    await store.close()


async def _step(store, executor):
    """Claim the next due run at the clock's time and execute it; its id."""
    (claim,) = await store.claim_runs("w1", 1, 30, executor.clock.now())
    await executor.execute(claim)
    return claim.run.id


async def test_a_resumed_parent_starts_no_second_child(parts):
    store, runs, executor = parts
    parent = await runs.start("default", "workflows.invoke-two", {"seconds": 0})
    assert await _step(store, executor) == parent.id  # starts child 1, parks
    (child,) = await store.list_children(parent.id)
    waiting = await store.get_run("default", parent.id)
    assert waiting.status == RunStatus.WAITING and waiting.waiting_for == "children"
    # woken before the child ran (a lost race, a takeover): it must find the same child
    assert await store.wake_waiting(parent.id, "children", executor.clock.now())
    assert await _step(store, executor) == parent.id
    assert [c.id for c in await store.list_children(parent.id)] == [child.id]
    assert await _step(store, executor) == child.id  # the child ends: the parent is due
    assert await _step(store, executor) == parent.id  # starts child 2 (hello)
    assert len(await store.list_children(parent.id)) == 2
    await _step(store, executor)  # child 2
    assert await _step(store, executor) == parent.id
    done = await store.get_run("default", parent.id)
    assert done.status == RunStatus.COMPLETED, done.error
    assert done.output == {"counted": 3, "greeting": "Hello, child 3!"}
    assert await store.claim_runs("w1", 1, 30, executor.clock.now()) == []


async def test_a_parent_over_its_deadline_cancels_its_child(parts):
    store, runs, executor = parts
    parent = await runs.start("default", "workflows.invoke-two", {"seconds": 5}, deadline_seconds=2)
    assert await _step(store, executor) == parent.id
    (child,) = await store.list_children(parent.id)
    waiting = await store.get_run("default", parent.id)
    assert waiting.wait_until <= executor.clock.now() + 2_000_000  # wakes at its deadline
    executor.clock.advance(3)
    # the parent is due at its deadline (claimed before the pending child)
    assert await _step(store, executor) == parent.id
    ended = await store.get_run("default", parent.id)
    assert ended.status == RunStatus.FAILED and ended.error.startswith("run timed out")
    assert (await store.get_run("default", child.id)).status == RunStatus.CANCELLED
