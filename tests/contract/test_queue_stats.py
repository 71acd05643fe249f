"""`Store.queue_stats`: the live runs of the whole database, by status, in one read."""

from openpal.engine.states import RunStatus
from openpal.store.history_records import QueueStats
from openpal.store.records import StepResult
from tests.contract.test_store import T0, _run


async def test_an_empty_database_has_no_queue(store):
    assert await store.queue_stats() == QueueStats(0, None, 0, 0)


async def test_pending_running_and_waiting_runs_are_counted(store):
    first = await _run(store, at=T0)
    await _run(store, at=T0 + 1_000_000)
    await _run(store, at=T0 + 2_000_000)
    stats = await store.queue_stats()
    assert stats == QueueStats(3, T0, 0, 0)

    claims = await store.claim_runs("w1", 2, 30, T0 + 3_000_000)  # the two oldest
    assert {c.run.id for c in claims} >= {first.id}
    stats = await store.queue_stats()
    assert (stats.pending, stats.running, stats.waiting) == (1, 2, 0)
    assert stats.oldest_pending_created_at == T0 + 2_000_000

    held = claims[0].run
    await store.park_run(
        held.id, held.fencing_token, waiting_for="approval", wake_at=None, now=T0 + 4_000_000
    )
    other = claims[1].run
    step = StepResult(0, "s", "completed", None, None, 1, T0, T0 + 10)
    await store.finish_run(
        other.id, other.fencing_token, RunStatus.FAILED, output=None, error="x",
        now=T0 + 5_000_000, last_step=step,
    )  # fmt: skip
    assert await store.queue_stats() == QueueStats(1, T0 + 2_000_000, 0, 1)


async def test_finished_runs_are_not_counted(store):
    run = await _run(store, at=T0)
    await store.request_cancel("t1", run.id, T0 + 1)
    assert await store.queue_stats() == QueueStats(0, None, 0, 0)
