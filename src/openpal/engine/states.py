"""The run state machine: the statuses and the one table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum

from openpal.errors import InvalidTransition


class RunStatus(StrEnum):
    """Where a run is in its life. The wire uses these lower-case values verbatim."""

    CREATED = "created"  # accepted and durable; input being ingested
    PENDING = "pending"  # queued; no worker holds it
    RUNNING = "running"  # a worker holds its lease and is executing steps
    WAITING = "waiting"  # paused on a timer or an approval; no worker holds it
    FINALIZING = "finalizing"  # all steps done; output being evaluated and sealed
    COMPLETED = "completed"  # terminal; output set
    FAILED = "failed"  # terminal; error set
    CANCELLED = "cancelled"  # terminal; by a cancel request
    REJECTED = "rejected"  # terminal; the workflow declined to produce a result

    @property
    def terminal(self) -> bool:
        """True for the four statuses a run never leaves."""
        return self in TERMINAL


TERMINAL = frozenset(
    {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.REJECTED}
)

# A cancel applies at once in these statuses (no worker is executing the run).
CANCEL_AT_ONCE = frozenset({RunStatus.CREATED, RunStatus.PENDING, RunStatus.WAITING})
# In these a worker holds the run: a cancel is stamped and honoured at its next checkpoint.
CANCEL_AT_CHECKPOINT = frozenset({RunStatus.RUNNING, RunStatus.FINALIZING})
# The error of a run that ended because somebody asked it to.
CANCELLED_BY_REQUEST = "cancelled by request"
# A run past its deadline ends `failed` (the wire's status enum is closed) with an error
# starting RUN_TIMED_OUT; `error_code` tells it apart from a step failure for clients.
RUN_TIMED_OUT = "run timed out"
DEADLINE_EXCEEDED = "deadline_exceeded"


def error_code(status: RunStatus, error: str | None) -> str | None:
    """`deadline_exceeded` for a run that ended over its deadline, else None."""
    if status is RunStatus.FAILED and error is not None and error.startswith(RUN_TIMED_OUT):
        return DEADLINE_EXCEEDED
    return None


_S = RunStatus
TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    _S.CREATED: frozenset({_S.PENDING, _S.FAILED, _S.CANCELLED, _S.REJECTED}),
    _S.PENDING: frozenset({_S.RUNNING, _S.CANCELLED, _S.REJECTED, _S.FAILED}),
    # running → pending: a lease expired or a worker shut down and handed the run back.
    _S.RUNNING: frozenset(
        {_S.FINALIZING, _S.WAITING, _S.PENDING, _S.FAILED, _S.CANCELLED, _S.REJECTED}
    ),
    _S.WAITING: frozenset({_S.RUNNING, _S.PENDING, _S.CANCELLED, _S.REJECTED, _S.FAILED}),
    _S.FINALIZING: frozenset({_S.COMPLETED, _S.FAILED, _S.CANCELLED, _S.REJECTED}),
    _S.COMPLETED: frozenset(),
    _S.FAILED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.REJECTED: frozenset(),
}


def can_transition(src: RunStatus, dst: RunStatus) -> bool:
    """Whether the table allows `src` → `dst`."""
    return dst in TRANSITIONS[src]


def check_transition(src: RunStatus, dst: RunStatus) -> RunStatus:
    """Return `dst` if `src` → `dst` is allowed, else raise `InvalidTransition`."""
    if dst not in TRANSITIONS[src]:
        if src.terminal:
            raise InvalidTransition(f"run is {src.value}, a terminal status; it cannot change")
        raise InvalidTransition(f"a run cannot go from {src.value} to {dst.value}")
    return dst


def sources_of(dst: RunStatus) -> frozenset[RunStatus]:
    """Every status that may move to `dst` (used to guard UPDATE ... WHERE status IN)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if dst in targets)
