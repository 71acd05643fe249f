"""`python -m bench.overhead` keeps working against the real metrics and logging classes
(small sizes; correctness only, the numbers belong to docs/benchmarks.md)."""

from __future__ import annotations

import math

from bench import overhead


def test_the_overhead_harness_times_every_part(monkeypatch, capsys):
    monkeypatch.setattr(overhead, "RUNS", 200)
    monkeypatch.setattr(overhead, "REPEATS", 1)
    overhead.main()
    printed = capsys.readouterr().out
    assert "metrics:" in printed and "API side" in printed and "logging:" in printed
    said = overhead.logging_per_run()
    assert math.isfinite(said) and said > 0
