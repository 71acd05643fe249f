"""Steps of the slow-count example: sleep in small slices, honouring cancel."""

import time
from typing import Any


def count(n: int, seconds: float, ctx: Any) -> dict[str, Any]:
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        ctx.check_cancelled()
        ctx.heartbeat()
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    return {"step": n, "slept": seconds}
