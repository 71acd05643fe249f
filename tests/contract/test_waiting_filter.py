"""`RunFilter.waiting_for` / `waiting_since_to`: the runs paused for one reason (the
human-review queue), on every backend."""

from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.store.history_records import RunFilter
from openpal.store.records import NewRun

T0 = 1_800_000_000_000_000  # µs


async def _parked(store, *, at, waiting_for, tenant="t1", parked_at=None):
    """A run created at `at`, claimed and parked waiting for `waiting_for` at `parked_at`."""
    wf, ver = await store.save_workflow_version(
        workflow_id="wf_w",
        slug="w",
        name="w",
        description=None,
        version_id=new_id("ver"),
        version_label=None,
        content_hash="h",
        yaml_content="name: w",
        source_path=None,
        now=T0,
    )
    run = await store.create_run(
        NewRun(
            id=new_id("exec", at),
            tenant_id=tenant,
            workflow_id=wf.id,
            workflow_slug="w",
            workflow_name="w",
            version_id=ver.id,
            version_label=None,
            input={},
            trigger_type="api",
            created_at=at,
        )
    )
    (claim,) = await store.claim_runs("w1", 1, 30.0, at + 1)
    assert claim.run.id == run.id
    parked_at = parked_at or at + 2
    await store.park_run(
        run.id, claim.run.fencing_token, waiting_for=waiting_for, wake_at=None, now=parked_at
    )
    return run.id


async def test_waiting_runs_by_reason_oldest_first(store):
    a = await _parked(store, at=T0, waiting_for="approval", parked_at=T0 + 500)
    timer = await _parked(store, at=T0 + 10, waiting_for="timer")
    b = await _parked(store, at=T0 + 20, waiting_for="approval", parked_at=T0 + 100)
    other = await _parked(store, at=T0 + 30, waiting_for="approval", tenant="t2")
    approvals = RunFilter("t1", statuses=(RunStatus.WAITING,), waiting_for="approval")
    assert [r.id for r in await store.list_runs(approvals)] == [b, a]
    oldest = RunFilter("t1", statuses=(RunStatus.WAITING,), waiting_for="approval", ascending=True)
    assert [r.id for r in await store.list_runs(oldest)] == [a, b]
    timers = RunFilter("t1", statuses=(RunStatus.WAITING,), waiting_for="timer")
    assert [r.id for r in await store.list_runs(timers)] == [timer]
    # paused at or before a time: b paused at T0+100, a at T0+500
    early = RunFilter("t1", waiting_for="approval", waiting_since_to=T0 + 100, ascending=True)
    assert [r.id for r in await store.list_runs(early)] == [b]
    assert [r.id for r in await store.list_runs(RunFilter("t2", waiting_for="approval"))] == [other]


async def test_the_reason_outlives_the_wait_until_paired_with_a_status(store):
    run_id = await _parked(store, at=T0, waiting_for="approval")
    decided = await store.decide_run(
        "t1", run_id, approve=False, payload=None, reason="no", now=T0 + 50
    )
    assert decided.status == RunStatus.REJECTED and decided.waiting_for == "approval"
    assert [r.id for r in await store.list_runs(RunFilter("t1", waiting_for="approval"))] == [
        run_id
    ]
    waiting = RunFilter("t1", statuses=(RunStatus.WAITING,), waiting_for="approval")
    assert await store.list_runs(waiting) == []
