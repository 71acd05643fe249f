"""`/v1/runs/{id}/…`: what happened inside a run — steps, one step in full, events,
artifacts (list, download, zip), usage, trace and scores.

Handlers parse, ask `RunHistory` / `RunService`, and shape with `history_shapes`;
a run of another tenant is a 404 like an unknown one. The run itself
(`/v1/runs/{id}`) is `v1.runs`'s.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from openpal import jsontext
from openpal.api.artifact_files import artifact_download, no_download_token, zip_download
from openpal.api.context import JSON, run_service, tenant_of
from openpal.api.declare import Doc, Param, route
from openpal.api.v1 import history_shapes as hs
from openpal.api.v1 import shapes
from openpal.errors import InvalidInput, Issue, NotFound
from openpal.service.review_ids import parse_step_execution_id
from openpal.service.run_history import RunHistory

RUNS = "/v1/runs/{run_id}"
TAG = "run-parts"


def _history(request: Request) -> RunHistory:
    history: RunHistory = request.app.state.history
    return history


async def list_steps(request: Request) -> Response:
    """Slim rows of every step of the run's workflow version (ran or not)."""
    run, steps = await _history(request).steps(tenant_of(request), request.path_params["run_id"])
    return JSON({"steps": [shapes.step_row(run.id, s) for s in steps], "total": len(steps)})


async def get_step(request: Request) -> Response:
    """One step in full: input, configuration, output, error, traceback, attempts."""
    step = await _history(request).step(
        tenant_of(request), request.path_params["run_id"], request.path_params["step_execution_id"]
    )
    return JSON(hs.step_in_full(step))


async def download_step_output(request: Request) -> Response:
    """One step's output alone, as a JSON file: a value of up to `OPENPAL_MAX_OUTPUT_CHARS`
    without the step's rendered input next to it."""
    run_id, found = request.path_params["run_id"], request.path_params["step_execution_id"]
    parsed = parse_step_execution_id(found)
    run, views = await run_service(request).detail(tenant_of(request), run_id)
    if parsed is None or parsed[0] != run.id or parsed[1] >= len(views):
        raise NotFound(f"run {run_id} has no step execution {found!r}")
    step = views[parsed[1]]
    if step.output is None and step.status != "completed":
        raise NotFound(f"step {step.name!r} of run {run_id} has no output ({step.status})")
    return Response(
        jsontext.dumps(step.output).encode(),
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="{run.id}-{step.name}-output.json"',
            "x-content-type-options": "nosniff",
        },
    )


async def list_events(request: Request) -> Response:
    """The run's timeline, oldest first."""
    run_id = request.path_params["run_id"]
    events = await _history(request).events(tenant_of(request), run_id)
    return JSON({"events": [hs.event(run_id, e) for e in events]})


async def list_artifacts(request: Request) -> Response:
    """`{artifacts: [RunArtifact]}`, or with `?zip=1` all of them as one zip."""
    run_id = request.path_params["run_id"]
    no_download_token(request)
    bundle = request.query_params.get("bundle")
    if bundle is not None:
        raise InvalidInput(
            [Issue("query.bundle", "review bundles are not supported by openpal", "unsupported")]
        )
    as_zip = request.query_params.get("zip")
    if as_zip is not None:
        if as_zip != "1":
            raise InvalidInput([Issue("query.zip", f"must be 1, got {as_zip!r}")])
        return await zip_download(request, run_id, None, media="application/zip")
    found = await run_service(request).artifacts(tenant_of(request), run_id)
    return JSON({"artifacts": [shapes.artifact(a) for a in found]})


async def download_artifact(request: Request) -> Response:
    """The artifact's bytes, with its own content type, as an attachment."""
    return await artifact_download(request, legacy=False)


async def get_usage(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    found = await _history(request).usage(tenant_of(request), run_id)
    return JSON({"usage": hs.usage(run_id, found)})


async def get_trace(request: Request) -> Response:
    run, steps, events = await _history(request).trace(
        tenant_of(request), request.path_params["run_id"]
    )
    return JSON({"events": hs.trace(run, steps, events)})


async def list_scores(request: Request) -> Response:
    """openpal has no evaluators: an existing run has no scores."""
    await run_service(request).get(tenant_of(request), request.path_params["run_id"])
    return JSON({"scores": []})


routes: list[BaseRoute] = [
    route(
        "GET",
        f"{RUNS}/steps",
        list_steps,
        Doc(
            "List a run's steps",
            TAG,
            response="RunStepsResponse",
            description="One slim row per step of the run's workflow version, ran or not:"
            " `id` (a stable step execution id), name, type, status, attempts, timing, error.",
        ),
    ),
    route(
        "GET",
        f"{RUNS}/steps/{{step_execution_id}}",
        get_step,
        Doc(
            "Get one step of a run in full",
            TAG,
            description="The step's input (its `with:` rendered again from the run's stored"
            " input and the outputs before it; `inputSource` says so), its configuration as"
            " written, output, error, the traceback of its final failed attempt, the tokens"
            " it reported and each failed attempt that was retried.",
        ),
    ),
    route(
        "GET",
        f"{RUNS}/steps/{{step_execution_id}}/output",
        download_step_output,
        Doc(
            "Download one step's output",
            TAG,
            description="openpal's own: the step's output alone, as a JSON file"
            " (`content-disposition: attachment`), byte for byte the `output` of the step"
            " in full. 404 while the step has none.",
        ),
    ),
    route(
        "GET",
        f"{RUNS}/events",
        list_events,
        Doc(
            "List a run's events",
            TAG,
            response="RunEventsResponse",
            description="Created, started, each step's start and end, retries (with their"
            " traceback), waits, decisions, resumptions, takeovers, cancel requested and"
            " the end, oldest first.",
        ),
    ),
    route(
        "GET",
        f"{RUNS}/artifacts",
        list_artifacts,
        Doc(
            "List a run's artifacts",
            TAG,
            query=(
                Param("zip", "`1`: all artifacts as one zip instead", enum=("1",)),
                Param("bundle", "Not supported (review bundles)"),
                Param("token", "Not supported: downloads are authenticated by the API key"),
            ),
            response="RunArtifactsResponse",
            other_content=("application/zip",),
        ),
    ),
    route(
        "GET",
        f"{RUNS}/artifacts/{{path:path}}",
        download_artifact,
        Doc(
            "Download one artifact of a run",
            TAG,
            content_type="application/octet-stream",
            description="The bytes, with the artifact's own content type and a"
            " `content-disposition` naming it.",
        ),
    ),
    route(
        "GET",
        f"{RUNS}/usage",
        get_usage,
        Doc(
            "Get a run's usage",
            TAG,
            response="RunUsageResponse",
            description="Duration, and the tokens its model steps reported (zeros when none"
            " did; openpal charges no credits), with each step's share.",
        ),
    ),
    route(
        "GET",
        f"{RUNS}/trace",
        get_trace,
        Doc(
            "Get a run's trace",
            TAG,
            response="RunTraceResponse",
            description="Phases (queued, waiting, the run) and one record per step that ran.",
        ),
    ),
    route(
        "GET",
        f"{RUNS}/scores",
        list_scores,
        Doc(
            "List a run's evaluator scores",
            TAG,
            response="RunScoresResponse",
            description="Always empty: openpal has no evaluators.",
        ),
    ),
]
