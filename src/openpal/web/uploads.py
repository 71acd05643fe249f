"""Run-start bodies: flat JSON, or multipart with `_json`, `_overrides` and file parts;
and `read_form`, the multipart reader every upload of the API goes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from openpal.blobs.base import BlobStore
from openpal.errors import InvalidInput, Issue, PayloadTooLarge
from openpal.files import FileRef
from openpal.web.bodies import MAX_JSON_BODY, load_json, read_bounded
from openpal.web.form_stream import FormStream

MAX_TEXT_PART = 1024 * 1024  # a text part of a multipart body


async def _json_object(text: str | bytes, field: str) -> dict[str, Any]:
    value = await load_json(text, field) if text.strip() else {}
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
    data = await _json_object(body, "<root>")  # bytes: parse_json refuses invalid UTF-8
    overrides = data.pop("_overrides", None)
    return data, overrides


async def _read_multipart(
    request: Request, blobs: BlobStore, max_bytes: int
) -> tuple[dict[str, Any], Any]:
    data: dict[str, Any] = {}
    overrides: Any = None
    files: dict[str, FileRef] = {}
    for key, value in await read_form(request, blobs, max_bytes, max_files=64, max_fields=256):
        if isinstance(value, FileRef):
            files[key] = value
        elif key == "_json":
            data.update(await _json_object(value, "_json"))
        elif key == "_overrides":
            overrides = await _json_object(value, "_overrides")
        else:
            data[key] = value
    clash = sorted(set(files) & set(data))
    if clash:
        raise InvalidInput(
            [Issue(f"input.{k}", "sent both as a file and as a value") for k in clash]
        )
    data.update(files)
    return data, overrides


async def read_form(
    request: Request,
    blobs: BlobStore,
    max_bytes: int,
    *,
    max_files: int,
    max_fields: int,
    file_name: Callable[[str], str] = str,
    text_parts: frozenset[str] = frozenset(),
    skip_blank_files: bool = False,
) -> list[tuple[str, str | FileRef]]:
    """Every part of a multipart body, in order: a file part streams into the blob store
    as it arrives (its size limit enforced while reading, nothing spooled first) and
    becomes a `FileRef`; a text part is UTF-8 of at most 1 MiB. `file_name(part name)`
    names a file sent without a filename; parts named in `text_parts` are text even when
    they come with a filename; `skip_blank_files` skips file parts with an empty filename
    (what a browser sends for a file input left empty)."""
    form = FormStream(request)
    items: list[tuple[str, str | FileRef]] = []
    files = fields = 0
    while (part := await form.next_part()) is not None:
        if skip_blank_files and part.filename == "" and part.name not in text_parts:
            continue  # its (empty) content is skipped by the next `next_part`
        if part.filename is not None and part.name not in text_parts:
            files += 1
            if files > max_files:
                raise InvalidInput([Issue("<body>", f"at most {max_files} file parts")])
            ref = await blobs.put_stream(
                form.data(),
                name=part.filename or file_name(part.name),
                mime_type=part.content_type or "application/octet-stream",
                max_bytes=max_bytes,
            )
            items.append((part.name, ref))
        else:
            fields += 1
            if fields > max_fields:
                raise InvalidInput([Issue("<body>", f"at most {max_fields} text parts")])
            items.append((part.name, await form.text(part.name, MAX_TEXT_PART)))
    return items


__all__ = ["PayloadTooLarge", "read_start_body"]
