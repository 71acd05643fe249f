"""The benchmark harness keeps working: `python -m bench --quick` on SQLite, end to end.

Only correctness is checked here (every run verified completed, every workload
reported); the numbers belong to docs/benchmarks.md, not to the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_reports_every_workload(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| W-latency p50 (ms) | ≤ 5 |" in done.stdout
    result = json.loads(out.read_text())
    (sqlite,) = result["backends"]
    assert sqlite["throughput"]["verified_completed"] == result["sizes"]["throughput"]
    assert sqlite["latency"]["runs"] == result["sizes"]["latency"]
    assert sqlite["list"]["stored_runs"] == result["sizes"]["list_rows"]
    for section in ("latency", "steps", "cancel", "throughput", "list"):
        assert all(v is not None for v in sqlite[section].values()), section
    assert sqlite["memory_idle_mb"]["serve"] > 0
