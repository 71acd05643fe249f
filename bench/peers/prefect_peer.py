"""Prefect 3 running the same workloads (local server on SQLite, a served deployment,
runs started with `run_deployment`), under its own interpreter:

    python3 -m venv /tmp/prefect-venv && /tmp/prefect-venv/bin/pip install 'prefect>=3,<4'
    python -m bench --peers prefect --prefect-python /tmp/prefect-venv/bin/python

A served deployment runs every flow in its own subprocess and the runner polls for
work (set to every second here; the default is 10 s), so a run takes seconds: the
sizes are capped (PREFECT_CAP) to keep the harness usable.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parent / "prefect_app.py"
PREFECT_CAP = {"latency": 10, "throughput": 50}


def available(python: str | None) -> str | None:
    if not python:
        return "no --prefect-python given (an interpreter with `pip install prefect`)"
    probe = subprocess.run([python, "-c", "import prefect"], capture_output=True)
    if probe.returncode != 0:
        return f"{python} cannot import prefect"
    return None


def run(sizes: dict[str, int], python: str) -> dict[str, Any]:
    latency = min(sizes["latency"], PREFECT_CAP["latency"])
    throughput = min(sizes["throughput"], PREFECT_CAP["throughput"])
    with tempfile.TemporaryDirectory(prefix="openpal-bench-prefect-") as folder:
        done = subprocess.run(
            [python, str(APP), str(latency), str(throughput), folder],
            capture_output=True,
            text=True,
            timeout=3600,
            check=True,
        )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("{"))
    result: dict[str, Any] = json.loads(line)
    return result
