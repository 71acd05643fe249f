"""Steps of the fan-out test workflows: each call leaves a line in a log file."""

from __future__ import annotations

import time
from pathlib import Path


def numbers(count: int) -> dict:
    return {"items": list(range(count))}


def record(n: int, index: int, log: str, delay: float) -> dict:
    """Append `start <index>` to `log`, sleep a little, return the item's square."""
    with Path(log).open("a", encoding="utf-8") as f:
        f.write(f"start {index}\n")
    time.sleep(delay)
    return {"n": n, "square": n * n}


def check(value: int, index: int, log: str) -> dict:
    """Fails for a negative value; every call is logged as `<index>`."""
    with Path(log).open("a", encoding="utf-8") as f:
        f.write(f"{index}\n")
    if value < 0:
        raise ValueError(f"negative: {value}")
    return {"value": value, "index": index}


def flaky(index: int, log: str) -> dict:
    """Fails on an item's first attempt (counted in `log`), succeeds on its second."""
    path = Path(log)
    seen = path.read_text(encoding="utf-8").split() if path.exists() else []
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{index}\n")
    if str(index) not in seen:
        raise RuntimeError(f"item {index}: first attempt fails")
    return {"index": index, "attempt": seen.count(str(index)) + 1}
