"""What the dashboard's overview reads: a tenant's recent runs (workflow, status, times)
and the worker pools seen lately, on every backend."""

from openpal.engine.states import RunStatus
from openpal.store.records import StepResult
from tests.contract.test_store import T0, _run

SECOND = 1_000_000


async def test_run_timings_are_the_tenants_newest_since_a_time(store):
    old = await _run(store, at=T0)
    a = await _run(store, at=T0 + 10 * SECOND, slug="wf-a")
    b = await _run(store, at=T0 + 20 * SECOND, slug="wf-b")
    await _run(store, tenant="t2", at=T0 + 30 * SECOND)  # another tenant's
    (claim,) = await store.claim_runs("w1", 1, 30, T0 + 40 * SECOND)  # the oldest: `old`
    assert claim.run.id == old.id
    step = StepResult(0, "s", "completed", None, None, 1, T0, T0 + 10)
    await store.finish_run(old.id, claim.run.fencing_token, RunStatus.COMPLETED, output=1,
                           error=None, now=T0 + 41 * SECOND, last_step=step)  # fmt: skip
    found = await store.run_timings("t1", T0 + 5 * SECOND, 10)
    assert [(t.workflow_slug, t.status, t.created_at) for t in found] == [
        ("wf-b", RunStatus.PENDING, b.created_at),
        ("wf-a", RunStatus.PENDING, a.created_at),
    ]
    everything = await store.run_timings("t1", 0, 10)
    done = everything[-1]
    assert (done.status, done.completed_at) == (RunStatus.COMPLETED, T0 + 41 * SECOND)
    assert done.started_at == T0 + 40 * SECOND
    assert len(await store.run_timings("t1", 0, 2)) == 2  # the limit holds
    assert [t.workflow_slug for t in await store.run_timings("t3", 0, 10)] == []


async def test_workers_seen_since_a_time_until_forgotten(store):
    await store.report_worker("host:1:aaaaaa", 8, 8, T0)
    await store.report_worker("host:2:bbbbbb", 4, 1, T0 + 5 * SECOND)
    await store.report_worker("host:1:aaaaaa", 8, 3, T0 + 6 * SECOND)  # again, later
    seen = await store.workers_seen(T0 + 5 * SECOND)
    assert [(w.id, w.slots, w.free, w.seen_at) for w in seen] == [
        ("host:1:aaaaaa", 8, 3, T0 + 6 * SECOND),
        ("host:2:bbbbbb", 4, 1, T0 + 5 * SECOND),
    ]
    assert seen[0].started_at == T0  # when it first reported
    assert [w.id for w in await store.workers_seen(T0 + 6 * SECOND)] == ["host:1:aaaaaa"]
    await store.forget_worker("host:1:aaaaaa", T0 + 7 * SECOND)
    assert [w.id for w in await store.workers_seen(0)] == ["host:2:bbbbbb"]
