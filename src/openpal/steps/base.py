"""What a step type is, and the context a running step sees.

A step type validates its static configuration when a workflow is loaded and
runs with its rendered configuration when a run reaches it. Step types are
async; blocking user code is moved to a thread by the step type itself.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from openpal import tracing
from openpal.errors import RunCancelled
from openpal.files import check_artifact_path
from openpal.workflows.model import StepSpec


class Suspend(Exception):
    """Raised by a step to pause the run in `waiting` (no worker held) until a timer
    fires (`until`, µs since the epoch) or a person decides (`waiting_for="approval"`).
    `message` (optional) says why, for the person: kept with the run's waiting event."""

    def __init__(self, waiting_for: str, until: int | None, *, message: str | None = None) -> None:
        super().__init__(message or f"waiting for {waiting_for}")
        self.waiting_for = waiting_for
        self.until = until
        self.message = message


class Reject(Exception):
    """Raised by a step to end the run `rejected` (the workflow declines to produce a
    result): an approval turned down or timed out, or a step's own judgement."""


@dataclass(frozen=True)
class PendingArtifact:
    """A file a step asked to keep; stored by the engine when the step succeeds."""

    path: str
    content: bytes | None
    file: Path | None
    mime_type: str | None


@dataclass(frozen=True)
class Resumption:
    """Why a waiting run runs again: its timer fired, or a person decided."""

    waiting_for: str  # "timer" | "approval"
    until: int | None  # the timer / approval deadline it waited for (µs)
    decision: str | None  # "approved" when a person approved; None otherwise
    payload: Any = None  # the approver's JSON body, if any


@dataclass
class StepContext:
    """Handed to every step (and to `python` callables that take a `ctx` parameter)."""

    run_id: str
    step_name: str
    workflow: str
    attempt: int = 1
    base_dir: str | None = None
    # the version came over the API, not from a file an operator wrote: `python` steps
    # may call only code defined in modules of `base_dir` (the workflows folder)
    confined: bool = False
    resumed: Resumption | None = None  # set when this step paused the run and it resumed
    artifacts: list[PendingArtifact] = field(default_factory=list)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("openpal.step"))
    usage: dict[str, float] | None = None  # what the step reported (`report_usage`, OCR pages)
    _cancelled: threading.Event = field(default_factory=threading.Event)
    _on_heartbeat: Callable[[], None] | None = None

    @property
    def traceparent(self) -> str | None:
        """The W3C `traceparent` of this step's span (None unless tracing is on): send it
        as that header on the calls the step makes, to continue the run's trace."""
        return tracing.current_traceparent()

    @property
    def cancel_requested(self) -> bool:
        """True once a cancel was requested for this run."""
        return self._cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise `RunCancelled` if the run was asked to stop; call it often in long steps."""
        if self._cancelled.is_set():
            raise RunCancelled(f"run {self.run_id} was cancelled")

    def artifact(
        self,
        path: str,
        content: bytes | str | None = None,
        *,
        file: str | Path | None = None,
        mime_type: str | None = None,
    ) -> str:
        """Keep a file with the run: `content` (bytes, or text as UTF-8) or an existing
        `file`. It is stored when the step succeeds, listed in the run's detail and
        downloadable at `GET /api/v1/runs/{run id}/artifact/{path}`. Returns `path`."""
        problem = check_artifact_path(path)
        if problem:
            raise ValueError(f"artifact path {path!r}: {problem}")
        if (content is None) == (file is None):
            raise ValueError("give an artifact either content or file")
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.artifacts.append(
            PendingArtifact(path, data, None if file is None else Path(file), mime_type)
        )
        return path

    def report_usage(
        self,
        *,
        input_tokens: float = 0,
        output_tokens: float = 0,
        cache_read_tokens: float = 0,
        cache_write_tokens: float = 0,
        calls: int = 1,
    ) -> None:
        """Add what a model call cost to this step's usage (call it once per call; safe
        from threads). Kept with the step when it ends and summed by the run's usage
        (`GET /v1/runs/{id}/usage`); a failed attempt that is retried keeps its own."""
        added = {
            "input": input_tokens,
            "output": output_tokens,
            "cacheRead": cache_read_tokens,
            "cacheWrite": cache_write_tokens,
            "llmCalls": calls,
        }
        self._add_usage("report_usage", added)

    def report_ocr_pages(self, pages: int) -> None:
        """Add pages read by OCR to this step's usage (`ocrPagesProcessed` in the run's
        usage); kept and summed like `report_usage`."""
        self._add_usage("report_ocr_pages", {"ocrPages": pages})

    def _add_usage(self, caller: str, added: dict[str, float]) -> None:
        for key, value in added.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{caller}: {key} must be a number, not {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{caller}: {key} must be a finite number ≥ 0, not {value}")
        with _USAGE_LOCK:
            total = self.usage if self.usage is not None else {}
            for key, value in added.items():
                total[key] = total.get(key, 0) + value
            self.usage = total

    def heartbeat(self) -> None:
        """Tell the engine the step is alive (keeps the worker's lease fresh)."""
        if self._on_heartbeat is not None:
            self._on_heartbeat()

    def request_cancel(self) -> None:
        """Engine side: mark the run as cancel-requested (thread-safe)."""
        self._cancelled.set()


_USAGE_LOCK = threading.Lock()  # report_usage may be called from a step's threads

Problem = tuple[str, str]  # (field path inside the step, message)


class StepType(Protocol):
    """A kind of step (`transform.set`, `python`, ...)."""

    name: str

    def validate(self, step: StepSpec) -> list[Problem]:
        """Problems with the step's static configuration, found at load time."""
        ...

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        """Execute with the rendered `with:` mapping; the return value is the step's output."""
        ...
