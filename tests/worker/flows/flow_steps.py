"""Python steps of the executor's in-process tests."""

import time

from openpal.steps.base import Reject


def always_fails() -> None:
    raise RuntimeError("still broken")


def refuse() -> None:
    raise Reject("no, thank you")


def beat(ctx) -> dict:
    ctx.heartbeat()
    time.sleep(0.2)  # the keeper renews while the step still runs
    return {"ok": True}
