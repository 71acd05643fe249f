"""Query values at the edges (cursors that decode to times no store holds, dates at the
calendar's ends or offsets past them): a 400 envelope naming the parameter, never a 500."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.api.test_runs import assert_envelope

LISTS = ("/api/v1/runs", "/v1/runs")


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# (parameter, a value past the edge: 400, the value just inside it: answered)
CASES = [
    ("cursor", _cursor("99999999999999999999:exec_x"), _cursor("9223372036854775807:exec_x")),
    ("cursor", _cursor("-99999999999999999999999:exec_x"), _cursor("0:exec_x")),
    ("cursor", _cursor("9" * 5000 + ":exec_x"), _cursor("1:exec_x")),  # int-from-text limit
    ("cursor", _cursor("5:exec_\x00"), _cursor("5:exec_0")),  # no PostgreSQL text holds NUL
    ("from", "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00-01:00"),  # UTC: before year 1
    ("to", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+01:00"),  # UTC: after 9999
    ("createdAfter", "0001-01-01T00:00:00+14:00", "0001-01-01"),
    ("completedBefore", "9999-12-31T23:00:00-01:00", "9999-12-31T23:59:59.999999"),
    ("from", "now()-99999999d", "now()-700000d"),
    ("to", "now()+99999999w", "now()+400000w"),
    ("from", "now()-" + "9" * 5000 + "s", "now()-" + "9" * 10 + "s"),
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("name", "bad", "inside"), CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]
)
def test_past_the_edge_is_400_inside_is_answered(
    api: httpx.Client, path: str, name: str, bad: str, inside: str
) -> None:
    assert_envelope(api.get(path, params={name: bad}), 400, f"query.{name}")
    resp = api.get(path, params={name: inside})
    assert resp.status_code == 200, resp.text
