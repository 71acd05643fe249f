"""The Store contract for a run's recorded history (migration 0014), on every backend:
events (retries, waits, decisions, takeovers), a step's traceback and token usage."""

from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.store.events import retry_event
from openpal.store.history_records import RunEventRecord
from openpal.store.records import NewRun, StepResult

T0 = 1_800_000_000_000_000  # µs


async def _run(store, *, tenant="t1"):
    wf, ver = await store.save_workflow_version(
        workflow_id="wf_ev", slug="ev", name="ev", description=None, version_id=new_id("ver"),
        version_label="1", content_hash="h-ev", yaml_content="name: ev", source_path=None, now=T0,
    )  # fmt: skip
    return await store.create_run(
        NewRun(
            id=new_id("exec", T0),
            tenant_id=tenant,
            workflow_id=wf.id,
            workflow_slug="ev",
            workflow_name="ev",
            version_id=ver.id,
            version_label="1",
            input={},
            trigger_type="api",
            created_at=T0,
        )
    )


def _retry(run_id, attempt, at):
    return retry_event(
        run_id, step_index=0, step_name="s", attempt=attempt, error="RuntimeError: no",
        traceback="Traceback (most recent call last):\nRuntimeError: no\n", delay_seconds=0.5,
        usage={"input": 3, "llmCalls": 1}, now=at,
    )  # fmt: skip


async def test_events_are_appended_in_order_and_fenced(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 1, 30, T0 + 1)
    token = claim.run.fencing_token
    assert await store.add_run_event(_retry(run.id, 1, T0 + 5), token=token)
    assert await store.add_run_event(_retry(run.id, 2, T0 + 3), token=token)
    assert not await store.add_run_event(_retry(run.id, 3, T0 + 9), token=token + 1)  # stale
    assert await store.add_run_event(RunEventRecord(run.id, T0 + 7, "note"))  # unfenced
    events = await store.list_run_events(run.id)
    assert [(e.type, e.attempt) for e in events] == [
        ("step.retry", 1), ("step.retry", 2), ("note", None),
    ]  # fmt: skip
    assert [e.id for e in events] == sorted(e.id for e in events) and events[0].id > 0
    first = events[0]
    assert (first.run_id, first.at, first.step_index, first.step_name) == (run.id, T0 + 5, 0, "s")
    assert first.message == "attempt 1 failed: RuntimeError: no"
    assert first.data["traceback"].startswith("Traceback") and first.data["delaySeconds"] == 0.5
    assert first.data["usage"] == {"input": 3, "llmCalls": 1}
    assert await store.list_run_events("exec_nope") == []


async def test_a_step_keeps_its_traceback_and_usage(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 1, 30, T0 + 1)
    token = claim.run.fencing_token
    plain = StepResult(0, "a", "completed", {"v": 1}, None, 1, T0 + 2, T0 + 3)
    await store.checkpoint(run.id, token, plain, next_step=1, finalizing=False, now=T0 + 3)
    used = StepResult(1, "b", "completed", 2, None, 1, T0 + 4, T0 + 5, usage={"output": 7.5})
    await store.checkpoint(run.id, token, used, next_step=2, finalizing=False, now=T0 + 5)
    failed = StepResult(
        2, "c", "failed", None, "ValueError: x", 3, T0 + 6, T0 + 7,
        traceback="Traceback …\nValueError: x\n", usage={"input": 1},
    )  # fmt: skip
    await store.finish_run(run.id, token, RunStatus.FAILED, output=None, error="x",
                           now=T0 + 8, last_step=failed)  # fmt: skip
    a, b, c = await store.get_steps(run.id)
    assert (a.traceback, a.usage) == (None, None)
    assert (b.traceback, b.usage) == (None, {"output": 7.5})
    assert c.traceback == "Traceback …\nValueError: x\n" and c.usage == {"input": 1}
    assert (c.status, c.error, c.attempts) == ("failed", "ValueError: x", 3)


async def test_waiting_and_decisions_are_recorded_with_the_run(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 1, 30, T0 + 1)
    token = claim.run.fencing_token
    step = StepResult(0, "before", "completed", 1, None, 1, T0 + 2, T0 + 3)
    await store.checkpoint(run.id, token, step, next_step=1, finalizing=False, now=T0 + 3)
    await store.park_run(run.id, token, waiting_for="approval", wake_at=T0 + 10**9, now=T0 + 4)
    other = await store.decide_run("t2", run.id, approve=True, payload=None, reason=None, now=T0)
    assert other is None  # another tenant's run: unknown, and nothing recorded
    approved = await store.decide_run(
        "t1", run.id, approve=True, payload={"by": "ann"}, reason=None, now=T0 + 6
    )
    assert approved.status == RunStatus.PENDING
    again = await store.decide_run("t1", run.id, approve=True, payload=None, reason=None, now=T0)
    assert again.status == RunStatus.PENDING  # not waiting any more: no second decision
    waited, decided = await store.list_run_events(run.id)
    assert (waited.type, waited.at, waited.step_index) == ("run.waiting", T0 + 4, 1)
    assert waited.data == {"waitingFor": "approval", "until": T0 + 10**9}
    assert waited.message == "waiting for approval"
    assert (decided.type, decided.at, decided.step_index) == ("run.decision", T0 + 6, 1)
    assert decided.data == {"decision": "approved"} and decided.message == "approved"


