"""Runs one scenario of the official `eigenpal==0.20.93` SDK against a live openpal server.

Run by the interpreter of `.venv-eigenpal-current` (never by openpal's own venv: it has
eigenpal 0.6.15), from tests/compat/test_official_sdk_current.py:

    python driver.py <scenario> '<json args>'

with OPENPAL_BASE_URL and OPENPAL_API_KEY in the environment. It imports neither openpal
nor pytest. Each scenario is a list of named checks; a failing check is recorded with its
exception and the next one still runs. It prints one JSON object
`{"scenario", "checks": [{"name", "ok", "error"?}], "facts": {...}, "exchanges": [...]}` and
exits 1 when any check failed.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from eigenpal import EigenpalClient


class Scenario:
    """The checks of one scenario, the facts it hands back, the HTTP exchanges it made."""

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        self.name = name
        self.args = args
        self.base_url = os.environ["OPENPAL_BASE_URL"]
        self.api_key = os.environ["OPENPAL_API_KEY"]
        self.checks: list[dict[str, Any]] = []
        self.facts: dict[str, Any] = {}
        self.exchanges: list[dict[str, Any]] = []
        self.client = self.make_client(self.api_key)

    def make_client(self, api_key: str, **kw: Any) -> EigenpalClient:
        """An SDK client whose every response is also logged to `exchanges`."""

        def record(response: httpx.Response) -> None:
            req = response.request
            self.exchanges.append(
                {
                    "method": req.method,
                    "path": req.url.path,
                    "query": str(req.url.query, "ascii"),
                    "status": response.status_code,
                    "requestType": req.headers.get("content-type", ""),
                }
            )

        hooks = {"event_hooks": {"response": [record]}}
        return EigenpalClient(api_key=api_key, base_url=self.base_url, httpx_args=hooks, **kw)

    @contextmanager
    def check(self, name: str) -> Iterator[None]:
        """One named check: an exception ends it (recorded), not the scenario."""
        try:
            yield
        except Exception as e:
            tb = traceback.format_exc(limit=6)
            self.checks.append({"name": name, "ok": False, "error": f"{type(e).__name__}: {e}"})
            print(f"--- {self.name}/{name} failed\n{tb}", file=sys.stderr)
        else:
            self.checks.append({"name": name, "ok": True})

    def poll(self, run_id: str, statuses: set[str], timeout: float = 30) -> Any:
        """`runs.get(run_id)` until `execution.status` is one of `statuses`."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.client.runs.get(run_id)
            status = (run.get("execution") or {}).get("status")
            if status in statuses:
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"{run_id} still {status!r} after {timeout}s, not {statuses}")
            time.sleep(0.05)

    def last(self, method: str, path_suffix: str) -> dict[str, Any]:
        """The last exchange with this method whose path ends so."""
        for ex in reversed(self.exchanges):
            if ex["method"] == method and ex["path"].endswith(path_suffix):
                return ex
        raise AssertionError(f"no {method} …{path_suffix} was sent")

    def answered(self, method: str, path_suffix: str) -> int:
        """The status of the last exchange with this method whose path ends so."""
        return int(self.last(method, path_suffix)["status"])


def _scenarios() -> dict[str, Callable[[Scenario], None]]:
    import sc_files
    import sc_parts
    import sc_runs
    import shapes

    return {
        "selftest": shapes.selftest,
        "basics": sc_runs.basics,
        "runs": sc_runs.runs,
        "parts": sc_parts.parts,
        "reviews": sc_parts.reviews,
        "automations": sc_files.automations,
        "files": sc_files.files,
        "deploy": sc_files.deploy,
    }


def main(argv: list[str]) -> int:
    name = argv[1]
    args = json.loads(argv[2]) if len(argv) > 2 else {}
    sc = Scenario(name, args)
    try:
        _scenarios()[name](sc)
        with sc.check("no 5xx answer"):
            bad = [ex for ex in sc.exchanges if ex["status"] >= 500]
            assert not bad, f"server errors: {bad}"
    finally:
        sc.client.close()
        print(
            json.dumps(
                {
                    "scenario": name,
                    "checks": sc.checks,
                    "facts": sc.facts,
                    "exchanges": sc.exchanges,
                },
                default=str,
            )
        )
    return 0 if sc.checks and all(c["ok"] for c in sc.checks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
