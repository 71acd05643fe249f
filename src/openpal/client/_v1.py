"""Sans-I/O core of the SDK's `/v1` resources: automations, files, human reviews.

Like `_core`, each method becomes a `Call` here and its answer is parsed here, so the
sync and async clients share every rule. A file upload takes several requests (the
negotiation, then one multipart POST, or the chunks and a completion); `upload` is a
generator that yields each `Call` and receives its answer, driven by either client.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml as pyyaml

from openpal.client._core import Call, _mime, _seg, list_params, parse_page
from openpal.client._errors import EigenpalError
from openpal.client._models import Page
from openpal.client._models_v1 import (
    Automation,
    AutomationVersion,
    File,
    ReviewTask,
    ReviewTaskPage,
)

UploadSource = str | os.PathLike[str] | IO[bytes] | bytes
Upload = Generator[Call, Any, File]


# -- automations ------------------------------------------------------------


def automation_path(automation: str, suffix: str = "") -> str:
    return f"/v1/automations/{_seg(automation)}{suffix}"


def list_automations(search: str | None, limit: int | None, offset: int | None) -> Call:
    params = list_params(search=search, limit=limit, offset=offset)
    return Call("GET", "/v1/automations", params=params)


def parse_automation_page(body: Any) -> Page[Automation]:
    return parse_page(body, Automation.from_wire)


def parse_version_page(body: Any) -> Page[AutomationVersion]:
    return parse_page(body, AutomationVersion.from_wire)


def create_version(automation: str, yaml: str | Path, version: str | None, activate: bool) -> Call:
    """`POST /v1/automations/{id}/versions {version, yaml, activate}`, the official SDK's
    body. Without `version`, the YAML's own `version:` label is sent."""
    text = yaml.read_text(encoding="utf-8") if isinstance(yaml, Path) else yaml
    if not isinstance(text, str) or not text.strip():
        raise EigenpalError("yaml: give the workflow's YAML text, or a Path to its file")
    if version is None:
        version = _label(text)
    body: dict[str, Any] = {}
    if version is not None:
        body["version"] = version
    body["yaml"] = text
    body["activate"] = activate
    return Call("POST", automation_path(automation, "/versions"), json_body=body, retry=False)


def _label(text: str) -> str | None:
    """The YAML's top-level `version:`; None when it has none or does not parse (the
    server then names what is wrong, with the line)."""
    try:
        loaded = pyyaml.safe_load(text)
    except pyyaml.YAMLError:
        return None
    label = loaded.get("version") if isinstance(loaded, dict) else None
    return None if label is None else str(label)


def promote_version(automation: str, version_id: str) -> Call:
    return Call("POST", automation_path(automation, f"/versions/{_seg(version_id)}/promote"))


# -- human reviews ----------------------------------------------------------


def review_path(task_id: str, suffix: str = "") -> str:
    return f"/v1/human-reviews/{_seg(task_id)}{suffix}"


def list_reviews(
    automation_id: str | None, waiting_before: str | None, limit: int | None, cursor: str | None
) -> Call:
    params = list_params(
        automationId=automation_id, waitingBefore=waiting_before, limit=limit, cursor=cursor
    )
    return Call("GET", "/v1/human-reviews", params=params)


def parse_review_page(body: Any) -> ReviewTaskPage:
    tasks = tuple(ReviewTask.from_wire(t) for t in body["tasks"])
    return ReviewTaskPage(tasks, body.get("nextCursor"))


def parse_task(body: Any) -> ReviewTask:
    return ReviewTask.from_wire(body["task"])


def approve(task_id: str, expected_version: int | None, output: Any) -> Call:
    """Approving twice is a 409, so a lost answer is not retried blindly."""
    body: dict[str, Any] = {}
    if expected_version is not None:
        body["expectedVersion"] = expected_version
    if output is not None:
        body["output"] = output
    return Call("POST", review_path(task_id, "/approve"), json_body=body, retry=False)


def reject(
    task_id: str, reason: str | None, expected_version: int | None, idempotency_key: str | None
) -> Call:
    """With an idempotency key (one is made when not given) a repeated reject answers
    the task, so the call is safe to retry."""
    body: dict[str, Any] = {"idempotencyKey": idempotency_key or str(uuid.uuid4())}
    if expected_version is not None:
        body["expectedVersion"] = expected_version
    if reason is not None:
        body["reason"] = reason
    return Call("POST", review_path(task_id, "/reject"), json_body=body)


