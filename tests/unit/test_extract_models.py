"""`ai.extract` with `provider: openai` against local model servers (Ollama, vLLM,
llama.cpp): a real HTTP endpoint on 127.0.0.1 (`tests/fake_chat.py`), the step run
in-process. The same paths over a live `openpal serve`: tests/api/test_extract_models.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from openpal.steps.base import Reject, Resumption, StepContext, Suspend
from openpal.steps.extract import ExtractionRefused, ExtractStep
from openpal.steps.extract_openai import ModelUnreachable, ProviderError
from openpal.workflows.loader import load_workflow_text
from tests.fake_chat import FakeChat, closed_port_url

SCHEMA = {
    "type": "object",
    "required": ["total"],
    "properties": {
        "total": {"type": "number", "x-labels": ["grand total", "total"]},
        "ref": {"type": "string", "x-labels": ["reference"]},
    },
}
TEXT = "Reference: R-1\nTotal: 12.50"


def _ctx(confined: bool = False) -> StepContext:
    return StepContext(run_id="exec_t", step_name="s", workflow="w", confined=confined)


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    monkeypatch.delenv("OPENPAL_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENPAL_OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENPAL_OPENAI_RETRIES", "1")
    started: list[FakeChat] = []

    def start(reply: str = '{"total": 99, "ref": "M-1"}', **kw: object) -> FakeChat:
        fake = FakeChat(lambda body: reply, **kw)  # type: ignore[arg-type]
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


def _config(url: str, **more: object) -> dict:
    return {"text": TEXT, "schema": SCHEMA, "provider": "openai", "base_url": url} | more


async def test_a_local_server_needs_no_key_and_gets_the_schema(chat, monkeypatch):
    monkeypatch.setenv("OPENPAL_OPENAI_API_KEY", "sk-for-openai-only")
    fake = chat(style="vllm")
    ctx = _ctx()
    out = await ExtractStep().run(_config(fake.url, model="qwen2.5:7b"), ctx)
    assert out == {"total": 99, "ref": "M-1"}  # the model answered: no _provider marker
    sent = fake.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == "qwen2.5:7b"
    assert sent["auth"] is None  # the OpenAI key goes only to the URL the environment names
    fmt = sent["body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "extraction"
    assert fmt["json_schema"]["schema"]["required"] == ["total"]
    assert "x-labels" not in json.dumps(fmt) and fmt["json_schema"]["strict"] is False
    assert ctx.usage == {"input": 120, "output": 30, "cacheRead": 0, "cacheWrite": 0, "llmCalls": 1}


async def test_ollama_without_usage_still_counts_the_call_and_fenced_json_is_read(chat):
    fake = chat('```json\n{"total": 7, "ref": null}\n```', style="ollama")
    ctx = _ctx()
    assert await ExtractStep().run(_config(fake.url), ctx) == {"total": 7, "ref": None}
    assert ctx.usage is not None and ctx.usage["llmCalls"] == 1 and ctx.usage["input"] == 0


async def test_json_schema_rejected_is_retried_once_as_json_object_and_remembered(chat):
    fake = chat(style="llamacpp")
    assert (await ExtractStep().run(_config(fake.url), _ctx()))["total"] == 99
    kinds = [r["body"]["response_format"]["type"] for r in fake.requests]
    assert kinds == ["json_schema", "json_object"]
    await ExtractStep().run(_config(fake.url), _ctx())  # this process remembers the server
    assert [r["body"]["response_format"]["type"] for r in fake.requests[2:]] == ["json_object"]
    # asked for json_schema explicitly: the 400 is the answer
    with pytest.raises(ProviderError, match="answered 400"):
        await ExtractStep().run(_config(fake.url, response_format="json_schema"), _ctx())


@pytest.mark.parametrize("how", ["refused", "5xx", "timeout"])
async def test_an_unreachable_model_falls_back_to_the_rules(chat, how):
    if how == "refused":
        url, fake = closed_port_url(), None
    elif how == "5xx":
        fake = chat(status=[503, 502])
        url = fake.url
    else:
        fake = chat(delay=1.0)
        url = fake.url
    out = await ExtractStep().run(_config(url, timeout_seconds=0.3), _ctx())
    assert (out["total"], out["ref"], out["_provider"]) == (12.5, "R-1", "rules")
    reason = {"refused": "cannot connect", "5xx": "answered 502", "timeout": "no answer within"}
    assert reason[how] in out["_fallback_reason"] and "(2 tries)" in out["_fallback_reason"]
    if fake is not None:
        assert len(fake.requests) == 2  # OPENPAL_OPENAI_RETRIES=1: one retry, then the rules
        fake.status = [503, 503]
    with pytest.raises(ModelUnreachable):
        await ExtractStep().run(_config(url, timeout_seconds=0.3, fallback="none"), _ctx())


async def test_a_workflow_from_the_api_may_name_only_listed_urls(chat, monkeypatch):
    fake = chat()
    with pytest.raises(ProviderError, match="OPENPAL_OPENAI_BASE_URLS"):
        await ExtractStep().run(_config(fake.url), _ctx(confined=True))
    assert fake.requests == []
    monkeypatch.setenv("OPENPAL_OPENAI_BASE_URLS", f"http://example.invalid/v1, {fake.url}/")
    assert (await ExtractStep().run(_config(fake.url), _ctx(confined=True)))["total"] == 99


async def test_a_refusal_fails_or_parks_for_review():
    config = {"text": "nothing here", "schema": SCHEMA}
    with pytest.raises(ExtractionRefused, match="required field\\(s\\) not found: total") as info:
        await ExtractStep().run(config, _ctx())
    assert info.value.fields == ["total"]
    with pytest.raises(Suspend) as parked:
        await ExtractStep().run(config | {"on_refusal": "review"}, _ctx())
    assert parked.value.waiting_for == "approval" and parked.value.until is not None
    assert "required field(s) not found: total" in str(parked.value.message)


def test_the_settings_are_checked_at_load():
    base = (
        "name: x\nsteps:\n  - name: e\n    type: ai.extract\n"
        "    with: {text: t, schema: {type: object}, WITH}\n"
    )
    for with_, field in [
        ("on_refusal: park", "on_refusal"),
        ("fallback: openai", "fallback"),
        ("response_format: text", "response_format"),
        ("base_url: localhost:11434", "base_url"),
        ("timeout_seconds: 0", "timeout_seconds"),
        ("timeout_seconds: 601", "timeout_seconds"),
        ("review_timeout_minutes: -1", "review_timeout_minutes"),
    ]:
        with pytest.raises(Exception) as info:
            load_workflow_text(base.replace("WITH", with_))
        assert getattr(info.value, "field", None) == f"steps[0].with.{field}", (with_, info.value)
    ok = "on_refusal: review, fallback: none, base_url: 'http://localhost:8080/v1'"
    load_workflow_text(base.replace("WITH", ok))


async def test_after_the_review_the_step_returns_the_values_or_rejects_on_timeout():
    config = {"text": "nothing here", "schema": SCHEMA, "on_refusal": "review"}
    approved = StepContext(
        run_id="exec_t",
        step_name="s",
        workflow="w",
        resumed=Resumption("approval", 1, "approved", {"total": 4}),
    )
    assert await ExtractStep().run(config, approved) == {"total": 4, "ref": None}
    wrong = replace(approved, resumed=Resumption("approval", 1, "approved", {"total": "4"}))
    with pytest.raises(ValueError, match="total: '4' is not of type 'number'"):
        await ExtractStep().run(config, wrong)
    late = replace(approved, resumed=Resumption("approval", 1, None))
    with pytest.raises(Reject, match="review timed out after 1440 minutes"):
        await ExtractStep().run(config, late)
