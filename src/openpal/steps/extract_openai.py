"""The `openai` provider of `ai.extract`: any OpenAI-compatible chat-completions endpoint
(OpenAI itself, or a local Ollama, vLLM or llama.cpp server).

Where: the step's `base_url`, else `OPENPAL_OPENAI_BASE_URL` (default
https://api.openai.com/v1). `OPENPAL_OPENAI_API_KEY` is sent only to the URL the
environment names (a key is optional for local servers; a step's own `base_url` gets
none). Which model: the step's `model`, else `OPENPAL_OPENAI_MODEL` (gpt-4o-mini).

The schema is sent as `response_format: {type: json_schema, ...}`; a server that
rejects that with a 400/422 is asked once more with `{type: json_object}` and
remembered (per base URL, for this process). The answer is validated against the
schema and, when invalid, the model is told what is wrong and asked again, up to
`max_attempts` times. Connection errors, timeouts and 5xx answers are retried
`OPENPAL_OPENAI_RETRIES` times (default 2) and then raise `ModelUnreachable`, which
`ai.extract` answers from the rules (its `fallback` setting). The tokens each call used
(the answer's `usage`; a call without one still counts) go to `on_usage`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any

import httpx

from openpal import tracing
from openpal.schemas import schema_errors

__all__ = ["ModelUnreachable", "ProviderError", "extract_openai", "resolve_base_url"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
MAX_TEXT_CHARS = 100_000
TIMEOUT_SECONDS = 120.0  # per call; the step's `timeout_seconds` or OPENPAL_OPENAI_TIMEOUT_SECONDS
MAX_TIMEOUT_SECONDS = 600.0
RETRIES = 2  # OPENPAL_OPENAI_RETRIES: extra tries when the endpoint cannot be reached
BACKOFF_SECONDS = 0.25  # doubled after each failed try
FORMATS = ("json_schema", "json_object")
_JSON_OBJECT_ONLY: set[str] = set()  # base URLs that rejected json_schema (this process)


class ProviderError(RuntimeError):
    """The endpoint failed or never produced valid output; the message says how."""


class ModelUnreachable(ProviderError):
    """No answer at all: connection refused, timed out, or 5xx after the retries."""


def _env_number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ProviderError(f"{name} must be a number, not {raw!r}") from None
    return min(max(value, low), high)


def env_base_url() -> str:
    return (os.environ.get("OPENPAL_OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def resolve_base_url(step_url: Any, *, confined: bool = False) -> tuple[str, str]:
    """(base URL, API key to send): the step's `base_url` (no key) or the environment's.

    A workflow that came over the API (`confined`) may name only the environment's URL
    or one listed in `OPENPAL_OPENAI_BASE_URLS` (comma-separated): the server posts to
    the URL and shows part of its answer in errors."""
    configured = env_base_url()
    key = os.environ.get("OPENPAL_OPENAI_API_KEY") or ""
    if step_url is None or str(step_url).rstrip("/") == configured:
        if not key and configured == DEFAULT_BASE_URL:
            raise ProviderError("OPENPAL_OPENAI_API_KEY is not set (needed for api.openai.com)")
        return configured, key
    url = str(step_url).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ProviderError(f"base_url must be an http(s) URL, not {url!r}")
    listed = os.environ.get("OPENPAL_OPENAI_BASE_URLS") or ""
    if confined and url not in {u.strip().rstrip("/") for u in listed.split(",")}:
        raise ProviderError(
            f"base_url {url} is not allowed for a workflow deployed over the API"
            " (list it in OPENPAL_OPENAI_BASE_URLS)"
        )
    return url, ""


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


def _unfenced(content: Any) -> Any:
    """The JSON inside a ```json … ``` fence (small local models often add one)."""
    if isinstance(content, str):
        text = content.strip()
        if text.startswith("```") and text.endswith("```"):
            return text[3:-3].removeprefix("json").strip()
    return content


def _answer_problems(value: Any, public: dict[str, Any]) -> list[str]:
    """What is wrong with an answer: null stands for "not in the document" (the prompt
    asks for it), so only the values given are checked; `ai.extract` then refuses a
    required field that is null, naming it."""
    if not isinstance(value, dict):
        return schema_errors(value, public)
    present = {k: v for k, v in value.items() if v is not None}
    absent = [
        f"{k}: missing (null if the document does not contain it)"
        for k in public.get("required", [])
        if k not in value
    ]
    return absent + schema_errors(present, {**public, "required": []})


def _response_format(kind: str, public: Any) -> dict[str, Any]:
    if kind == "json_object":
        return {"type": "json_object"}
    # strict stays off: openpal's schemas leave fields nullable and optional, which
    # OpenAI's strict mode does not accept
    return {
        "type": "json_schema",
        "json_schema": {"name": "extraction", "schema": public, "strict": False},
    }


async def _post(client: httpx.AsyncClient, base: str, body: dict[str, Any]) -> httpx.Response:
    """One chat completion, retried while the endpoint cannot be reached."""
    retries = int(_env_number("OPENPAL_OPENAI_RETRIES", RETRIES, 0, 10))
    why = ""
    for attempt in range(retries + 1):
        if attempt:
            await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            resp = await client.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            why = f"no answer within {client.timeout.read:g} s"
            continue
        except httpx.TransportError as exc:
            why = f"cannot connect ({type(exc).__name__}: {exc})"
            continue
        if resp.status_code < 500:
            return resp
        why = f"answered {resp.status_code}: {resp.text[:200]}"
    tries = retries + 1
    raise ModelUnreachable(
        f"{base}/chat/completions {why} ({tries} tr{'y' if tries == 1 else 'ies'})"
    )


async def extract_openai(
    text: str,
    schema: dict[str, Any],
    *,
    model: str | None = None,
    instructions: str | None = None,
    max_attempts: int = 3,
    on_usage: Callable[..., None] | None = None,
    base_url: str | None = None,
    response_format: str | None = None,
    timeout_seconds: float | None = None,
    confined: bool = False,
) -> Any:
    base, key = resolve_base_url(base_url, confined=confined)
    timeout = (
        timeout_seconds
        if timeout_seconds is not None
        else _env_number(
            "OPENPAL_OPENAI_TIMEOUT_SECONDS", TIMEOUT_SECONDS, 0.1, MAX_TIMEOUT_SECONDS
        )
    )
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
    kind = response_format or ("json_object" if base in _JSON_OBJECT_ONLY else "json_schema")
    body: dict[str, Any] = {
        "model": model or os.environ.get("OPENPAL_OPENAI_MODEL") or DEFAULT_MODEL,
        "temperature": 0,
    }
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    parent = tracing.current_traceparent()
    if parent is not None:  # the model server's spans join the run's trace
        headers["traceparent"] = parent
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=timeout, headers=headers) as client:
        for _ in range(max_attempts):
            sent = {**body, "messages": messages, "response_format": _response_format(kind, public)}
            resp = await _post(client, base, sent)
            if resp.status_code in (400, 422) and kind == "json_schema" and not response_format:
                # a server without structured output (older llama.cpp, some proxies)
                kind = "json_object"
                sent["response_format"] = _response_format(kind, public)
                resp = await _post(client, base, sent)
                if resp.status_code < 400:
                    _JSON_OBJECT_ONLY.add(base)
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
                value = json.loads(_unfenced(content))
            except (TypeError, ValueError) as exc:
                problems = [f"not JSON: {exc}"]
            else:
                problems = _answer_problems(value, public)
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
