"""The executor in-process, on a real SQLite store, with a clock that jumps: what each
way of ending a step records (one outcome, one place), retries and back-off to the
microsecond, the run's deadline, and heartbeats renewing the lease."""

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
from tests.fake_clock import START, FakeClock

FLOWS = Path(__file__).parent / "flows"


class Harness:
    def __init__(self, store: SqliteStore, runs: RunService, executor: RunExecutor) -> None:
        self.store, self.runs, self.executor = store, runs, executor

    async def run(self, target: str, data: dict, **start: object):
        """Start a run, claim it at the fake clock's time, execute it to its end (or to
        where it parks); the run and its steps as stored."""
        started = await self.runs.start("default", target, data, **start)
        (claim,) = await self.store.claim_runs("w1", 1, 30, self.executor.clock.now())
        assert claim.run.id == started.id
        await self.executor.execute(claim)
        run = await self.store.get_run("default", started.id)
        return run, await self.store.get_steps(started.id)


@pytest.fixture
async def harness(tmp_path):
    store = SqliteStore(tmp_path / "openpal.db")
    await store.open()
    catalog = Catalog(store)
    await catalog.load([TEST_WORKFLOWS, FLOWS], examples=False)
    hub = Hub()
    clock = FakeClock()
    executor = RunExecutor(store, catalog, LocalBlobStore(tmp_path / "blobs"), hub,
                           lease_seconds=30, clock=clock)  # fmt: skip
    yield Harness(store, RunService(store, catalog, hub), executor)
    await store.close()


async def test_retries_back_off_exactly_and_stamp_the_clocks_time(harness):
    run, steps = await harness.run("workflows.chatty", {"note": "x"})
    clock = harness.executor.clock
    assert run.status == RunStatus.FAILED
    assert run.error == "step 'check' failed: ValueError: x does not add up"
    (step,) = steps
    assert (step.status, step.attempts) == ("failed", 2)
    assert clock.slept == [0.01]  # chatty: backoff_seconds 0.01, no jitter
    events = await harness.store.list_run_events(run.id)
    (retry,) = [e for e in events if e.type == "step.retry"]
    assert retry.at == START and retry.data["delaySeconds"] == 0.01
    assert step.completed_at == START + 10_000 == run.completed_at  # after the back-off


async def test_the_deadline_ends_the_run_inside_a_step_without_waiting(harness):
    clock = harness.executor.clock
    run, steps = await harness.run("workflows.slow-retries", {}, deadline_seconds=5)
    assert run.status == RunStatus.FAILED
    assert run.error == "run timed out: over its 5 s deadline"
    assert clock.slept == [2.0, 4.0]  # back-off moved time past the deadline
    # the third attempt had no time left: the step ends on the run's deadline
    assert [(s.status, s.error) for s in steps] == [
        ("completed", None),
        ("failed", "run timed out: over its 5 s deadline"),
    ]
    assert steps[1].completed_at == START + 6_000_000


async def test_each_way_a_step_ends_records_its_row_and_the_runs_end(harness):
    rejected, steps = await harness.run("workflows.refuses", {})
    assert (rejected.status, rejected.error) == (RunStatus.REJECTED, "no, thank you")
    assert [(s.status, s.error, s.attempts) for s in steps] == [("rejected", "no, thank you", 1)]
    skipped, steps = await harness.run("workflows.branches", {"amount": 5})
    assert skipped.status == RunStatus.COMPLETED
    assert "skipped" in [s.status for s in steps]


async def test_a_heartbeat_renews_the_lease_at_once(harness, monkeypatch):
    renewed = []
    real = harness.store.renew_lease

    async def spy(run_id, token, lease, now):
        renewed.append(now)
        return await real(run_id, token, lease, now)

    monkeypatch.setattr(harness.store, "renew_lease", spy)
    monkeypatch.setattr("openpal.worker.lease.HEARTBEAT_EVERY", 0.01)
    run, _ = await harness.run("workflows.beats", {})
    assert run.status == RunStatus.COMPLETED
    assert renewed, "the step's heartbeat renewed nothing (lease 30 s: no timed renewal)"
