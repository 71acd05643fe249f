"""`GET /api/v1/runs` filters and paging."""

from __future__ import annotations

import pytest

from tests.api.test_runs import SUMMARY_KEYS, assert_envelope
from tests.conftest import start_server


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, module_db_url):
    srv = start_server(tmp_path_factory.mktemp("list"), database_url=module_db_url)
    with srv.client() as api:
        ok = [
            api.post(
                "/api/v1/run/workflows.hello",
                json={"name": f"n{i}"},
                params={"wait_for_completion": 20},
            ).json()["runId"]
            for i in range(7)
        ]
        bad = [
            api.post(
                "/api/v1/run/workflows.fails", json={}, params={"wait_for_completion": 20}
            ).json()["runId"]
            for _ in range(3)
        ]
    yield srv, ok, bad
    srv.stop()


def ids(resp):
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) >= {"runs", "nextCursor"}
    for run in body["runs"]:
        assert set(run) >= SUMMARY_KEYS
    return [r["id"] for r in body["runs"]]


def test_seed_filter_call(seeded):
    srv, ok, bad = seeded
    with srv.client() as api:
        wf_id = api.get("/api/v1/workflows/fails").json()["id"]
        got = ids(
            api.get(
                "/api/v1/runs",
                params={
                    "type": "workflow",
                    "source": wf_id,
                    "status": "failed,cancelled",
                    "from": "now()-7d",
                    "to": "now()",
                    "limit": 50,
                },
            )
        )
        assert got == list(reversed(bad))  # newest first
        by_slug = ids(api.get("/api/v1/runs", params={"source": "fails", "status": "failed"}))
        assert by_slug == got
        assert ids(api.get("/api/v1/runs", params={"source": "hello", "status": "failed"})) == []
        assert ids(api.get("/api/v1/runs", params={"from": "now()+1d"})) == []
        assert ids(api.get("/api/v1/runs", params={"to": "now()-1h"})) == []
        both = ids(api.get("/api/v1/runs", params={"source": "hello,fails"}))
        assert set(both) == set(ok) | set(bad)


def test_offset_and_cursor_paging_agree(seeded):
    srv, _, _ = seeded
    with srv.client() as api:
        all_ids = ids(api.get("/api/v1/runs", params={"limit": 100}))
        assert len(all_ids) == 10
        by_offset = []
        for offset in range(0, 10, 3):
            by_offset += ids(api.get("/api/v1/runs", params={"limit": 3, "offset": offset}))
        assert by_offset == all_ids
        by_cursor, cursor = [], None
        while True:
            params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
            body = api.get("/api/v1/runs", params=params).json()
            by_cursor += [r["id"] for r in body["runs"]]
            cursor = body["nextCursor"]
            if cursor is None:
                break
        assert by_cursor == all_ids


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "query.status"),
        ({"from": "yesterday"}, "query.from"),
        ({"to": "now()-3y"}, "query.to"),
        ({"limit": 101}, "query.limit"),
        ({"limit": 0}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"type": "robot"}, "query.type"),
        ({"cursor": "!!!"}, "query.cursor"),
        ({"from": "now()-99999999999d"}, "query.from"),  # out of range: 400, not 500
        ({"offset": "99999999999999999999999"}, "query.offset"),
    ],
)
def test_bad_filters_are_400(seeded, params, field):
    srv, _, _ = seeded
    with srv.client() as api:
        assert_envelope(api.get("/api/v1/runs", params=params), 400, field)
