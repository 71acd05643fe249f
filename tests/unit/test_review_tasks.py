"""A review task's state read off its run (`derive_task`) and the run's
`execution.humanReview` (`human_review_meta`): pure functions, every branch."""

from __future__ import annotations

from dataclasses import replace

from openpal.engine.states import RunStatus
from openpal.service.reviews import derive_task, human_review_meta
from openpal.store.history_records import StepRecord
from openpal.store.records import RunRecord
from openpal.workflows.model import StepSpec, WorkflowDef

T = 1_800_000_000_000_000
WF = WorkflowDef(
    slug="w",
    steps=(
        StepSpec("prep", "transform.set"),
        StepSpec("review", "control.approval", {"message": "ok?"}),
        StepSpec("book", "transform.set"),
    ),
)
WAITING = RunRecord(
    id="exec_abc", tenant_id="t", type="workflow", workflow_id="wf_w", workflow_slug="w",
    workflow_name="W", version_id="ver_1", version_label=None, status=RunStatus.WAITING,
    trigger_type="api", error=None, schema_valid=None, previous_execution_id=None,
    retry_number=0, batch_id=None, created_at=T, started_at=T + 1, completed_at=None,
    updated_at=T + 5, cancel_requested_at=None, next_step=1, step_started_at=T + 5, attempt=1,
    fencing_token=1, lease_owner=None, lease_expires_at=None, waiting_for="approval",
    wait_until=T + 10**9,
)  # fmt: skip
PREP = StepRecord("exec_abc", 0, "prep", "completed", "{}", None, 1, T + 2, T + 4)


def _step(status: str, error: str | None = None) -> StepRecord:
    return StepRecord("exec_abc", 1, "review", status, "{}", error, 1, T + 20, T + 21)


def test_waiting_at_the_step_is_pending_since_the_pause():
    task = derive_task(WAITING, WF, 1, {0: PREP})
    assert task is not None and task.id == "hrt_abc_1"
    assert (task.status, task.version, task.created_at, task.completed_at) == (
        "pending", 1, T + 5, None
    )  # fmt: skip
    assert task.step_name == "review"


def test_only_an_approval_step_the_run_waited_at_is_a_task():
    assert derive_task(WAITING, WF, 0, {0: PREP}) is None  # not an approval step
    assert derive_task(WAITING, WF, 2, {}) is None
    assert derive_task(WAITING, WF, 7, {}) is None
    timer = replace(WAITING, waiting_for="timer")
    assert derive_task(timer, WF, 1, {}) is None
    before = replace(WAITING, status=RunStatus.RUNNING, next_step=0, waiting_for=None)
    assert derive_task(before, WF, 1, {}) is None
    done = replace(WAITING, status=RunStatus.COMPLETED, next_step=3, waiting_for=None)
    assert derive_task(done, WF, 1, {0: PREP, 1: _step("skipped")}) is None
    overridden = replace(done, overrides_json='{"review": {"by": "x"}}')
    assert derive_task(overridden, WF, 1, {0: PREP, 1: _step("completed")}) is None
    assert derive_task(done, WF, 1, {0: PREP, 1: _step("failed", "bad config")}) is None


def test_decided_tasks():
    approved = replace(WAITING, status=RunStatus.PENDING, decision="approved", updated_at=T + 9)
    task = derive_task(approved, WF, 1, {0: PREP})
    assert task is not None and (task.status, task.version, task.completed_at) == (
        "approved", 2, T + 9
    )  # fmt: skip
    done = replace(WAITING, status=RunStatus.COMPLETED, next_step=3, waiting_for=None)
    task = derive_task(done, WF, 1, {0: PREP, 1: _step("completed")})
    assert task is not None and (task.status, task.created_at, task.completed_at) == (
        "approved", T + 4, T + 21
    )  # fmt: skip
    rejected = replace(WAITING, status=RunStatus.REJECTED, completed_at=T + 30,
                       error="rejected by reviewer: too much")  # fmt: skip
    task = derive_task(rejected, WF, 1, {0: PREP})
    assert task is not None and (task.status, task.outcome_reason) == ("rejected", "too much")
    silent = replace(rejected, error="rejected by reviewer")
    assert derive_task(silent, WF, 1, {0: PREP}).outcome_reason is None  # type: ignore[union-attr]
    timed_out = replace(done, status=RunStatus.REJECTED)
    task = derive_task(timed_out, WF, 1, {0: PREP, 1: _step("rejected", "timed out")})
    assert task is not None and (task.status, task.outcome_reason) == ("rejected", "timed out")
    cancelled = replace(WAITING, status=RunStatus.CANCELLED, completed_at=T + 40,
                        error="cancelled by request")  # fmt: skip
    task = derive_task(cancelled, WF, 1, {0: PREP})
    assert task is not None and (task.status, task.completed_at) == ("cancelled", T + 40)
    # a deadline reached while the run was being taken up for its timeout: still undecided
    timing_out = replace(WAITING, status=RunStatus.RUNNING, step_started_at=T + 50)
    task = derive_task(timing_out, WF, 1, {0: PREP})
    assert task is not None and (task.status, task.created_at) == ("pending", T + 4)


def test_human_review_meta_only_while_waiting_for_approval():
    assert human_review_meta(WAITING, "review") == {
        "taskId": "hrt_abc_1",
        "sourceKind": "workflow_step",
        "sourceLabel": "review",
        "status": "pending",
        "requiredCount": 0,
        "confirmedCount": 0,
        "version": 1,
    }
    assert human_review_meta(WAITING, None)["sourceLabel"] == "step 1"  # type: ignore[index]
    assert human_review_meta(replace(WAITING, waiting_for="timer"), "x") is None
    assert human_review_meta(replace(WAITING, status=RunStatus.PENDING), "x") is None
