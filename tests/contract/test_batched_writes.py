"""Writes that arrive together are answered one by one, whether or not the store batches
them (PostgreSQL writes starts, checkpoints and ends of many runs in one statement).

Each answer must be the run's own: a checkpoint whose lease was lost fails alone,
text one run's row cannot hold fails that run alone, and what was answered is stored.
"""

import asyncio

import pytest

from openpal.engine.states import RunStatus
from openpal.errors import InvalidInput, LeaseLost
from openpal.store.records import StepResult
from tests.contract.test_many_processes import _another
from tests.contract.test_store import T0, _run, _step

N = 40


async def _claimed(store, n):
    seed = await _run(store)
    await asyncio.gather(
        *(store.create_run(_another(seed, T0 + 1 + i, input={"i": i})) for i in range(n - 1))
    )
    claims = await store.claim_runs("w", n, 30, T0 + 100)
    assert len(claims) == n
    return [c.run for c in claims]


async def test_concurrent_starts_are_all_stored_with_their_own_rows(store):
    seed = await _run(store)
    made = await asyncio.gather(
        *(
            store.create_run(_another(seed, T0 + 1 + i, input={"i": i}, tags=(f"t{i}",)))
            for i in range(N)
        )
    )
    if hasattr(store, "_starts"):
        assert store._starts.flushes < N / 2
    for i, run in enumerate(made):
        got = await store.get_run("t1", run.id)
        assert got is not None and got.input == {"i": i} and got.tags == [f"t{i}"]
        assert got.status == RunStatus.PENDING


async def test_a_stale_token_fails_alone_in_a_burst_of_checkpoints(store):
    runs = await _claimed(store, N)
    stale = runs[7]

    async def checkpoint(run):
        token = run.fencing_token - 1 if run is stale else run.fencing_token
        return await store.checkpoint(
            run.id, token, _step(0, output=run.id), next_step=1, finalizing=False, now=T0 + 200
        )

    answers = await asyncio.gather(*(checkpoint(r) for r in runs), return_exceptions=True)
    if hasattr(store, "_advances"):  # PostgreSQL: the burst went in batches, not one by one
        assert store._advances.flushes < N / 2 and store._advances.items == N
    assert isinstance(answers[7], LeaseLost)
    assert all(not a.cancel_requested for i, a in enumerate(answers) if i != 7)
    for run in runs:
        (step,) = await store.get_steps(run.id) or [None]
        if run is stale:
            assert step is None  # nothing of it was written
        else:
            assert step.output == run.id
            assert (await store.get_run("t1", run.id)).next_step == 1


async def test_ends_in_a_burst_each_return_their_own_run(store):
    runs = await _claimed(store, N)
    await store.request_cancel("t1", runs[3].id, T0 + 150)  # a cancel stamped meanwhile wins

    async def end(i, run):
        return await store.finish_run(
            run.id,
            run.fencing_token,
            RunStatus.COMPLETED,
            output={"n": i},
            error=None,
            now=T0 + 300 + i,
            last_step=_step(0, output=i),
        )

    ended = await asyncio.gather(*(end(i, r) for i, r in enumerate(runs)))
    for i, (run, done) in enumerate(zip(runs, ended, strict=True)):
        assert done.id == run.id and done.completed_at == T0 + 300 + i
        if i == 3:
            assert done.status == RunStatus.CANCELLED and done.output is None
        else:
            assert done.status == RunStatus.COMPLETED and done.output == {"n": i}
        assert (await store.get_run("t1", run.id)).status == done.status
        assert [s.output for s in await store.get_steps(run.id)] == [i]


async def test_text_one_row_cannot_hold_fails_only_that_run(open_store):
    store = await open_store()
    runs = await _claimed(store, 12)
    bad = StepResult(0, "s", "failed", None, "boom\x00nul", 1, T0, T0 + 10)

    async def checkpoint(i, run):
        step = bad if i == 5 else _step(0, output=i)
        return await store.checkpoint(
            run.id, run.fencing_token, step, next_step=1, finalizing=False, now=T0 + 200
        )

    answers = await asyncio.gather(
        *(checkpoint(i, r) for i, r in enumerate(runs)), return_exceptions=True
    )
    if open_store.backend == "postgres":  # PostgreSQL text cannot hold NUL
        assert isinstance(answers[5], InvalidInput)
    else:
        assert not isinstance(answers[5], BaseException)
    for i, run in enumerate(runs):
        if i != 5:
            assert not isinstance(answers[i], BaseException), answers[i]
            assert [s.output for s in await store.get_steps(run.id)] == [i]


@pytest.mark.parametrize("n", [1, 300])
async def test_bursts_larger_than_one_batch(store, n):
    seed = await _run(store)
    made = await asyncio.gather(
        *(store.create_run(_another(seed, T0 + 1 + i, input={"i": i})) for i in range(n))
    )
    claims = await store.claim_runs("w", n + 1, 30, T0 + 10_000)
    assert {c.run.id for c in claims} == {r.id for r in made} | {seed.id}