async def test_a_rejection_and_a_timer_are_recorded(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 1, 30, T0 + 1)
    await store.park_run(run.id, claim.run.fencing_token, waiting_for="approval",
                         wake_at=None, now=T0 + 2)  # fmt: skip
    rejected = await store.decide_run(
        "t1", run.id, approve=False, payload=None, reason="too much", now=T0 + 3
    )
    assert rejected.status == RunStatus.REJECTED
    timer = await _run(store)
    [held] = await store.claim_runs("w1", 1, 30, T0 + 4)
    await store.park_run(timer.id, held.run.fencing_token, waiting_for="timer",
                         wake_at=T0 + 50, now=T0 + 5)  # fmt: skip
    refused = await store.decide_run("t1", timer.id, approve=True, payload=None, reason=None,
                                      now=T0 + 6)  # fmt: skip
    assert refused.status == RunStatus.WAITING  # a timer is not decided by a person
    [_, decided] = await store.list_run_events(run.id)
    assert decided.data == {"decision": "rejected", "reason": "too much"}
    assert decided.message == "rejected: too much"
    [waited] = await store.list_run_events(timer.id)
    assert waited.data == {"waitingFor": "timer", "until": T0 + 50}
    assert waited.message == "waiting for a timer"


async def test_a_takeover_is_recorded_once(store):
    run = await _run(store)
    await store.claim_runs("w1", 1, 1.0, T0)
    assert await store.list_run_events(run.id) == []  # a first claim records nothing
    [taken] = await store.claim_runs("w2", 1, 30, T0 + 2_000_000)  # the lease expired
    [event] = await store.list_run_events(run.id)
    assert (event.type, event.attempt, event.at) == ("run.takeover", 1, T0 + 2_000_000)
    assert event.data == {"worker": "w2", "takeovers": 1} and "w2" in event.message
    # waiting and claimed again later: still one takeover, one event
    await store.park_run(run.id, taken.run.fencing_token, waiting_for="timer",
                         wake_at=T0 + 3_000_000, now=T0 + 2_500_000)  # fmt: skip
    [again] = await store.claim_runs("w3", 1, 30, T0 + 3_000_001)
    assert again.run.takeovers == 1
    assert [e.type for e in await store.list_run_events(run.id)] == [
        "run.takeover", "run.waiting",
    ]  # fmt: skip


async def test_pruning_a_run_deletes_its_events(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 1, 30, T0 + 1)
    token = claim.run.fencing_token
    await store.add_run_event(_retry(run.id, 1, T0 + 2), token=token)
    failed = StepResult(0, "s", "failed", None, "x", 2, T0 + 2, T0 + 3, traceback="tb")
    await store.finish_run(run.id, token, RunStatus.FAILED, output=None, error="x",
                           now=T0 + 4, last_step=failed)  # fmt: skip
    assert await store.prune_runs(T0 + 100, 10) == 1
    assert await store.list_run_events(run.id) == []
    assert await store.get_steps(run.id) == []


async def test_a_decision_for_one_step_does_not_decide_another(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 1, 30, T0 + 1)
    token = claim.run.fencing_token
    step = StepResult(0, "before", "completed", 1, None, 1, T0 + 2, T0 + 3)
    await store.checkpoint(run.id, token, step, next_step=1, finalizing=False, now=T0 + 3)
    await store.park_run(run.id, token, waiting_for="approval", wake_at=None, now=T0 + 4)
    for approve in (True, False):  # the run waits at step 1: a decision for step 0 is stale
        stale = await store.decide_run(
            "t1", run.id, approve=approve, payload=None, reason="r", now=T0 + 5, at_step=0
        )
        assert stale.status == RunStatus.WAITING and stale.next_step == 1
    [waited] = await store.list_run_events(run.id)  # no decision recorded
    assert waited.type == "run.waiting"
    decided = await store.decide_run(
        "t1", run.id, approve=False, payload=None, reason="r", now=T0 + 6, at_step=1
    )
    assert decided.status == RunStatus.REJECTED