# -- files ------------------------------------------------------------------


def file_path(file_id: str, suffix: str = "") -> str:
    return f"/v1/files/{_seg(file_id)}{suffix}"


def download(file_id: str) -> Call:
    """The file's bytes: `_send` answers them as they are, following a redirect."""
    return Call("GET", file_path(file_id, "/content"), raw=True)


def parse_deleted(body: Any) -> bool:
    return bool(body.get("deleted")) if isinstance(body, dict) else False


@dataclass
class _Source:
    """What to upload: its name, type, size, and how to read a range of it."""

    filename: str
    content_type: str
    size: int
    handle: IO[bytes] | None  # seekable; None for bytes
    data: bytes | None
    owned: bool  # opened here, so closed here
    base: int = 0  # where the caller's handle stood: the upload starts there

    def read(self, start: int, length: int) -> bytes:
        if self.data is not None:
            return self.data[start : start + length]
        assert self.handle is not None
        self.handle.seek(self.base + start)
        return self.handle.read(length)

    def close(self) -> None:
        if self.owned and self.handle is not None:
            self.handle.close()


def _source(value: UploadSource, filename: str | None, content_type: str | None) -> _Source:
    if isinstance(value, bytes):
        if not filename:
            raise EigenpalError("filename: required when uploading bytes")
        name = filename
        return _Source(name, content_type or _mime(name), len(value), None, value, False)
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        name = filename or path.name
        handle: IO[bytes] = path.open("rb")
        return _Source(name, content_type or _mime(name), path.stat().st_size, handle, None, True)
    if not (hasattr(value, "read") and hasattr(value, "seek")):
        raise EigenpalError("path_or_file: give a path, a binary file opened for reading, or bytes")
    if hasattr(value, "seekable") and not value.seekable():
        raise EigenpalError("path_or_file: the file must be seekable (its size is sent first)")
    name = filename or os.path.basename(str(getattr(value, "name", "") or "")) or "upload"
    start = value.tell()
    size = value.seek(0, os.SEEK_END) - start
    value.seek(start)
    return _Source(name, content_type or _mime(name), size, value, None, False, start)


def upload(
    value: UploadSource, filename: str | None, content_type: str | None, purpose: str | None
) -> Upload:
    """Negotiate (`POST /v1/files/uploads`), then send the bytes the way the server
    offered: `multipart` (one `POST` of a `file` part to the offered url) or
    `http-chunked` (`PUT {chunksUrl}/{i}` per chunk, then `POST {completeUrl}`)."""
    source = _source(value, filename, content_type)
    try:
        body: dict[str, Any] = {
            "filename": source.filename,
            "contentType": source.content_type,
            "size": source.size,
            "idempotencyKey": str(uuid.uuid4()),
        }
        if purpose is not None:
            body["purpose"] = purpose
        offer = yield Call("POST", "/v1/files/uploads", json_body=body)
        transport = offer.get("transport") if isinstance(offer, dict) else None
        if transport == "multipart":
            return File.from_wire((yield _multipart(source, str(offer["url"]), purpose)))
        if transport == "http-chunked":
            chunks_url = str(offer["chunksUrl"]).rstrip("/")
            size, count = int(offer["chunkSizeBytes"]), int(offer["chunkCount"])
            for index in range(count):
                length = min(size, source.size - index * size)
                yield Call(
                    "PUT",
                    f"{chunks_url}/{index}",
                    content=source.read(index * size, length),
                    headers={"Content-Type": "application/octet-stream"},
                )
            return File.from_wire((yield Call("POST", str(offer["completeUrl"]), json_body={})))
        raise EigenpalError(
            f"the server offered the upload transport {transport!r}; this SDK sends "
            "multipart and http-chunked uploads"
        )
    finally:
        source.close()


def _multipart(source: _Source, url: str, purpose: str | None) -> Call:
    content: Any = source.data
    if source.handle is not None:
        source.handle.seek(source.base)
        # from the caller's position on; a file opened here streams from disk as it is
        content = source.handle if source.base == 0 else source.handle.read(source.size)
    call = Call("POST", url, retry=False)
    call.files = [("file", (source.filename, content, source.content_type))]
    if purpose is not None:
        call.data = {"purpose": purpose}
    return call
