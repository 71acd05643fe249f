"""How a step ended, as one value: whatever ended it (its result, a failure after its
last attempt, a refusal, a cancel, the run's deadline, a pause, a kept artifact or an
output that could not be), the executor records it in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpal.engine.states import CANCELLED_BY_REQUEST, RunStatus
from openpal.steps.base import PendingArtifact, Suspend

__all__ = ["StepLines", "StepOutcome"]

StepLines = list[dict[str, Any]] | None  # what a step attempt logged or printed

_ENDS = {"failed": RunStatus.FAILED, "rejected": RunStatus.REJECTED,
         "cancelled": RunStatus.CANCELLED}  # fmt: skip


@dataclass(frozen=True)
class StepOutcome:
    status: str  # completed | skipped | failed | rejected | cancelled | waiting
    output: Any = None
    error: str | None = None  # the step's own error (its row)
    attempts: int = 1
    traceback: str | None = None  # of the last failed attempt
    usage: dict[str, float] | None = None  # what the last attempt reported
    logs: StepLines = None  # what the last attempt logged or printed
    pending: list[PendingArtifact] = field(default_factory=list)  # files it wrote
    run_error: str | None = None  # the run's error when this ends it (default: `error`)
    pause: Suspend | None = None  # why it waits (status "waiting")

    @property
    def ends_run(self) -> bool:
        return self.status in _ENDS

    @property
    def run_status(self) -> RunStatus:
        return _ENDS[self.status]

    @property
    def run_message(self) -> str | None:
        return self.run_error if self.run_error is not None else self.error

    @classmethod
    def failed(cls, message: str, attempts: int = 1, **more: Any) -> StepOutcome:
        """Failed in a way that is not the step's code (the run says the same)."""
        return cls("failed", error=message, attempts=attempts, **more)

    @classmethod
    def cancelled(cls) -> StepOutcome:
        return cls("cancelled", error=CANCELLED_BY_REQUEST)
