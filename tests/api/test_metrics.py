"""`/metrics`: Prometheus text from each process, parsed with prometheus-client's own
parser, with counts that match what was run (docs/operations.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from openpal.api.metrics import metrics_open
from openpal.service.metrics import SCRAPE_CACHE_SECONDS
from openpal.settings import Settings, SettingsError
from tests.conftest import Server, free_port, start_server, start_worker
from tests.pg import database_for

N = 25
FINISHED = "openpal_runs_finished_total"
TERMINAL = {"completed", "failed", "cancelled", "rejected"}


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, key: str | None = None) -> Samples:
    """Every sample of a scrape: (name, sorted labels) → value."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    resp = httpx.get(url, headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def labels_of(samples: Samples, name: str, label: str) -> set[str]:
    return {dict(k[1])[label] for k in samples if k[0] == name}


def wait_until_done(api: httpx.Client, ids: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for run_id in ids:
        while api.get(f"/api/v1/runs/{run_id}").json()["run"]["status"] not in TERMINAL:
            assert time.monotonic() < deadline, f"{run_id} did not finish"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Server]:
    """A server of its own: the counts of this module are exact, not deltas."""
    with database_for(backend) as url:
        srv = start_server(tmp_path_factory.mktemp(f"metrics-{backend}"), database_url=url)
        yield srv
        srv.stop()


def test_a_burst_of_runs_is_counted_exactly(fresh: Server) -> None:
    with fresh.client() as api:
        ids = [api.post("/api/v1/run/noop3", json={"i": i}).json()["runId"] for i in range(N)]
        failed = api.post("/api/v1/run/fails", json={}).json()["runId"]
        wait_until_done(api, [*ids, failed])
        samples = scrape(f"{fresh.base_url}/metrics")

    assert value(samples, "openpal_runs_started_total", workflow="noop3") == N
    assert value(samples, "openpal_runs_finished_total", workflow="noop3", status="completed") == N
    assert value(samples, "openpal_runs_finished_total", workflow="fails", status="failed") == 1
    for step in ("a", "b", "c"):
        count = value(samples, "openpal_step_duration_seconds_count", workflow="noop3", step=step)
        assert count == N, step
    assert value(samples, "openpal_step_duration_seconds_count", workflow="fails", step="boom") == 1
    assert value(samples, "openpal_claim_latency_seconds_count") == N + 1
    assert value(samples, "openpal_lease_takeovers_total") == 0
    assert value(samples, "openpal_queue_depth") == 0
    assert labels_of(samples, "openpal_process_info", "role") == {"api+worker"}

    routes = labels_of(samples, "openpal_http_requests_total", "route")
    assert "/api/v1/run/{target:path}" in routes and "/api/v1/runs/{run_id}" in routes
    assert not any("exec_" in r for r in routes), routes  # templates, never ids
    posted = value(
        samples, "openpal_http_requests_total",
        method="POST", route="/api/v1/run/{target:path}", status="201",
    )  # fmt: skip
    assert posted == N + 1
    took = value(
        samples, "openpal_http_request_duration_seconds_count",
        method="POST", route="/api/v1/run/{target:path}",
    )  # fmt: skip
    assert took == N + 1


def test_held_requests_cancels_and_refusals_are_counted(fresh: Server) -> None:
    url = f"{fresh.base_url}/metrics"
    with fresh.client() as api:
        answer: dict[str, httpx.Response] = {}

        def held() -> None:
            answer["r"] = api.post(
                "/api/v1/run/approval?wait_for_completion=20", json={"amount": 5}
            )

        thread = threading.Thread(target=held)
        thread.start()
        deadline = time.monotonic() + 20
        while value(scrape(url), "openpal_held_requests") != 1:
            assert time.monotonic() < deadline, "the held request was never seen"
            time.sleep(0.1)
        waiting = api.get("/api/v1/runs", params={"source": "approval"}).json()
        run_id = waiting["data"][0]["id"] if "data" in waiting else waiting["runs"][0]["id"]
        assert api.post(f"/api/v1/runs/{run_id}/reject", json={"reason": "no"}).status_code == 200
        thread.join(30)
        assert answer["r"].status_code == 200

        pending = api.post("/api/v1/run/approval", json={"amount": 1}).json()["runId"]
        api.post(f"/api/v1/runs/{pending}/cancel")
        api.post(f"/api/v1/runs/{pending}/cancel")  # a repeat ends nothing
        assert httpx.get(f"{fresh.base_url}/api/v1/runs/{run_id}").status_code == 401
        # a worker may have claimed the second run before the cancel: it then ends it at its
        # next checkpoint; and the database gauges are read at most once a second
        deadline = time.monotonic() + 15
        while True:
            time.sleep(SCRAPE_CACHE_SECONDS)
            samples = scrape(url)
            ended = {"workflow": "approval", "status": "cancelled"}
            if value(samples, FINISHED, **ended) or time.monotonic() > deadline:
                break
    assert value(samples, "openpal_held_requests") == 0
    assert (
        value(samples, "openpal_runs_finished_total", workflow="approval", status="rejected") == 1
    )
    cancelled = value(
        samples, "openpal_runs_finished_total", workflow="approval", status="cancelled"
    )
    waited = value(samples, "openpal_runs_in_status", status="waiting")
    assert cancelled == 1 and waited == 0  # once, by whichever process ended it
    unauthorized = value(
        samples, "openpal_http_requests_total",
        method="GET", route="/api/v1/runs/{run_id}", status="401",
    )  # fmt: skip
    assert unauthorized == 1  # refused before routing, still labelled by its route


