"""Steps of the slow-count example: sleep in small slices, honouring cancel."""

from __future__ import annotations

import time
from typing import Any

from openpal.steps.base import StepContext

# Short slices, so a cancel request stops the step within a tenth of a second.
SLICE_SECONDS = 0.05


def count(n: int, seconds: float, ctx: StepContext) -> dict[str, Any]:
    """Sleep `seconds` (checking for cancel between slices), then report step `n`."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    deadline = time.monotonic() + float(seconds)
    while (left := deadline - time.monotonic()) > 0:
        ctx.check_cancelled()
        ctx.heartbeat()
        time.sleep(min(SLICE_SECONDS, left))
    ctx.check_cancelled()
    return {"step": n, "slept": seconds}
