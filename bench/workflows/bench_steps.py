"""Steps of the noop3 example: as little work as a step can do (the benchmark workload)."""

from __future__ import annotations


def noop(i: int) -> dict[str, int]:
    """Return the input unchanged, so the benchmark measures only the engine."""
    return {"i": i}
