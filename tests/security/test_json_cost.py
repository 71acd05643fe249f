"""A JSON body within the 8 MiB limit cannot stall the server: its checks are C-speed
scans (no Python call per number), and it holds at most MAX_JSON_VALUES values.

Before, one 8 MiB start of integers (`[1,1,…]`, a Python hook per number) kept the
event loop busy for 5-7 s: `/healthz`, every run and every lease waited."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from openpal.errors import InvalidInput
from openpal.web.bodies import MAX_JSON_BODY, MAX_JSON_VALUES, parse_json
from tests.api.test_runs import assert_envelope

JSON = {"content-type": "application/json"}


def test_values_are_bounded_and_the_bound_is_exact() -> None:
    ones = b"[" + b"1," * (MAX_JSON_VALUES - 1) + b"1]"
    assert len(parse_json(ones, "<root>")) == MAX_JSON_VALUES
    with pytest.raises(InvalidInput, match="more than 100000 values"):
        parse_json(b"[1," + ones[1:], "<root>")
    commas = b'["' + b"a," * MAX_JSON_VALUES + b'"]'  # commas inside strings do not count
    assert parse_json(commas, "<root>")[0].count(",") == MAX_JSON_VALUES
    with pytest.raises(InvalidInput, match="more than 100000 values"):
        parse_json(b"[" + b'"a",' * (2 * MAX_JSON_VALUES) + b'"a"]', "<root>")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"12345678901234567890", "out of range"),  # still checked: 20 digits
        (b"-1.5e999", "out of the range of a 64-bit float"),
        (b"1E+400", "out of the range of a 64-bit float"),
    ],
)
def test_numbers_past_the_bounds_are_still_refused(value: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_json(b'{"x": [1, "12345678901234567890", ' + value + b"]}", "<root>")
    assert parse_json(b'{"x": [123456789012345678, 1.5e99, "1e999"]}', "<root>")


@pytest.mark.parametrize(
    "body",
    [
        b'{"i": [' + b"1," * ((MAX_JSON_BODY - 64) // 2) + b"1]}",
        b'{"i": ' + b"[" * ((MAX_JSON_BODY - 64) // 2) + b"]" * ((MAX_JSON_BODY - 64) // 2) + b"}",
        b'{"i": [' + b"{}," * ((MAX_JSON_BODY - 64) // 3) + b"{}]}",
    ],
    ids=["integers", "brackets", "objects"],
)
def test_an_8_mib_body_of_tiny_values_does_not_stall_the_server(api: httpx.Client, body: bytes):
    assert len(body) <= MAX_JSON_BODY
    worst, done = 0.0, threading.Event()

    def poll() -> None:
        nonlocal worst
        with httpx.Client(base_url=str(api.base_url), timeout=30) as probe:
            while not done.is_set():
                started = time.monotonic()
                probe.get("/healthz")
                worst = max(worst, time.monotonic() - started)
                time.sleep(0.01)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        time.sleep(0.1)
        for _ in range(2):
            resp = api.post("/api/v1/run/workflows.noop3", content=body, headers=JSON)
            body_issue = assert_envelope(resp, 400)["issues"][0]
            assert "more than 100000 values" in body_issue["message"], body_issue
    finally:
        done.set()
        poller.join(60)
    assert worst < 1.0, f"/healthz took {worst:.2f} s while an 8 MiB JSON body was parsed"


async def test_a_big_body_is_parsed_in_a_worker_process_not_on_the_event_loop(monkeypatch):
    """Past OFFLOAD_BYTES the body is parsed in a worker process: `parse_json` in this
    process must not see it (the worker, forked from its own server, has the real one)."""
    import asyncio

    from openpal.web import bodies

    real = bodies.parse_json

    def here(data, where):
        assert len(data) <= bodies.OFFLOAD_BYTES, "a big body was parsed on the event loop"
        return real(data, where)

    monkeypatch.setattr(bodies, "parse_json", here)
    big = b'{"doc": "' + b"x" * (2 * bodies.OFFLOAD_BYTES) + b'", "n": [1, 2]}'
    found = await bodies.load_json(big, "<root>")
    assert found["n"] == [1, 2] and len(found["doc"]) == 2 * bodies.OFFLOAD_BYTES
    ones = b"[" + b"1," * MAX_JSON_VALUES + b"1]"  # one value too many, refused there
    with pytest.raises(InvalidInput, match="more than 100000 values") as refused:
        await bodies.load_json(ones, "<root>")
    assert refused.value.issues[0].field == "<root>"
    small = await bodies.load_json(b'{"a": 1}', "<root>")  # in place, as before
    assert small == {"a": 1}
    await asyncio.sleep(0)


async def test_big_bodies_waiting_to_be_parsed_are_bounded() -> None:
    """Each body waiting for a parsing worker holds its bytes (up to 8 MiB): past
    OFFLOAD_AT_ONCE + OFFLOAD_WAITING of them, a request is answered 429 (retry), not
    queued without end."""
    import asyncio

    from openpal.errors import RateLimited
    from openpal.web import bodies

    big = b'{"doc": "' + b"x" * (bodies.OFFLOAD_BYTES + 1) + b'"}'
    many = bodies.OFFLOAD_AT_ONCE + bodies.OFFLOAD_WAITING + 8
    found = await asyncio.gather(
        *(bodies.load_json(big, "<root>") for _ in range(many)), return_exceptions=True
    )
    refused = [f for f in found if isinstance(f, RateLimited)]
    parsed = [f for f in found if isinstance(f, dict)]
    assert len(refused) == 8, found
    assert len(parsed) == many - 8
    assert "retry" in refused[0].message
    assert bodies._waiting == 0
    again = await bodies.load_json(big, "<root>")  # the queue emptied: served again
    assert len(again["doc"]) == bodies.OFFLOAD_BYTES + 1
