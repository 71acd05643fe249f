"""Prefect 3 running the same workloads (local server on SQLite, a served deployment,
runs started with `run_deployment`), under its own interpreter:

    python3 -m venv /tmp/prefect-venv && /tmp/prefect-venv/bin/pip install 'prefect>=3,<4'
    python -m bench --peers prefect --prefect-python /tmp/prefect-venv/bin/python

A served deployment runs every flow in its own subprocess and the runner polls for
work (set to every second here; the default is 10 s), so a run takes seconds: the
sizes are capped (PREFECT_CAP) to keep the harness usable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.peers.external import available as _available
from bench.peers.external import run_app

APP = Path(__file__).resolve().parent / "prefect_app.py"
PREFECT_CAP = {"latency": 10, "throughput": 50}


def available(python: str | None) -> str | None:
    return _available(python, "prefect", "--prefect-python")


def run(sizes: dict[str, int], python: str) -> dict[str, Any]:
    latency = min(sizes["latency"], PREFECT_CAP["latency"])
    return run_app(python, APP, latency, min(sizes["throughput"], PREFECT_CAP["throughput"]))
