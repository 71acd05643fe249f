"""Large values stay usable: a run whose output is megabytes of JSON gets a dashboard page
of a few dozen kilobytes that shows the first part and links to the whole value, which
downloads byte for byte (signed in, own tenant only); the API serves one step's output
alone. And the dashboard's start-a-run form parses JSON as strictly as the API does.

Before, the run page rendered every value whole (a 3 MB output made a page of over 9 MB:
the output, the step's output, both pretty-printed and HTML-escaped), and the form took
`NaN` and any nesting through `json.loads`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import start_server

STEPS = """\
def records(n):
    return [{"i": i, "name": "record %d" % i, "note": "é \\"quoted\\" <b>"} for i in range(n)]


def echo(value, count):
    return {"value": value, "count": count}


def boom(n):
    raise ValueError("y" * n)
"""

BOOM = """\
name: boom
inputs:
  - {name: n, type: integer}
steps:
  - name: fail
    type: python
    with: {function: "shapes:boom", args: {n: "{{ input.n }}"}}
"""

BIG = """\
name: big
inputs:
  - {name: n, type: integer}
steps:
  - name: make
    type: python
    with: {function: "shapes:records", args: {n: "{{ input.n }}"}}
output: "{{ steps.make.output }}"
"""

ECHO = """\
name: echo
inputs:
  - {name: value, type: object}
  - {name: count, type: number, required: false}
steps:
  - name: back
    type: python
    with: {function: "shapes:echo", args: {value: "{{ input.value }}", count: "{{ input.count }}"}}