def test_a_worker_process_exports_its_own_on_its_port(tmp_path: Path, db_url: str | None) -> None:
    api_srv = start_server(tmp_path / "api", args=("--no-worker",), database_url=db_url)
    worker = None
    try:
        with api_srv.client() as api:
            ids = [api.post("/api/v1/run/noop3", json={"i": i}).json()["runId"] for i in range(5)]
            before = scrape(f"{api_srv.base_url}/metrics")
            assert value(before, "openpal_queue_depth") == 5  # nobody works yet
            assert value(before, "openpal_queue_oldest_age_seconds") > 0
            port = free_port()
            worker = start_worker(
                tmp_path / "api" if db_url is None else tmp_path / "worker",
                database_url=db_url,
                env={"OPENPAL_METRICS_PORT": str(port)},
            )
            wait_until_done(api, ids)
            mine = scrape(f"http://127.0.0.1:{port}/metrics")
            assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 404  # that only
            theirs = scrape(f"{api_srv.base_url}/metrics")
    finally:
        if worker is not None:
            worker.stop()
        api_srv.stop()
    assert labels_of(mine, "openpal_process_info", "role") == {"worker"}
    assert labels_of(theirs, "openpal_process_info", "role") == {"api"}
    assert value(mine, "openpal_runs_finished_total", workflow="noop3", status="completed") == 5
    assert value(mine, "openpal_step_duration_seconds_count", workflow="noop3", step="c") == 5
    assert value(mine, "openpal_runs_started_total", workflow="noop3") == 0
    assert value(theirs, "openpal_runs_started_total", workflow="noop3") == 5
    assert value(theirs, "openpal_runs_finished_total", workflow="noop3", status="completed") == 0
    assert not labels_of(mine, "openpal_http_requests_total", "route")  # no HTTP API here


def test_metrics_need_a_key_unless_on_loopback_or_public(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "any", args=("--host", "0.0.0.0"))
    try:
        assert httpx.get(f"{srv.base_url}/metrics").status_code == 401
        scrape(f"{srv.base_url}/metrics", key=srv.api_key)
    finally:
        srv.stop()
    srv = start_server(
        tmp_path / "public", args=("--host", "0.0.0.0"), env={"OPENPAL_METRICS_PUBLIC": "1"}
    )
    try:
        scrape(f"{srv.base_url}/metrics")
    finally:
        srv.stop()
    srv = start_server(tmp_path / "off", env={"OPENPAL_METRICS": "0"})
    try:
        assert httpx.get(f"{srv.base_url}/metrics").status_code == 404
    finally:
        srv.stop()


def test_the_rule_follows_the_listening_address() -> None:
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"):
        assert metrics_open(Settings(host=host)), host
    for host in ("0.0.0.0", "::", "10.0.0.5", "api.internal"):
        assert not metrics_open(Settings(host=host)), host
        assert metrics_open(Settings(host=host, metrics_public=True)), host
    assert Settings.from_env({"OPENPAL_METRICS_PORT": "9464"}).metrics_port == 9464
    assert Settings.from_env({}).metrics_port is None
    assert Settings.from_env({"OPENPAL_METRICS": "0"}).metrics is False
    # the metrics port asks for no key: off loopback only when made public
    with pytest.raises(SettingsError, match="OPENPAL_METRICS_PUBLIC"):
        Settings.from_env({"OPENPAL_METRICS_PORT": "9464", "OPENPAL_METRICS_HOST": "0.0.0.0"})
    public = {"OPENPAL_METRICS_PORT": "9464", "OPENPAL_METRICS_HOST": "0.0.0.0",
              "OPENPAL_METRICS_PUBLIC": "1"}  # fmt: skip
    assert Settings.from_env(public).metrics_host == "0.0.0.0"
