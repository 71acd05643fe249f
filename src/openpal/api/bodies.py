"""Request bodies read with their limits enforced while reading, and JSON parsed into a
400 envelope (never a 500) whatever the bytes are."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable
from typing import Any

from starlette.requests import Request

from openpal.errors import InvalidInput, Issue, PayloadTooLarge

MAX_JSON_BODY = 8 * 1024 * 1024  # a JSON request body; bigger inputs belong in files


async def read_bounded(request: Request, limit: int, what: str = "<body>") -> bytes:
    """The request body, refusing (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"{what}: over the {limit}-byte limit", issues=too_big(what, limit))
    return await collect_bounded(request.stream(), limit, what)


async def collect_bounded(chunks: AsyncIterable[bytes], limit: int, what: str) -> bytes:
    """`chunks` joined, refusing (413 naming `what`) as soon as they pass `limit` bytes."""
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"{what}: over the {limit}-byte limit", issues=too_big(what, limit)
            )
        parts.append(chunk)
    return b"".join(parts)


def too_big(what: str, limit: int) -> list[Issue]:
    return [Issue(what, f"over the {limit}-byte limit", "payload_too_large")]


def parse_json(text: str | bytes, where: str) -> Any:
    """JSON, or a 400 naming `where` (deep nesting included)."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput([Issue(where, f"not valid JSON: {exc}", "invalid_json")]) from None
    except RecursionError:
        raise InvalidInput([Issue(where, "JSON nested too deeply", "invalid_json")]) from None
