"""The measurements every peer reports, in one shape (standard library only: the peer
scripts import it under their own interpreters, next to this file)."""

from __future__ import annotations

from typing import Any


def pct(values: list[float], p: float) -> float:
    """The `p`-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(
    backend: str, latencies: list[float], runs: int, clients: int, seconds: float
) -> dict[str, Any]:
    """W-latency percentiles (from seconds) and W-throughput, as the harness prints them."""
    return {
        "backend": backend,
        "latency": {
            "runs": len(latencies),
            "p50_ms": round(pct(latencies, 50) * 1000, 2),
            "p95_ms": round(pct(latencies, 95) * 1000, 2),
            "p99_ms": round(pct(latencies, 99) * 1000, 2),
        },
        "throughput": {
            "runs": runs,
            "clients": clients,
            "runs_per_s": round(runs / seconds, 2),
        },
    }
