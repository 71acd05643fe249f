"""`openpal_http_requests_total`'s `route` label, in-process (`create_app` through httpx's
ASGI transport): the template of the route that answered, the route a request refused
before routing would have reached, `(unmatched)` when no route serves the path."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from openpal.api.app import create_app
from openpal.cli.keys import ensure_first_key
from openpal.settings import Settings
from tests.conftest import TEST_WORKFLOWS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    env = {"OPENPAL_DATA_DIR": str(tmp_path), "OPENPAL_WORKFLOWS_DIR": str(TEST_WORKFLOWS)}
    return Settings.from_env(env)


@pytest.fixture
def key(settings: Settings) -> str:
    """The first API key (made outside the test's event loop: the CLI runs its own)."""
    return ensure_first_key(settings)


async def test_each_answer_is_labelled_by_its_route_template(settings: Settings, key: str) -> None:
    app = create_app(settings)
    auth = {"authorization": f"Bearer {key}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://openpal") as api:
            assert (await api.get("/api/v1/runs/exec_nope", headers=auth)).status_code == 404
            assert (await api.get("/api/v1/runs/exec_nope")).status_code == 401  # before routing
            assert (await api.get("/api/v1/no/such/path", headers=auth)).status_code == 404
            assert (await api.delete("/healthz")).status_code == 405
            assert (await api.get("/healthz")).status_code == 200
            text = (await api.get("/metrics")).text
    counted = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "openpal_http_requests"
        for s in family.samples
    }
    assert counted == {
        ("GET", "/api/v1/runs/{run_id}", "404"): 1,
        ("GET", "/api/v1/runs/{run_id}", "401"): 1,
        ("GET", "(unmatched)", "404"): 1,
        ("DELETE", "/healthz", "405"): 1,
        ("GET", "/healthz", "200"): 1,
    }
