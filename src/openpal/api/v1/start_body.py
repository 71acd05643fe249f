"""`POST /v1/runs` bodies: JSON `{target, input, overrides, metadata, tags, files}` or
multipart (`target` text, `input`/`overrides`/`tags`/`metadata` JSON parts, `files.<input>`
file parts). Sizes are enforced while reading; file parts stream into the blob store.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from openpal.blobs.base import BlobStore
from openpal.errors import InvalidInput, Issue, PayloadTooLarge
from openpal.files import FileRef
from openpal.web.bodies import MAX_JSON_BODY, load_json, read_bounded, too_big
from openpal.web.uploads import read_form

MAX_TAGS = 100
MAX_TAG_CHARS = 256
MAX_METADATA_BYTES = 64 * 1024
MAX_TARGET_CHARS = 512
JSON_PARTS = ("input", "overrides", "tags", "metadata")
JSON_KEYS = frozenset({"target", *JSON_PARTS, "files"})
FILE_PART = "files."


@dataclass
class StartBody:
    """A parsed start request, before `$fileId` references are resolved."""

    target: str
    input: dict[str, Any] = field(default_factory=dict)
    overrides: Any = None
    metadata: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()


async def read_v1_start(request: Request, blobs: BlobStore, max_bytes: int) -> StartBody:
    """The start request of either content type."""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("multipart/form-data"):
        return await _multipart(request, blobs, max_bytes)
    if ctype and "json" not in ctype:
        raise InvalidInput(
            [
                Issue(
                    "<root>",
                    f"unsupported Content-Type {ctype!r}: send application/json or"
                    " multipart/form-data",
                    "unsupported_media_type",
                )
            ]
        )
    raw = await read_bounded(request, MAX_JSON_BODY)
    body = await load_json(raw, "<root>") if raw.strip() else None
    if not isinstance(body, dict):
        raise InvalidInput([Issue("<root>", 'must be a JSON object such as {"target": "…"}')])
    unknown = sorted(set(body) - JSON_KEYS)
    if unknown:
        raise InvalidInput(
            [
                Issue(
                    k,
                    "unknown key; a start body has target, input, overrides, metadata,"
                    " tags and files",
                    "unknown_field",
                )
                for k in unknown
            ]
        )
    parsed = _fields(body)
    files = body.get("files")
    if files is not None:
        parsed.input = _merge(parsed.input, await _inline_files(files, blobs, max_bytes))
    return parsed


def _fields(body: dict[str, Any]) -> StartBody:
    target = body.get("target")
    if not isinstance(target, str) or not target.strip():
        raise InvalidInput(
            [Issue("target", 'required: the workflow to run, e.g. "workflows.hello"')]
        )
    if len(target) > MAX_TARGET_CHARS or "\x00" in target:
        raise InvalidInput([Issue("target", f"must be at most {MAX_TARGET_CHARS} characters")])
    data = body.get("input")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput([Issue("input", "must be an object of input names to values")])
    overrides = body.get("overrides")
    if overrides is not None and not isinstance(overrides, dict):
        raise InvalidInput([Issue("overrides", 'must be an object such as {"steps": {…}}')])
    return StartBody(
        target.strip(), data, overrides, _metadata(body.get("metadata")), _tags(body.get("tags"))
    )


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise InvalidInput([Issue("tags", "must be a string or a list of strings")])
    if len(items) > MAX_TAGS:
        raise InvalidInput([Issue("tags", f"at most {MAX_TAGS} tags")])
    for i, tag in enumerate(items):
        if not tag or len(tag) > MAX_TAG_CHARS or "\x00" in tag:
            raise InvalidInput(
                [Issue(f"tags[{i}]", f"must be 1 to {MAX_TAG_CHARS} characters, without NUL")]
            )
    return tuple(dict.fromkeys(items))  # exact strings, first occurrence kept


def _metadata(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput([Issue("metadata", "must be an object")])
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_METADATA_BYTES:
        raise InvalidInput(
            [Issue("metadata", f"must be at most {MAX_METADATA_BYTES} bytes as JSON")]
        )
    return value


def _merge(data: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
    clash = sorted(set(files) & set(data))
    if clash:
        raise InvalidInput(
            [Issue(f"files.{k}", "also given in input; send each input once") for k in clash]
        )
    return {**data, **files}


async def _inline_files(files: Any, blobs: BlobStore, max_bytes: int) -> dict[str, Any]:
    """`files: {name: {"$fileId": …} | {"$inline": {filename, mimeType, base64}}}`."""
    if not isinstance(files, dict):
        raise InvalidInput([Issue("files", "must be an object of input names to files")])
    out: dict[str, Any] = {}
    for key, value in files.items():
        where = f"files.{key}"
        if isinstance(value, dict) and set(value) == {"$fileId"}:
            out[key] = value
        elif (
            isinstance(value, dict)
            and set(value) == {"$inline"}
            and isinstance(value["$inline"], dict)
        ):
            out[key] = await _inline(value["$inline"], where, blobs, max_bytes)
        else:
            raise InvalidInput(
                [
                    Issue(
                        where,
                        'must be {"$fileId": "file_…"} or'
                        ' {"$inline": {"filename", "mimeType", "base64"}}',
                    )
                ]
            )
    return out


async def _inline(spec: dict[str, Any], where: str, blobs: BlobStore, max_bytes: int) -> FileRef:
    name, mime, data = spec.get("filename"), spec.get("mimeType"), spec.get("base64")
    if not isinstance(name, str) or not name or not isinstance(data, str):
        raise InvalidInput([Issue(where, "$inline needs filename and base64 (text)")])
    if len(data) > (max_bytes + 2) // 3 * 4 + 4:
        raise PayloadTooLarge(
            f"{where}: over the {max_bytes}-byte limit", issues=too_big(where, max_bytes)
        )
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput([Issue(where, "base64 is not valid base64")]) from None

    async def one() -> AsyncIterator[bytes]:
        yield content

    return await blobs.put_stream(
        one(),
        name=name,
        mime_type=mime if isinstance(mime, str) and mime else "application/octet-stream",
        max_bytes=max_bytes,
    )


async def _multipart(request: Request, blobs: BlobStore, max_bytes: int) -> StartBody:
    texts: dict[str, str] = {}
    files: dict[str, FileRef] = {}
    parts = await read_form(
        request,
        blobs,
        max_bytes,
        max_files=64,
        max_fields=64,
        file_name=lambda name: name.removeprefix(FILE_PART),
        text_parts=frozenset({"target", *JSON_PARTS}),
    )
    for key, value in parts:
        if key.startswith(FILE_PART) and len(key) > len(FILE_PART):
            if not isinstance(value, FileRef):
                raise InvalidInput([Issue(key, "must be a file part (with a filename)")])
            files[key[len(FILE_PART) :]] = value
        elif key in ("target", *JSON_PARTS):
            if key in texts:
                raise InvalidInput([Issue(key, "given more than once")])
            assert isinstance(value, str)  # read as text, filename or not
            texts[key] = value
        else:
            raise InvalidInput(
                [
                    Issue(
                        key,
                        "unknown part; send target, input, overrides, tags, metadata"
                        " and files.<input name>",
                        "unknown_field",
                    )
                ]
            )
    body: dict[str, Any] = {"target": texts.get("target")}
    for key in JSON_PARTS:
        if key in texts and texts[key].strip():
            body[key] = await load_json(texts[key], key)
    parsed = _fields(body)
    parsed.input = _merge(parsed.input, dict(files))
    return parsed
