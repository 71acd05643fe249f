"""Run-start bodies: flat JSON, or multipart with `_json`, `_overrides` and file parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from openpal.api.bodies import MAX_JSON_BODY, parse_json, read_bounded
from openpal.blobs.base import BlobStore
from openpal.errors import InvalidInput, Issue, PayloadTooLarge
from openpal.files import FileRef

_CHUNK = 1024 * 1024


def _json_object(text: str, field: str) -> dict[str, Any]:
    value = parse_json(text, field) if text.strip() else {}
    if not isinstance(value, dict):
        raise InvalidInput([Issue(field, "must be a JSON object of input names to values")])
    return value


async def read_start_body(
    request: Request, blobs: BlobStore, max_bytes: int
) -> tuple[dict[str, Any], Any]:
    """(input, overrides) of a run start; files are stored and become `FileRef`s."""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("multipart/form-data"):
        return await _read_multipart(request, blobs, max_bytes)
    body = await read_bounded(request, MAX_JSON_BODY)
    if ctype and "json" not in ctype and body.strip():
        raise InvalidInput(
            [
                Issue(
                    "<root>",
                    f"unsupported Content-Type {ctype!r}: send "
                    "application/json or multipart/form-data",
                    "unsupported_media_type",
                )
            ]
        )
    data = _json_object(body.decode("utf-8", errors="replace"), "<root>")
    overrides = data.pop("_overrides", None)
    return data, overrides


async def _read_multipart(
    request: Request, blobs: BlobStore, max_bytes: int
) -> tuple[dict[str, Any], Any]:
    # Starlette spools file parts to disk past 1 MB, so memory stays bounded;
    # from there each part is streamed into the blob store.
    form = await request.form(max_files=64, max_fields=256)
    try:
        data: dict[str, Any] = {}
        overrides: Any = None
        files: dict[str, FileRef] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = await blobs.put_stream(
                    _chunks(value),
                    name=value.filename or key,
                    mime_type=value.content_type or "application/octet-stream",
                    max_bytes=max_bytes,
                )
            elif key == "_json":
                data.update(_json_object(value, "_json"))
            elif key == "_overrides":
                overrides = _json_object(value, "_overrides")
            else:
                data[key] = value
        clash = sorted(set(files) & set(data))
        if clash:
            raise InvalidInput(
                [Issue(f"input.{k}", "sent both as a file and as a value") for k in clash]
            )
        data.update(files)
        return data, overrides
    finally:
        await form.close()


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while True:
        chunk = await upload.read(_CHUNK)
        if not chunk:
            return
        yield chunk


__all__ = ["PayloadTooLarge", "read_start_body"]
