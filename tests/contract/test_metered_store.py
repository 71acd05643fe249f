"""`MeteredStore` on each real store: every run event counted once, where it happens."""

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.service.metered_store import MeteredStore
from openpal.service.metrics import Metrics
from openpal.store.records import IdempotencyKey, NewRun, StepResult
from tests.contract.test_store import T0, _run, _workflow


def samples(m: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(m.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def get(m: Metrics, name: str, **labels: str) -> float:
    return samples(m).get((name, tuple(sorted(labels.items()))), 0.0)


def _step(i: int, name: str, took: int) -> StepResult:
    return StepResult(i, name, "completed", None, None, 1, T0, T0 + took)


async def test_a_run_is_started_claimed_stepped_and_finished_once(store):
    m = Metrics(role="api+worker", process="test")
    metered = MeteredStore(store, m)
    wf, ver = await _workflow(store)

    def new(at: int) -> NewRun:
        return NewRun(id=new_id("exec", at), tenant_id="t1", workflow_id=wf.id,
                      workflow_slug="wf-a", workflow_name=None, version_id=ver.id,
                      version_label=None, input={}, trigger_type="api", created_at=at)  # fmt: skip

    run = await metered.create_run(new(T0), once=IdempotencyKey("k", "h", T0))
    again = await metered.create_run(new(T0 + 1), once=IdempotencyKey("k", "h", T0))
    assert again.id == run.id  # a replay: not a second start
    assert get(m, "openpal_runs_started_total", workflow="wf-a") == 1

    [claim] = await metered.claim_runs("w1", 5, 30, T0 + 250_000)
    assert get(m, "openpal_claim_latency_seconds_count") == 1
    assert get(m, "openpal_claim_latency_seconds_sum") == 0.25
    token = claim.run.fencing_token
    await metered.checkpoint(run.id, token, _step(0, "a", 2_000), next_step=1,
                             finalizing=False, now=T0 + 300_000)  # fmt: skip
    await metered.finish_run(run.id, token, RunStatus.COMPLETED, output=1, error=None,
                             now=T0 + 400_000, last_step=_step(1, "b", 5_000))  # fmt: skip
    assert get(m, "openpal_runs_finished_total", workflow="wf-a", status="completed") == 1
    for step, took in (("a", 0.002), ("b", 0.005)):
        assert get(m, "openpal_step_duration_seconds_count", workflow="wf-a", step=step) == 1
        assert get(m, "openpal_step_duration_seconds_sum", workflow="wf-a", step=step) == took


async def test_a_cancel_is_counted_by_the_call_that_ended_the_run(store):
    m = Metrics(role="api", process="test")
    metered = MeteredStore(store, m)
    run = await _run(store)
    await metered.request_cancel("t1", run.id, T0 + 1)
    await metered.request_cancel("t1", run.id, T0 + 2)  # already cancelled: no change
    assert get(m, "openpal_runs_finished_total", workflow="wf-a", status="cancelled") == 1


async def test_a_takeover_is_counted_once(store):
    m = Metrics(role="worker", process="test")
    metered = MeteredStore(store, m)
    run = await _run(store)
    [first] = await metered.claim_runs("w1", 1, 1.0, T0)
    [taken] = await metered.claim_runs("w2", 1, 30, T0 + 2_000_000)  # w1's lease expired
    assert taken.run.takeovers == 1
    assert get(m, "openpal_lease_takeovers_total") == 1
    assert get(m, "openpal_claim_latency_seconds_count") == 1  # the first claim only
    await metered.park_run(run.id, taken.run.fencing_token, waiting_for="timer",
                           wake_at=T0 + 3_000_000, now=T0 + 2_500_000)  # fmt: skip
    [resumed] = await metered.claim_runs("w2", 1, 30, T0 + 3_000_000)  # the timer fired
    assert resumed.run.id == run.id and resumed.run.takeovers == 1
    assert get(m, "openpal_lease_takeovers_total") == 1  # a resume is no takeover
    assert first.run.id == run.id
