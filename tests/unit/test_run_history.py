"""A run's history without I/O: the derived timeline, bounded tracebacks, reported usage."""

import json
from dataclasses import replace

import pytest

from openpal.engine.states import RunStatus
from openpal.service.run_history import timeline
from openpal.service.run_views import StepView
from openpal.steps.base import StepContext
from openpal.steps.extract_openai import _report_usage
from openpal.store.events import decision_event, retry_event, waiting_event
from openpal.store.records import RunRecord
from openpal.worker.failures import attempt_error, bounded_traceback

T = 1_800_000_000_000_000


def _run(**kw):
    base = RunRecord(
        id="exec_x", tenant_id="t", type="workflow", workflow_id="wf", workflow_slug="s",
        workflow_name=None, version_id="v", version_label=None, status=RunStatus.COMPLETED,
        trigger_type="api", error=None, schema_valid=None, previous_execution_id=None,
        retry_number=0, batch_id=None, created_at=T, started_at=T + 10, completed_at=T + 100,
        updated_at=T + 100, cancel_requested_at=None, next_step=2, step_started_at=None,
        attempt=1, fencing_token=1, lease_owner=None, lease_expires_at=None,
    )  # fmt: skip
    return replace(base, **kw)


def _step(i, status="completed", start=None, end=None, **kw):
    return StepView(i, f"s{i}", "python", status, None, kw.get("error"), 1, start, end,
                    kw.get("traceback"))  # fmt: skip


def test_a_plain_run_is_derived_entirely_from_its_columns():
    run = _run()
    steps = [_step(0, start=T + 20, end=T + 30), _step(1, start=T + 40, end=T + 100)]
    got = [(e.type, e.at, e.step_name) for e in timeline(run, steps, [])]
    assert got == [
        ("run.created", T, None),
        ("run.started", T + 10, None),
        ("step.started", T + 20, "s0"),
        ("step.completed", T + 30, "s0"),
        ("step.started", T + 40, "s1"),
        ("step.completed", T + 100, "s1"),  # same µs as the run's end: the step goes first
        ("run.completed", T + 100, None),
    ]


def test_retries_failures_and_cancel_requests_take_their_places():
    run = _run(status=RunStatus.FAILED, error="step 's0' failed: E", cancel_requested_at=T + 60)
    steps = [
        _step(0, "failed", T + 20, T + 90, error="E", traceback="Traceback …\nE\n"),
        _step(1, "not_run"),
    ]
    retry = retry_event("exec_x", step_index=0, step_name="s0", attempt=1, error="E",
                        traceback="tb1", delay_seconds=1, usage=None, now=T + 50)  # fmt: skip
    events = timeline(run, steps, [retry])
    assert [e.type for e in events] == [
        "run.created", "run.started", "step.started", "step.retry", "run.cancel_requested",
        "step.failed", "run.failed",
    ]  # fmt: skip
    failed = events[5]
    assert failed.status == "failed" and failed.message == "E"
    assert failed.data == {"attempts": 1, "traceback": "Traceback …\nE\n"}
    assert events[3].data["traceback"] == "tb1" and events[3].data["attempt"] == 1
    assert events[-1].message == "step 's0' failed: E"


def test_a_wait_an_approval_and_the_resumption():
    run = _run()
    steps = [_step(0, start=T + 80, end=T + 85), _step(1, start=T + 90, end=T + 95)]
    recorded = [
        waiting_event("exec_x", 0, "approval", T + 10**6, T + 20),
        decision_event("exec_x", 0, True, None, T + 70),
    ]
    events = timeline(run, steps, recorded)
    assert [(e.type, e.status) for e in events][2:6] == [
        ("run.waiting", "waiting"), ("run.decision", "pending"), ("run.resumed", "running"),
        ("step.started", "running"),
    ]  # fmt: skip
    assert events[2].step_name == "s0" and events[4].message == "resumed: approved"


def test_a_waiting_run_has_not_resumed_and_a_timer_says_so_when_it_has():
    waiting = _run(status=RunStatus.WAITING, completed_at=None)
    steps = [_step(0, "waiting", start=T + 20), _step(1, "pending")]
    wait = waiting_event("exec_x", 0, "timer", T + 10**6, T + 20)
    assert [e.type for e in timeline(waiting, steps, [wait])] == [
        "run.created", "run.started", "run.waiting",
    ]  # fmt: skip
    done = [_step(0, start=T + 10**6, end=T + 10**6 + 5), _step(1, start=T + 10**6 + 6, end=None)]
    resumed = [e for e in timeline(_run(status=RunStatus.RUNNING), done, [wait])
               if e.type == "run.resumed"]  # fmt: skip
    assert [e.message for e in resumed] == ["resumed: timer fired"]


def test_tracebacks_keep_their_end_when_cut():
    def deep(n):
        if n == 0:
            raise ValueError("the bottom " + "x" * 3000)
        deep(n - 1)

    try:
        deep(5)
    except ValueError as exc:
        full = bounded_traceback(exc, limit=10**9)
        cut = bounded_traceback(exc, limit=2000)
        assert attempt_error(exc).startswith("ValueError: the bottom")
    assert full.startswith("Traceback (most recent call last):")
    assert len(cut) < 2100 and cut.endswith(full[-1500:])
    assert cut.startswith(f"[{len(full) - 2000} earlier characters of this traceback cut]")
    assert attempt_error(KeyError()) == "KeyError"


def test_report_usage_adds_up_and_refuses_nonsense():
    ctx = StepContext("exec_x", "s", "wf")
    assert ctx.usage is None
    ctx.report_usage(input_tokens=10, output_tokens=2)
    ctx.report_usage(input_tokens=5, cache_read_tokens=3, cache_write_tokens=1, calls=2)
    assert ctx.usage == {"input": 15, "output": 2, "cacheRead": 3, "cacheWrite": 1, "llmCalls": 3}
    with pytest.raises(ValueError, match="input must be a finite number"):
        ctx.report_usage(input_tokens=-1)
    with pytest.raises(TypeError, match="output must be a number"):
        ctx.report_usage(output_tokens="12")
    assert ctx.usage["input"] == 15  # a refused report adds nothing


def test_openai_usage_is_split_into_uncached_input_and_cache_reads():
    ctx = StepContext("exec_x", "s", "wf")
    answer = {
        "usage": {"prompt_tokens": 120, "completion_tokens": 30,
                  "prompt_tokens_details": {"cached_tokens": 100}},
    }  # fmt: skip
    _report_usage(json.loads(json.dumps(answer)), ctx.report_usage)
    _report_usage({"choices": []}, ctx.report_usage)  # no usage said: a call, no tokens
    assert ctx.usage == {"input": 20, "output": 30, "cacheRead": 100, "cacheWrite": 0,
                         "llmCalls": 2}  # fmt: skip


def test_an_approval_that_timed_out_resumes_to_reject():
    run = _run(status=RunStatus.REJECTED, error="approval timed out after 1 minutes")
    steps = [_step(0, "rejected", T + 60, T + 61, error="approval timed out"), _step(1, "not_run")]
    wait = waiting_event("exec_x", 0, "approval", T + 60, T + 20)
    got = [(e.type, e.message) for e in timeline(run, steps, [wait])][2:]
    assert got == [
        ("run.waiting", "waiting for approval"),
        ("run.resumed", "resumed: approval deadline passed"),
        ("step.started", None),
        ("step.rejected", "approval timed out"),
        ("run.rejected", "approval timed out after 1 minutes"),
    ]
