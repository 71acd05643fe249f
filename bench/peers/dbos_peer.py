"""DBOS (SQLite system database) running the same workloads, for ratios measured in the
same invocation. DBOS's dependencies conflict with nothing of openpal's only as long as
they stay apart, so it runs under its own interpreter:

    python3 -m venv /tmp/dbos-venv && /tmp/dbos-venv/bin/pip install dbos
    python -m bench --peers dbos --dbos-python /tmp/dbos-venv/bin/python

DBOS is a library, not a server: its workflows start in-process (no HTTP), which
favours it in W-latency; openpal's numbers include an HTTP round trip per run.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parent / "dbos_app.py"


def available(python: str | None) -> str | None:
    if not python:
        return "no --dbos-python given (an interpreter with `pip install dbos`)"
    probe = subprocess.run([python, "-c", "import dbos"], capture_output=True)
    if probe.returncode != 0:
        return f"{python} cannot import dbos"
    return None


def run(sizes: dict[str, int], python: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="openpal-bench-dbos-") as folder:
        done = subprocess.run(
            [python, str(APP), str(sizes["latency"]), str(sizes["throughput"]), folder],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("{"))
    result: dict[str, Any] = json.loads(line)
    return result
