"""The hostile-load benchmark keeps working: `python -m bench.hostile` with a tiny budget
on SQLite, end to end.

Only correctness is checked (every attack answered without a 5xx, every normal run read
back completed with attempt 1 and no takeover, every section reported); the latencies
and their ratio belong to docs/benchmarks.md, not to the test suite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.hostile_attacks import ATTACKS

ROOT = Path(__file__).resolve().parents[2]


def test_hostile_benchmark_runs_and_loses_no_run(tmp_path):
    out = tmp_path / "hostile.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.hostile", "--seconds", "3", "--rounds", "1",
         "--rate", "10", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| p99 (ms) |" in done.stdout
    result = json.loads(out.read_text())
    for phase in ("quiet", "hostile"):
        assert result[phase]["runs"] > 0, result[phase]
        assert result[phase]["failed_starts"] == {}, result[phase]
        assert {"p50_ms", "p95_ms", "p99_ms", "healthz_max_ms"} <= result[phase].keys()
    assert result["p99_ratio"] > 0
    normal = result["normal_runs"]
    assert normal["checked"] == result["quiet"]["runs"] + result["hostile"]["runs"] + 2
    assert (normal["lost"], normal["retried"], normal["taken_over"]) == (0, 0, 0), normal
    answers = result["hostile_answers"]
    # every attack was made and answered; slow clients may still be open after 3 s
    kinds = {"nested", "large json", "regex", "pdf", "flood"}
    oversized = {"oversized json", "oversized json, chunked", "oversized multipart, chunked"}
    assert kinds | oversized <= answers.keys() and len(ATTACKS) == len(kinds) + 2, answers
    assert {"slow headers", "slow body"} <= answers.keys(), answers
    statuses = {status for got in answers.values() for status in got}
    assert not {s for s in statuses if s.startswith("5")}, answers
    assert all(answers[kind].keys() == {"413"} for kind in oversized), answers
    assert answers["nested"].keys() == answers["large json"].keys() == {"400"}, answers
    assert "429" in answers["flood"], answers
    runs = result["hostile_runs"]
    assert runs["regex"].keys() == {"completed"} and runs["pdf"].keys() == {"failed"}, runs
