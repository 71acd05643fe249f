"""The contract where several processes share one database: claims, keys, events."""

import asyncio

import pytest

from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.errors import Conflict
from openpal.store.records import IdempotencyKey, NewRun
from tests.contract.test_store import T0, _run, _step


def _another(seed, at, **extra):
    """A pending run of the same workflow version as `seed`, created at `at`."""
    return NewRun(
        id=new_id("exec", at),
        tenant_id="t1",
        workflow_id=seed.workflow_id,
        workflow_slug="wf-a",
        workflow_name="wf-a",
        version_id=seed.version_id,
        version_label="1.0",
        input=extra.pop("input", {}),
        trigger_type="api",
        created_at=at,
        status=RunStatus.PENDING,
        **extra,
    )


async def test_concurrent_claimers_never_share_a_run(open_store):
    stores = [await open_store() for _ in range(4)]
    created = [await _run(stores[0], at=T0 + i) for i in range(60)]
    taken: list[tuple[str, str]] = []

    async def worker(n: int) -> None:
        while True:
            claims = await stores[n].claim_runs(f"w{n}", 3, 30, T0 + 1000)
            if not claims:
                return
            taken.extend((c.run.id, f"w{n}") for c in claims)
            await asyncio.sleep(0)

    await asyncio.gather(*(worker(n) for n in range(4)))
    ids = [run_id for run_id, _ in taken]
    assert sorted(ids) == sorted(r.id for r in created)  # every run once, none twice
    if open_store.backend == "postgres":  # SKIP LOCKED: claimers work side by side
        assert len({owner for _, owner in taken}) > 1


async def test_queue_order_is_oldest_first(store):
    runs = [await _run(store, at=T0 + i) for i in (5, 1, 3)]
    order = [(await store.claim_runs("w", 1, 30, T0 + 10))[0].run.id for _ in runs]
    assert order == [runs[1].id, runs[2].id, runs[0].id]


async def test_same_idempotency_key_at_once_creates_one_run(open_store):
    stores = [await open_store() for _ in range(3)]
    wf_run = await _run(stores[0])  # registers the workflow

    async def start(s, i):
        return await s.create_run(
            _another(wf_run, T0 + 100 + i, input={"n": 1}),
            once=IdempotencyKey("k-1", "hash-1", T0),
        )

    results = await asyncio.gather(*(start(stores[i % 3], i) for i in range(9)))
    assert len({r.id for r in results}) == 1
    with pytest.raises(Conflict):
        await stores[1].create_run(
            _another(wf_run, T0 + 200, input={"n": 2}),
            once=IdempotencyKey("k-1", "hash-2", T0),
        )


async def test_stores_opened_at_once_migrate_once(open_store):
    stores = await asyncio.gather(*(open_store() for _ in range(5)))
    run = await _run(stores[0])
    assert (await stores[4].get_run("t1", run.id)).id == run.id


async def test_events_reach_other_processes(open_store):
    """PostgreSQL: another process hears of new work, cancels and finished runs; a run's
    end only where a request holds it (created held, or named to `hold_run`).
    SQLite has no channel between processes: its listener hears nothing."""
    api, worker, api2 = await open_store(), await open_store(), await open_store()
    heard: list[tuple[str, str]] = []

    api_heard: list[tuple[str, str]] = []
    api2_heard: list[tuple[str, str]] = []
    listening = asyncio.create_task(
        worker.listen(lambda *e: heard.append(e), frozenset({"work", "cancel"}))
    )
    # an API process hears only finished runs (what its held requests wait for)
    api_listening = asyncio.create_task(
        api.listen(lambda *e: api_heard.append(e), frozenset({"finished"}))
    )
    api2_listening = asyncio.create_task(
        api2.listen(lambda *e: api2_heard.append(e), frozenset({"finished"}))
    )

    async def end(run_id: str, at: int) -> None:
        (claim,) = await worker.claim_runs("w", 1, 30, at)
        assert claim.run.id == run_id
        token = claim.run.fencing_token
        await worker.finish_run(
            run_id, token, RunStatus.COMPLETED, output=1, error=None, now=at, last_step=_step(0)
        )

    try:
        if open_store.backend == "postgres":
            for log in (heard, api_heard, api2_heard):
                await _until(lambda log=log: ("resync", "") in log)
        run = await _run(api)
        await api.hold_run(run.id)  # a request on `api` now holds it
        (claim,) = await worker.claim_runs("w", 1, 30, T0 + 1)
        await api.request_cancel("t1", run.id, T0 + 2)
        await worker.checkpoint(run.id, 1, _step(0), next_step=1, finalizing=True, now=T0 + 3)
        await worker.finish_run(
            run.id, claim.run.fencing_token, RunStatus.CANCELLED, output=None, error="x", now=T0 + 4
        )
        quiet = await api.create_run(_another(run, T0 + 5))  # nobody holds it
        await end(quiet.id, T0 + 6)
        held = await api.create_run(_another(run, T0 + 7, held=True))  # held where created
        await end(held.id, T0 + 8)
        both = await api.create_run(_another(run, T0 + 9, held=True))
        await api2.hold_run(both.id)  # held in two processes: both hear of its end
        await end(both.id, T0 + 10)
        if open_store.backend == "postgres":
            await _until(lambda: ("finished", both.id) in [e[:2] for e in api_heard])
            await _until(lambda: ("finished", both.id) in [e[:2] for e in api2_heard])
            await asyncio.sleep(0.2)  # nothing else is on its way
            assert heard[1:] == [("work", ""), ("cancel", run.id)] + [("work", "")] * 3
            assert [e[:2] for e in api_heard] == [
                ("resync", ""),
                ("finished", run.id),
                ("finished", held.id),
                ("finished", both.id),
            ]
            assert [e[:2] for e in api2_heard] == [("resync", ""), ("finished", both.id)]
            # the notice carries the finished run, as a read would return it
            ended = {e[1]: e[2] for e in api_heard[1:]}
            assert ended[run.id] == await api.get_run("t1", run.id)
            assert ended[held.id].status == RunStatus.COMPLETED and ended[held.id].output == 1
        else:
            await asyncio.sleep(0.3)
            assert heard == [] and api_heard == [] and api2_heard == []
    finally:
        for task in (listening, api_listening, api2_listening):
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


