"""Artifact downloads for both generations: one file, or a zip of a run's files.

The content type is the artifact's own, with one exception: the official SDK of the
seed generation (0.6.x, which sends `X-Eigenpal-Sdk`) checks the type of *every*
response and accepts only JSON or `application/octet-stream`, so on `/api/v1` it is
answered `application/octet-stream` (the real type rides in `X-Artifact-Content-Type`).
Everyone else, the dashboard included, gets the real type.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from openpal.api.context import run_service, tenant_of
from openpal.api.declare import Doc, Param, route
from openpal.errors import InvalidInput, Issue
from openpal.files import check_artifact_path
from openpal.service.artifact_zip import artifact_zip, read_and_close

OFFICIAL_SDK_HEADER = "x-eigenpal-sdk"
OCTET = "application/octet-stream"


def legacy_sdk_type(request: Request, mime: str) -> str:
    """`mime`, or octet-stream for the official 0.6 SDK when it would refuse `mime`."""
    if request.headers.get(OFFICIAL_SDK_HEADER) is None:
        return mime
    lowered = mime.lower()
    return mime if "json" in lowered or "octet-stream" in lowered else OCTET


def checked_path(path: str) -> str:
    """An artifact path from a URL, or a 400 naming `path`."""
    problem = check_artifact_path(path)
    if problem:
        raise InvalidInput([Issue("path", problem)])
    return path


async def artifact_download(request: Request, *, legacy: bool) -> Response:
    """`…/artifact(s)/{path}`: the file, as an attachment under its own name."""
    run_id = request.path_params["run_id"]
    path = checked_path(request.path_params["path"])
    found, content = await run_service(request).artifact_file(
        request.app.state.blobs, tenant_of(request), run_id, path
    )
    media = legacy_sdk_type(request, found.mime_type) if legacy else found.mime_type
    headers = {"cache-control": "private, max-age=31536000, immutable"}
    if media != found.mime_type:
        headers["x-artifact-content-type"] = found.mime_type
    return FileResponse(content, media_type=media, filename=found.name, headers=headers)


async def zip_download(
    request: Request, run_id: str, paths: list[str] | None, *, media: str
) -> Response:
    """A zip of the run's artifacts (`paths` only, when given), streamed from a spooled
    file that a thread built (see `service.artifact_zip`)."""
    archive = await artifact_zip(
        run_service(request), request.app.state.blobs, tenant_of(request), run_id, paths
    )
    size = archive.seek(0, 2)
    archive.seek(0)
    return StreamingResponse(
        read_and_close(archive),
        media_type=media,
        headers={
            "content-length": str(size),
            "content-disposition": f'attachment; filename="{run_id}-artifacts.zip"',
            "cache-control": "private, no-store",
        },
    )


def paths_param(raw: str | None, field: str) -> list[str] | None:
    """`a.txt,b/c.csv` → the paths (each checked); None when absent or empty."""
    if raw is None or not raw.strip():
        return None
    paths = [p.strip() for p in raw.split(",") if p.strip()]
    for p in paths:
        problem = check_artifact_path(p)
        if problem:
            raise InvalidInput([Issue(field, f"{p!r}: {problem}")])
    return paths


def no_download_token(request: Request) -> None:
    """`token=`: EigenPal's signed download links; openpal authenticates every download
    with the API key instead, and says so rather than ignoring the parameter."""
    if request.query_params.get("token") is not None:
        raise InvalidInput(
            [
                Issue(
                    "query.token",
                    "download tokens are not supported: openpal authenticates downloads"
                    " with the API key (Authorization: Bearer …)",
                    "unsupported",
                )
            ]
        )


async def legacy_files_zip(request: Request) -> Response:
    """`GET /api/v1/runs/{id}/files-zip?files=`: the 0.6 SDK's `runs.artifacts.download_zip`."""
    no_download_token(request)
    paths = paths_param(request.query_params.get("files"), "query.files")
    media = legacy_sdk_type(request, "application/zip")
    return await zip_download(request, request.path_params["run_id"], paths, media=media)


# The seed generation's zip download (its single-file download is `api.runs`'s route).
routes = [
    route(
        "GET",
        "/api/v1/runs/{run_id}/files-zip",
        legacy_files_zip,
        Doc(
            "Download a run's artifacts as one zip",
            "runs",
            query=(
                Param("files", "Comma-separated artifact paths to include (default: all)"),
                Param("token", "Not supported: downloads are authenticated by the API key"),
            ),
            content_type="application/zip",
            errors=(400, 404),
            description="Each artifact under its path, built off the event loop into a"
            " spooled file. The official 0.6 SDK gets application/octet-stream (the only"
            " binary type it accepts).",
        ),
    ),
]
