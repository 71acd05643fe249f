"""Relative and ISO-8601 dates of the list filters."""

from datetime import UTC, datetime, timedelta

import pytest

from openpal.engine.dates import iso, parse_when, to_micros

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now()", NOW),
        ("now()-7d", NOW - timedelta(days=7)),
        ("now()-36h", NOW - timedelta(hours=36)),
        ("now() - 90s", NOW - timedelta(seconds=90)),
        ("now()+15m", NOW + timedelta(minutes=15)),
        ("now()-2w", NOW - timedelta(weeks=2)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T10:30:00Z", datetime(2026, 11, 1, 10, 30, tzinfo=UTC)),
        ("2026-11-01T10:30:00+02:00", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_parse(text, expected):
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "now()-7x", "now()-d", "now-7d", "", "2026-13-01"])
def test_rejects(text):
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_when(text, NOW)


def test_iso_roundtrip():
    when = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert iso(to_micros(when)) == "2026-01-02T03:04:05.678Z"
    assert iso(None) is None
