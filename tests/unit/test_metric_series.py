"""The hand-kept counters and histograms (`service/metric_series.py`) write exactly what
prometheus_client's own `Counter` and `Histogram` write for the same events."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from openpal.service.metric_series import KeptCounter, KeptHistogram, KeptSeries
from openpal.service.metrics import STEP_BUCKETS, Metrics

ODD = 'we"ird\\name\nline'  # label values are escaped by the exposition, whoever keeps them
VALUES = (0.0, 0.0004, 0.001, 0.0011, 5, 7.25, 3600, 3600.5, 1e9)


def _reference() -> tuple[CollectorRegistry, Counter, Counter, Histogram, Histogram]:
    r = CollectorRegistry(auto_describe=True)
    runs = Counter("t_runs", "Runs.", ["workflow", "status"], registry=r)
    once = Counter("t_takeovers", "Takeovers.", registry=r)
    steps = Histogram("t_step_seconds", "Steps.", ["workflow", "step"], buckets=STEP_BUCKETS,
                      registry=r)  # fmt: skip
    claims = Histogram("t_claim_seconds", "Claims.", buckets=(0.001, 0.5, 2), registry=r)
    return r, runs, once, steps, claims


def _kept() -> tuple[CollectorRegistry, KeptCounter, KeptCounter, KeptHistogram, KeptHistogram]:
    r = CollectorRegistry(auto_describe=True)
    runs = KeptCounter("t_runs", "Runs.", ["workflow", "status"])
    once = KeptCounter("t_takeovers", "Takeovers.")
    steps = KeptHistogram("t_step_seconds", "Steps.", STEP_BUCKETS, ["workflow", "step"])
    claims = KeptHistogram("t_claim_seconds", "Claims.", (0.001, 0.5, 2))
    r.register(KeptSeries(runs, once, steps, claims))
    return r, runs, once, steps, claims


def test_the_exposition_is_prometheus_clients_byte_for_byte() -> None:
    ref, runs, once, steps, claims = _reference()
    kept, k_runs, k_once, k_steps, k_claims = _kept()
    assert generate_latest(kept) == generate_latest(ref)  # nothing counted yet

    for i, value in enumerate(VALUES):
        for workflow in ("noop3", ODD):
            runs.labels(workflow, "completed").inc()
            k_runs.inc((workflow, "completed"))
            steps.labels(workflow, f"s{i % 3}").observe(value)
            k_steps.observe(value, (workflow, f"s{i % 3}"))
        claims.observe(value)
        k_claims.observe(value)
    once.inc()
    k_once.inc()
    runs.labels("fails", "failed").inc()
    k_runs.inc(("fails", "failed"))

    text = generate_latest(kept)
    assert text == generate_latest(ref)
    assert b't_step_seconds_bucket{le="0.001",step="s1",workflow="noop3"} 1.0' in text
    assert b't_step_seconds_count{step="s0",workflow="noop3"} 3.0' in text
    assert b't_claim_seconds_bucket{le="+Inf"} 9.0' in text


def test_bounds_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="ascending"):
        KeptHistogram("t_seconds", "Unsorted.", (0.5, 0.001))


def test_a_name_taken_twice_is_refused_as_with_prometheus_client() -> None:
    r = CollectorRegistry(auto_describe=True)
    Counter("t_runs", "Runs.", registry=r)
    with pytest.raises(ValueError, match="t_runs"):
        r.register(KeptSeries(KeptCounter("t_runs", "Runs again.")))


def test_the_process_metrics_count_on_the_kept_series() -> None:
    m = Metrics(role="api+worker", process="test")
    m.run_started("noop3")
    m.step_ended("noop3", "a", 0.002)
    m.http_answered("POST", "/api/v1/run/{target:path}", 201, 0.004)
    text = generate_latest(m.registry).decode()
    assert 'openpal_runs_started_total{workflow="noop3"} 1.0' in text
    assert 'openpal_step_duration_seconds_bucket{le="0.005",step="a",workflow="noop3"} 1.0' in text
    route = 'method="POST",route="/api/v1/run/{target:path}"'
    assert f'openpal_http_requests_total{{{route},status="201"}} 1.0' in text
    assert "openpal_lease_takeovers_total 0.0" in text
    assert "openpal_claim_latency_seconds_count 0.0" in text