async def _until(check, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "event never arrived"
        await asyncio.sleep(0.01)


async def test_claims_respect_a_concurrency_limit_across_claimers(open_store):
    stores = [await open_store() for _ in range(3)]
    seed = await _run(stores[0])
    group = f"{seed.workflow_id}/acme"
    for i in range(6):
        await stores[0].create_run(
            _another(
                seed, T0 + 10 + i, concurrency_key=group, concurrency_limit=2, admission="queue"
            )
        )
    batches = await asyncio.gather(
        *(s.claim_runs(f"w{i}", 5, 30, T0 + 100) for i, s in enumerate(stores))
    )
    claimed = [c for batch in batches for c in batch]
    limited_claims = [c for c in claimed if c.run.concurrency_key == group]
    assert len(limited_claims) == 2  # the limit, though 15 slots asked
    assert {c.run.id for c in claimed} >= {seed.id}  # unlimited runs are claimed as usual
    first = limited_claims[0].run
    await stores[0].checkpoint(
        first.id,
        first.fencing_token,
        _step(0),
        next_step=1,
        finalizing=True,
        now=T0 + 101,
    )
    await stores[0].finish_run(
        first.id, first.fencing_token, RunStatus.COMPLETED, output=None, error=None, now=T0 + 102
    )
    after = await stores[1].claim_runs("w9", 5, 30, T0 + 103)
    assert [c.run.concurrency_key for c in after] == [group]  # exactly one slot freed


async def test_reject_admission_counts_unfinished_runs(store):
    seed = await _run(store)
    group = f"{seed.workflow_id}/k"
    made = []
    for i in range(3):
        run = _another(
            seed, T0 + 10 + i, concurrency_key=group, concurrency_limit=2, admission="reject"
        )
        made.append(await store.create_run(run))
    assert [r.status for r in made] == [RunStatus.PENDING, RunStatus.PENDING, RunStatus.REJECTED]
    stored = await store.get_run("t1", made[2].id)
    assert stored.status == RunStatus.REJECTED and "at most 2" in stored.error
    assert stored.completed_at == T0 + 12


async def test_limited_runs_queued_later_are_still_claimed_and_go_first(store):
    """A claimer that saw no limited runs claims in one statement; once limited runs
    are queued, the next claim still finds them, and the one after serves them before
    unlimited runs (admission first)."""
    seed = await _run(store)
    assert [c.run.id for c in await store.claim_runs("w", 5, 30, T0 + 1)] == [seed.id]
    group = f"{seed.workflow_id}/acme"
    limited = [
        await store.create_run(
            _another(seed, T0 + 10 + i, concurrency_key=group, concurrency_limit=3,
                     admission="queue")
        )
        for i in range(2)
    ]  # fmt: skip
    got = await store.claim_runs("w", 5, 30, T0 + 20)
    assert {c.run.id for c in got} == {r.id for r in limited}
    later = await store.create_run(
        _another(seed, T0 + 30, concurrency_key=group, concurrency_limit=3, admission="queue")
    )
    plain = await store.create_run(_another(seed, T0 + 29))  # older, but unlimited
    [first] = await store.claim_runs("w", 1, 30, T0 + 40)
    assert first.run.id == later.id  # the limited run goes first
    [second] = await store.claim_runs("w", 1, 30, T0 + 41)
    assert second.run.id == plain.id


async def test_an_approval_answers_with_the_decided_run_while_workers_claim(open_store):
    """The approved run is pending only until a worker claims it, which a busy worker
    does at once: the answer must be the run as the decision left it, not a re-read."""
    api, worker = await open_store(), await open_store()
    stop = asyncio.Event()

    async def claim_all_the_time() -> None:
        while not stop.is_set():
            await worker.claim_runs("busy", 10, 30, T0 + 10)

    spinning = asyncio.create_task(claim_all_the_time())
    try:
        for i in range(100):
            run = await _run(api)
            while (await api.get_run("t1", run.id)).status != RunStatus.RUNNING:
                await asyncio.sleep(0.001)  # the spinning worker claims it
            held = await api.get_run("t1", run.id)
            await worker.park_run(run.id, held.fencing_token, waiting_for="approval",
                                  wake_at=T0 + 10**12, now=T0 + 5)  # fmt: skip
            decided = await api.decide_run("t1", run.id, approve=True, payload={"i": i},
                                           reason=None, now=T0 + 6)  # fmt: skip
            assert decided is not None
            assert (decided.status, decided.decision) == (RunStatus.PENDING, "approved"), i
    finally:
        stop.set()
        await spinning


async def test_new_work_wakes_one_named_worker_not_all(open_store):
    """PostgreSQL: a start names live workers (round robin, enough free slots for the
    runs) on their own channels; `hand_on_work` wakes them all."""
    if open_store.backend != "postgres":
        pytest.skip("SQLite: one process wakes its own workers in memory")
    import time

    api, w1, w2 = await open_store(), await open_store(), await open_store()
    heard: dict[str, list[tuple[str, str]]] = {"w1": [], "w2": []}
    tasks = [
        asyncio.create_task(w.listen(lambda *e, n=n: heard[n].append(e), frozenset({"work"})))
        for n, w in (("w1", w1), ("w2", w2))
    ]
    try:
        await _until(lambda: all(("resync", "") in h for h in heard.values()))
        now = time.time_ns() // 1000
        await w1.report_worker("w1", 4, 4, now)
        await w2.report_worker("w2", 4, 4, now)
        api.wake_channels(1)  # learns of the live workers (refreshed in the background)
        await _until(lambda: len(api._live) == 2)
        seed = await _run(api)
        second = await api.create_run(_another(seed, T0 + 1))
        await _until(lambda: all(("work_here", "") in h for h in heard.values()))
        await asyncio.sleep(0.2)
        assert heard["w1"][1:] == heard["w2"][1:] == [("work_here", "")]  # one each, in turn
        # six runs at once: more than one worker's free slots, so both are named
        await asyncio.gather(*(api.create_run(_another(seed, T0 + 10 + i)) for i in range(6)))
        await _until(lambda: all(len(h) == 3 for h in heard.values()))
        await api.hand_on_work()
        await _until(lambda: all(h[-1] == ("work", "") for h in heard.values()))
        claimed = await w1.claim_runs("w1", 20, 30, T0 + 100)
        assert {c.run.id for c in claimed} >= {seed.id, second.id}
    finally:
        for task in tasks:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


async def test_a_finished_run_too_large_for_a_notice_is_announced_by_id(open_store):
    if open_store.backend != "postgres":
        pytest.skip("SQLite: one process hands the record over in memory")
    api, worker = await open_store(), await open_store()
    heard: list[tuple] = []
    task = asyncio.create_task(api.listen(lambda *e: heard.append(e), frozenset({"finished"})))
    try:
        await _until(lambda: ("resync", "") in heard)
        seed = await _run(api)
        big = await api.create_run(_another(seed, T0 + 1, input={"x": "y" * 9000}, held=True))
        small = await api.create_run(_another(seed, T0 + 2, held=True))
        for run in (seed, big, small):  # oldest first
            (claim,) = await worker.claim_runs("w", 1, 30, T0 + 10)
            assert claim.run.id == run.id
            token = claim.run.fencing_token
            await worker.finish_run(
                run.id, token, RunStatus.COMPLETED, output=None, error=None, now=T0 + 11,
                last_step=_step(0),
            )  # fmt: skip
        await _until(lambda: len(heard) == 3)
        assert heard[1] == ("finished", big.id)  # 8000 bytes at most: the id, read it
        assert heard[2][:2] == ("finished", small.id) and heard[2][2].input == {}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
