"""`control.wait` and `control.approval`: steps that pause the run in `waiting`.

A paused run holds no worker: the step raises `Suspend`, the engine records the
wake-up time (and what the run waits for) durably, and any worker resumes the run
when the timer fires or a person approves (`POST /runs/{id}/resume`); rejecting
(`POST /runs/{id}/reject`) ends it `rejected` without a worker at all.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from openpal.engine.dates import iso, parse_when, to_micros
from openpal.steps.base import Problem, Reject, StepContext, Suspend
from openpal.workflows.model import StepSpec

__all__ = ["ApprovalStep", "WaitStep"]

MAX_WAIT_SECONDS = 366 * 86_400


def _now() -> int:
    return time.time_ns() // 1000


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class WaitStep:
    """`control.wait`: `with: {seconds: N}` or `with: {until: <ISO time | now()+1h>}`."""

    name = "control.wait"

    def validate(self, step: StepSpec) -> list[Problem]:
        cfg = step.with_
        extra = sorted(str(k) for k in cfg if k not in ("seconds", "until"))
        problems: list[Problem] = [
            (k, "unknown key (control.wait takes seconds or until)") for k in extra
        ]
        if ("seconds" in cfg) == ("until" in cfg):
            problems.insert(0, ("seconds", "give exactly one of seconds or until"))
        seconds = _number(cfg.get("seconds"))
        if seconds is not None and not 0 <= seconds <= MAX_WAIT_SECONDS:
            problems.append(("seconds", f"must be between 0 and {MAX_WAIT_SECONDS}"))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        if ctx.resumed is not None and ctx.resumed.waiting_for == "timer":
            return {"waitedUntil": iso(ctx.resumed.until) if ctx.resumed.until else None}
        until = self._until(config)
        if until <= _now():
            return {"waitedUntil": iso(until)}
        raise Suspend("timer", until)

    @staticmethod
    def _until(config: dict[str, Any]) -> int:
        if "until" in config and config["until"] is not None:
            raw = config["until"]
            try:
                return to_micros(parse_when(str(raw), datetime.now(UTC)))
            except ValueError as exc:
                raise ValueError(f"until: {exc}") from None
        seconds = _number(config.get("seconds"))
        if seconds is None or not 0 <= seconds <= MAX_WAIT_SECONDS:
            raise ValueError(f"seconds must be a number from 0 to {MAX_WAIT_SECONDS}")
        return _now() + int(seconds * 1_000_000)


class ApprovalStep:
    """`control.approval`: wait for a person. `with: {timeout_minutes: N, message: …}`.

    Approved: the step's output is the approver's JSON body (or `{"approved": true}`).
    Rejected: the run ends `rejected` with the reviewer's reason. No decision within
    `timeout_minutes` (default 1440, one day): rejected, saying it timed out.
    """

    name = "control.approval"

    def validate(self, step: StepSpec) -> list[Problem]:
        cfg = step.with_
        extra = sorted(str(k) for k in cfg if k not in ("timeout_minutes", "message"))
        problems: list[Problem] = [
            (k, "unknown key (control.approval takes timeout_minutes and message)") for k in extra
        ]
        minutes = cfg.get("timeout_minutes")
        if minutes is not None and not isinstance(minutes, str):
            number = _number(minutes)
            if number is None or number <= 0:
                problems.append(("timeout_minutes", "must be a number of minutes above 0"))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        resumed = ctx.resumed
        if resumed is not None and resumed.waiting_for == "approval":
            if resumed.decision == "approved":
                return resumed.payload if resumed.payload is not None else {"approved": True}
            minutes = config.get("timeout_minutes", 1440)
            raise Reject(f"approval timed out after {minutes:g} minutes without a decision")
        minutes = _number(config.get("timeout_minutes", 1440))
        if minutes is None or minutes <= 0:
            raise ValueError("timeout_minutes must be a number of minutes above 0")
        raise Suspend("approval", _now() + int(minutes * 60 * 1_000_000))
