"""DBOS (SQLite system database) running the same workloads, for ratios measured in the
same invocation. DBOS's dependencies conflict with nothing of openpal's only as long as
they stay apart, so it runs under its own interpreter:

    python3 -m venv /tmp/dbos-venv && /tmp/dbos-venv/bin/pip install dbos
    python -m bench --peers dbos --dbos-python /tmp/dbos-venv/bin/python

DBOS is a library, not a server: its workflows start in-process (no HTTP), which
favours it in W-latency; openpal's numbers include an HTTP round trip per run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.peers.external import available as _available
from bench.peers.external import run_app

APP = Path(__file__).resolve().parent / "dbos_app.py"


def available(python: str | None) -> str | None:
    return _available(python, "dbos", "--dbos-python")


def run(sizes: dict[str, int], python: str) -> dict[str, Any]:
    return run_app(python, APP, sizes["latency"], sizes["throughput"])