output: "{{ steps.back.output }}"
"""

N = 50_000  # about 3 MB of JSON


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_db_url):
    tmp = tmp_path_factory.mktemp("large")
    flows = tmp / "flows"
    flows.mkdir()
    (flows / "shapes.py").write_text(STEPS)
    (flows / "big.yaml").write_text(BIG)
    (flows / "echo.yaml").write_text(ECHO)
    (flows / "boom.yaml").write_text(BOOM)
    srv = start_server(tmp / "data", workflows=flows, database_url=module_db_url)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def big_run(server) -> tuple[str, bytes]:
    """A completed run with a ~3 MB output, and that output as the API sends it."""
    with server.client() as api:
        resp = api.post("/v1/runs", json={"target": "workflows.big", "input": {"n": N}},
                        params={"wait_for_completion": 50})  # fmt: skip
        assert resp.status_code == 200, resp.text
        run_id = resp.json()["id"]
        whole = api.get(f"/v1/runs/{run_id}").json()["output"]
    assert len(whole) == N
    encoded = json.dumps(whole, ensure_ascii=False, separators=(",", ":")).encode()
    assert len(encoded) > 3_000_000
    return run_id, encoded


@contextmanager
def _signed_in(server, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60) as web:
        token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
        assert token is not None
        resp = web.post("/login", data={"api_key": key, "token": token[1]})
        assert resp.status_code == 303, resp.text
        yield web


@pytest.fixture(scope="module")
def web(server):
    with _signed_in(server, server.api_key) as client:
        yield client


def test_the_run_page_shows_the_first_part_and_links_to_the_whole(web, big_run):
    run_id, _ = big_run
    resp = web.get(f"/runs/{run_id}")
    assert resp.status_code == 200
    assert len(resp.content) < 200_000, len(resp.content)
    html = resp.text
    more = [int(n.replace(",", "")) for n in re.findall(r"… ([\d,]+) more characters", html)]
    assert len(more) == 2 and all(n > 2_900_000 for n in more)  # the step's and the run's
    assert f'href="/runs/{run_id}/values/output" download' in html
    assert f'href="/runs/{run_id}/steps/make/output" download' in html
    assert "&#34;record 0&#34;" in html  # the first part, escaped
    assert "Download the whole value (JSON)" in html
    assert f"/runs/{run_id}/values/input" not in html  # the input is small: shown whole
    listed = web.get("/runs")  # lists show no values at all
    assert listed.status_code == 200 and run_id in listed.text and len(listed.content) < 100_000


def test_the_link_downloads_the_whole_value_byte_for_byte(web, big_run):
    run_id, encoded = big_run
    for url in (f"/runs/{run_id}/values/output", f"/runs/{run_id}/steps/make/output"):
        resp = web.get(url)
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/json"
        assert resp.headers["content-disposition"].startswith("attachment; filename=")
        assert resp.content == encoded
    resp = web.get(f"/runs/{run_id}/values/input")
    assert resp.status_code == 200 and resp.json() == {"n": N}
    for url in (f"/runs/{run_id}/values/secret", f"/runs/{run_id}/steps/nope/output",
                "/runs/exec_nothing/values/output"):  # fmt: skip
        assert web.get(url).status_code == 404


def test_another_tenant_and_no_session_get_nothing(server, big_run):
    run_id, _ = big_run
    other = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", "elsewhere",
         "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, check=True, env=server.env(),
    ).stdout.strip()  # fmt: skip
    urls = [
        f"/runs/{run_id}/values/output",
        f"/runs/{run_id}/values/input",
        f"/runs/{run_id}/steps/make/output",
    ]
    with _signed_in(server, other) as web:
        for url in urls:
            resp = web.get(url)
            assert resp.status_code == 404 and "record 0" not in resp.text
    with httpx.Client(base_url=server.base_url) as anonymous:
        for url in urls:
            resp = anonymous.get(url)
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    with httpx.Client(base_url=server.base_url,
                      headers={"Authorization": f"Bearer {other}"}) as api:  # fmt: skip
        stx = f"stx_{run_id.removeprefix('exec_')}_0"
        assert api.get(f"/v1/runs/{run_id}/steps/{stx}/output").status_code == 404


def test_the_api_serves_one_step_output_alone(server, big_run):
    run_id, encoded = big_run
    with server.client() as api:
        (row,) = api.get(f"/v1/runs/{run_id}/steps").json()["steps"]
        resp = api.get(f"/v1/runs/{run_id}/steps/{row['id']}/output")
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "application/json"
        assert "attachment" in resp.headers["content-disposition"]
        assert resp.content == encoded
        missing = api.get(f"/v1/runs/{run_id}/steps/{row['id'][:-1]}9/output")
        assert missing.status_code == 404 and missing.json()["issues"]


def test_an_error_of_megabytes_is_shown_in_part(server, web):
    with server.client() as api:
        resp = api.post("/v1/runs", json={"target": "workflows.boom", "input": {"n": 2_000_000}},
                        params={"wait_for_completion": 50})  # fmt: skip
        assert resp.status_code == 200 and resp.json()["execution"]["status"] == "failed"
        run_id = resp.json()["id"]
        assert len(resp.json()["error"]) > 2_000_000  # the API keeps it whole
    page = web.get(f"/runs/{run_id}")
    assert page.status_code == 200 and len(page.content) < 100_000, len(page.content)
    assert re.search(r"y … [\d,]+ more characters", page.text)


# -- the start-a-run form -------------------------------------------------------------
def _start_from_form(web, fields: dict[str, str]) -> httpx.Response:
    page = web.get("/workflows/echo").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    files = {"csrf": (None, csrf[1]), **{k: (None, v) for k, v in fields.items()}}
    return web.post("/workflows/echo/run", files=files)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"input.value": '{"a": NaN}'}, "input.value: NaN is not a JSON number"),
        ({"input.value": "{}", "input.count": "Infinity"}, "input.count: Infinity is not"),
        ({"input.value": '{"a":' * 100 + "1" + "}" * 100}, "nested more than 64 levels"),
        ({"input.value": '{"a": "\\ud800"}'}, "lone UTF-16 surrogate"),
        ({"input.value": '{"a": 1' + "0" * 30 + "}"}, "out of range"),
    ],
)
def test_the_form_refuses_what_the_api_refuses_on_the_page(server, web, fields, message):
    with server.client() as api:
        before = len(api.get("/v1/runs", params={"source": "echo"}).json()["runs"])
    resp = _start_from_form(web, fields)
    assert resp.status_code == 400
    assert "text/html" in resp.headers["content-type"]
    alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', resp.text)
    assert alert is not None and message in alert[1].replace("&#39;", "'"), resp.text[:3000]
    with server.client() as api:
        assert len(api.get("/v1/runs", params={"source": "echo"}).json()["runs"]) == before


def test_the_form_still_starts_a_run_with_strict_json(web):
    resp = _start_from_form(web, {"input.value": '{"a": [1, 2.5, "é"]}', "input.count": "3"})
    assert resp.status_code == 303, resp.text[:2000]
    page = web.get(resp.headers["location"])
    assert "&#34;count&#34;: 3" in page.text and "2.5" in page.text


def test_a_form_text_field_over_a_mebibyte_is_413_as_on_the_api(web):
    resp = _start_from_form(web, {"input.value": '{"a": "' + "x" * (1024 * 1024) + '"}'})
    assert resp.status_code == 413
    (issue,) = resp.json()["issues"]
    assert issue["field"] == "input.value" and "over the 1048576-byte limit" in issue["message"]
