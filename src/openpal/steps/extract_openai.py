"""The `openai` provider of `ai.extract`: any OpenAI-compatible chat-completions endpoint.

Configured by `OPENPAL_OPENAI_BASE_URL` (default https://api.openai.com/v1),
`OPENPAL_OPENAI_API_KEY` and `OPENPAL_OPENAI_MODEL` (default gpt-4o-mini; the
step's `model:` wins). The schema is sent as a structured-output response format;
the answer is validated against it and, when invalid, the model is told what is
wrong and asked again, up to `max_attempts` times. The tokens each call used (the
answer's `usage`) are handed to `on_usage` (the step context's `report_usage`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import httpx

from openpal.schemas import schema_errors

__all__ = ["extract_openai"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
MAX_TEXT_CHARS = 100_000
TIMEOUT_SECONDS = 120.0


class ProviderError(RuntimeError):
    """The endpoint failed or never produced valid output; the message says how."""


def _report_usage(answer: Any, on_usage: Callable[..., None] | None) -> None:
    """Hand the tokens of one chat completion to `on_usage`: `prompt_tokens` counts the
    cached ones too, so input is the uncached part and cache reads the rest."""
    if on_usage is None:
        return
    usage = answer.get("usage") if isinstance(answer, dict) else None
    if not isinstance(usage, dict):
        on_usage()  # a call whose tokens the endpoint did not say
        return

    def count(value: Any) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    details = usage.get("prompt_tokens_details")
    cached = count(details.get("cached_tokens")) if isinstance(details, dict) else 0
    prompt = count(usage.get("prompt_tokens"))
    on_usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=count(usage.get("completion_tokens")),
        cache_read_tokens=min(cached, prompt) if prompt else cached,
    )


def _public_schema(schema: Any) -> Any:
    """The schema without openpal's `x-` hints (some endpoints reject unknown keys)."""
    if isinstance(schema, dict):
        return {k: _public_schema(v) for k, v in schema.items() if not str(k).startswith("x-")}
    if isinstance(schema, list):
        return [_public_schema(v) for v in schema]
    return schema


async def extract_openai(
    text: str,
    schema: dict[str, Any],
    *,
    model: str | None = None,
    instructions: str | None = None,
    max_attempts: int = 3,
    on_usage: Callable[..., None] | None = None,
) -> Any:
    base = (os.environ.get("OPENPAL_OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    key = os.environ.get("OPENPAL_OPENAI_API_KEY") or ""
    if not key and base == DEFAULT_BASE_URL:
        raise ProviderError("OPENPAL_OPENAI_API_KEY is not set (needed for api.openai.com)")
    public = _public_schema(schema)
    messages: list[dict[str, str]] = [
        {
            "role": "system",
            "content": (
                (instructions or "Extract the requested fields from the document.")
                + " Reply with one JSON object that conforms to this JSON Schema, and nothing"
                " else. Use null for a field the document does not contain.\n" + json.dumps(public)
            ),
        },
        {"role": "user", "content": text[:MAX_TEXT_CHARS]},
    ]
    body: dict[str, Any] = {
        "model": model or os.environ.get("OPENPAL_OPENAI_MODEL") or DEFAULT_MODEL,
        "temperature": 0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "extraction", "schema": public, "strict": False},
        },
    }
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_SECONDS) as client:
        for _ in range(max_attempts):
            resp = await client.post(
                "/chat/completions", json={**body, "messages": messages}, headers=headers
            )
            if resp.status_code >= 400:
                raise ProviderError(
                    f"{base}/chat/completions answered {resp.status_code}: {resp.text[:300]}"
                )
            try:
                answer = resp.json()
                content = answer["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise ProviderError(f"unexpected answer from {base}: {resp.text[:300]}") from None
            _report_usage(answer, on_usage)
            try:
                value = json.loads(content)
            except (TypeError, ValueError) as exc:
                problems = [f"not JSON: {exc}"]
            else:
                problems = schema_errors(value, public)
                if not problems:
                    return value
            messages += [
                {"role": "assistant", "content": str(content)},
                {
                    "role": "user",
                    "content": "That answer does not conform to the schema: "
                    + "; ".join(problems)
                    + ". Reply with the corrected JSON object only.",
                },
            ]
    raise ProviderError(f"no valid output after {max_attempts} attempts: {'; '.join(problems)}")
