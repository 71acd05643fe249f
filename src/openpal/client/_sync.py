"""`EigenpalClient`: the blocking client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from openpal import __version__
from openpal.client import _core as core
from openpal.client._errors import EigenpalError, EigenpalTimeoutError
from openpal.client._models import Page, Run, RunEnvelope, RunPage, Workflow, WorkflowVersion
from openpal.client._sync_v1 import Automations, Files, HumanReviews


class EigenpalClient:
    """Talks to openpal (or EigenPal) over HTTP. Use it in a `with` block."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout_seconds: float = 60.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._config = core.resolve_config(api_key, base_url, timeout_seconds, max_retries)
        self._http = httpx.Client(
            base_url=self._config.base_url,
            headers={
                "Authorization": f"Bearer {self._config.api_key}",
                "User-Agent": f"openpal-python/{__version__}",
            },
            timeout=timeout_seconds,
            transport=transport,
        )
        self._closed = False
        self.runs = Runs(self)
        self.workflows = Workflows(self)
        self.automations = Automations(self)
        self.files = Files(self)
        self.human_reviews = HumanReviews(self)

    def __enter__(self) -> EigenpalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._closed = True
        self._http.close()

    def _send(self, call: core.Call) -> Any:
        if self._closed:
            raise EigenpalError("this client is closed; create a new one")
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    resp = self._http.request(
                        call.method,
                        call.path,
                        params=call.params,
                        content=call.content,
                        json=call.json_body,
                        data=call.data,
                        files=call.files,
                        headers=call.headers,
                        follow_redirects=call.raw,  # a download may live elsewhere
                    )
                except httpx.TransportError as exc:
                    if not call.retry or attempt > self._config.max_retries:
                        raise EigenpalError(
                            f"could not reach {self._config.base_url}: {exc}"
                        ) from exc
                    time.sleep(core.backoff(attempt))
                    call.rewind()
                    continue
                try:
                    return core.parse_response(call, resp.status_code, resp.headers, resp.content)
                except EigenpalError as err:
                    if (
                        call.retry
                        and resp.status_code in core.RETRY_STATUSES
                        and attempt <= self._config.max_retries
                    ):
                        time.sleep(core.backoff(attempt, getattr(err, "retry_after", None)))
                        call.rewind()
                        continue
                    raise
        finally:
            call.close()

    def run(
        self,
        target: str | dict[str, Any],
        input: dict[str, Any] | None = None,
        *,
        wait_for_completion: float | None = None,
        version: str | None = None,
        overrides: Any = None,
        idempotency_key: str | None = None,
        deadline_seconds: float | None = None,
    ) -> Run:
        """Start a run; with `wait_for_completion=N` the server holds up to N s (max 55).

        `deadline_seconds` gives this run its own deadline (the workflow's `timeout_seconds`
        otherwise): past it the run ends `failed`, saying it timed out."""
        call = core.start_call(
            target,
            input,
            wait_for_completion=wait_for_completion,
            version=version,
            overrides=overrides,
            idempotency_key=idempotency_key,
            deadline_seconds=deadline_seconds,
        )
        return core.parse_start(self._send(call))

    def rerun(self, run_id: str) -> Run:
        return self.runs.rerun(run_id)


class Runs:
    """`client.runs`: get, list, iterate, cancel, rerun, resume."""

    def __init__(self, client: EigenpalClient) -> None:
        self._c = client

    def get(self, run_id: str, *, include: str | None = None) -> RunEnvelope:
        """A run; `include="detail"` adds input and per-step executions."""
        call = core.Call("GET", core.run_path(run_id), params={"include": include or "output"})
        return RunEnvelope(core.parse_envelope_run(self._c._send(call)))

    def list(self, **filters: Any) -> RunPage:
        """One page of runs: type, source, status (str or list), from_date, to_date,
        completed_after, completed_before, batch_id, limit, offset, cursor."""
        call = core.Call("GET", "/api/v1/runs", params=core.list_params(**filters))
        return core.parse_run_page(self._c._send(call))

    def iter(self, **filters: Any) -> Iterator[Run]:
        """Every matching run, newest first, fetching pages as needed."""
        filters.pop("offset", None)
        cursor = None
        while True:
            page = self.list(**filters, cursor=cursor)
            yield from page.runs
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def cancel(self, run_id: str) -> dict[str, Any]:
        """Idempotent cancel; returns `{id, status, cancelRequestedAt}`."""
        result: dict[str, Any] = self._c._send(core.Call("POST", core.run_path(run_id, "/cancel")))
        return result

    def rerun(self, run_id: str) -> Run:
        call = core.Call("POST", core.run_path(run_id, "/rerun"), json_body={}, retry=False)
        return core.parse_start(self._c._send(call))

    def resume(self, run_id: str, output: Any = None) -> dict[str, Any]:
        """Approve a run waiting for approval; `output` (JSON) becomes the approval step's
        output (`{"approved": true}` without it)."""
        result: dict[str, Any] = self._c._send(core.decision_call(run_id, "resume", output))
        return result

    def reject(self, run_id: str, reason: str | None = None) -> dict[str, Any]:
        """Turn down a run waiting for approval: it ends `rejected` with `reason`."""
        body = None if reason is None else {"reason": reason}
        result: dict[str, Any] = self._c._send(core.decision_call(run_id, "reject", body))
        return result


class Workflows:
    """`client.workflows`: list, get, versions, and `executions.run_and_wait`."""

    def __init__(self, client: EigenpalClient) -> None:
        self._c = client
        self.executions = Executions(client)

    def list(self, **filters: Any) -> Page[Workflow]:
        call = core.Call("GET", "/api/v1/workflows", params=core.list_params(**filters))
        return core.parse_workflow_page(self._c._send(call))

    def get(self, workflow: str) -> Workflow:
        return Workflow.from_wire(self._c._send(core.Call("GET", core.workflow_path(workflow))))

    def versions(
        self, workflow: str, *, limit: int | None = None, offset: int | None = None
    ) -> Page[WorkflowVersion]:
        call = core.Call(
            "GET",
            core.workflow_path(workflow, "/versions"),
            params=core.list_params(limit=limit, offset=offset),
        )
        return core.parse_version_page(self._c._send(call))


class Executions:
    def __init__(self, client: EigenpalClient) -> None:
        self._c = client

    def run_and_wait(
        self,
        workflow: str,
        input: dict[str, Any] | None = None,
        *,
        poll_interval_seconds: float = 2.0,
        timeout_seconds: float = 300.0,
        version: str | None = None,
    ) -> Run:
        """Start a run and wait for its end; `EigenpalTimeoutError` after `timeout_seconds`.

        The start asks the server to hold (so a quick run costs one request); longer
        runs are then polled every `poll_interval_seconds`.
        """
        deadline = time.monotonic() + timeout_seconds
        hold = max(0, min(core.MAX_HOLD_SECONDS, int(timeout_seconds)))
        run = self._c.run(f"workflows.{workflow}", input, wait_for_completion=hold, version=version)
        while True:
            if run.terminal:
                return self._c.runs.get(run.id, include="detail").run
            if time.monotonic() >= deadline:
                raise EigenpalTimeoutError(
                    f"run {run.id} still {run.status} after {timeout_seconds:g} s"
                )
            time.sleep(max(0.0, min(poll_interval_seconds, deadline - time.monotonic())))
            run = self._c.runs.get(run.id).run
