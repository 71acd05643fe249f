"""The 5-field cron module: parsing, day matching, next fire times across DST."""

from datetime import UTC, datetime

import pytest

from openpal.workflows.cron import CronError, next_fire, next_fire_micros, parse_cron, zone

BERLIN = zone("Europe/Berlin")


def _next(expr, after, tz=UTC):
    return next_fire(parse_cron(expr), tz, after)


def _at(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_fields_lists_ranges_steps_and_names():
    e = parse_cron("*/15 8-10,22 1,15 jan-mar mon-fri")
    assert e.minutes == (0, 15, 30, 45)
    assert e.hours == (8, 9, 10, 22)
    assert e.days == {1, 15}
    assert e.months == {1, 2, 3}
    assert e.weekdays == {0, 1, 2, 3, 4}
    assert parse_cron("5/20 * * * *").minutes == (5, 25, 45)
    assert parse_cron("0 0 * * 0").weekdays == parse_cron("0 0 * * 7").weekdays == {6}
    assert parse_cron("0  7 * *   1-5").text == "0 7 * * 1-5"


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("* * * *", "5 fields"),
        ("60 * * * *", "minute: 60 is out of range"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day of month"),
        ("* * * 13 *", "month"),
        ("* * * * 8", "day of week"),
        ("* * * foo *", "not a number or a name"),
        ("*/0 * * * *", "step"),
        ("5-1 * * * *", "backwards"),
        ("1,,2 * * * *", "empty"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires"),
    ],
)
def test_bad_expressions_say_which_field(text, word):
    with pytest.raises(CronError, match=word):
        parse_cron(text)


def test_next_fire_is_strictly_after():
    assert _next("0 7 * * *", _at(2026, 1, 5, 7, 0)) == _at(2026, 1, 6, 7, 0)
    assert _next("0 7 * * *", _at(2026, 1, 5, 6, 59, 59)) == _at(2026, 1, 5, 7, 0)
    assert _next("*/5 * * * *", _at(2026, 1, 5, 7, 1)) == _at(2026, 1, 5, 7, 5)
    assert _next("59 23 31 12 *", _at(2026, 1, 1)) == _at(2026, 12, 31, 23, 59)


def test_weekdays_and_days_of_month():
    # Friday 2026-01-09 after 7:00 → Monday 12th
    assert _next("0 7 * * 1-5", _at(2026, 1, 9, 8)) == _at(2026, 1, 12, 7)
    # both restricted: either matches (the 13th, or a Monday)
    assert _next("0 0 13 * mon", _at(2026, 1, 9)) == _at(2026, 1, 12)
    assert _next("0 0 13 * mon", _at(2026, 1, 12, 1)) == _at(2026, 1, 13)
    # a leap day
    assert _next("0 0 29 2 *", _at(2026, 3, 1)) == _at(2028, 2, 29)


def test_local_time_of_a_zone():
    # 07:00 in Berlin is 06:00 UTC in winter, 05:00 in summer
    assert _next("0 7 * * *", _at(2026, 1, 5), BERLIN) == _at(2026, 1, 5, 6)
    assert _next("0 7 * * *", _at(2026, 7, 6), BERLIN) == _at(2026, 7, 6, 5)


def test_a_time_skipped_by_dst_does_not_fire_that_day():
    # 2026-03-29: Berlin jumps from 02:00 to 03:00
    assert _next("30 2 * * *", _at(2026, 3, 28, 12), BERLIN) == _at(2026, 3, 30, 0, 30)
    assert _next("30 3 * * *", _at(2026, 3, 28, 12), BERLIN) == _at(2026, 3, 29, 1, 30)


def test_a_time_that_happens_twice_fires_once():
    # 2026-10-25: Berlin goes from 03:00 back to 02:00; 02:30 happens at 00:30 and 01:30 UTC
    first = _next("30 2 * * *", _at(2026, 10, 24, 12), BERLIN)
    assert first == _at(2026, 10, 25, 0, 30)
    assert _next("30 2 * * *", first, BERLIN) == _at(2026, 10, 26, 1, 30)
    # every 30 minutes over the night: each local time once (02:00 and 02:30 CEST at
    # 00:00 and 00:30 UTC, then 03:00 CET at 02:00 UTC), none twice
    ticks, at = [], _at(2026, 10, 24, 23, 59)
    for _ in range(6):
        at = _next("*/30 * * * *", at, BERLIN)
        ticks.append(at.strftime("%H:%M"))
    assert ticks == ["00:00", "00:30", "02:00", "02:30", "03:00", "03:30"]


def test_micros_and_zones():
    after = int(_at(2026, 1, 5).timestamp()) * 1_000_000
    assert next_fire_micros(parse_cron("0 7 * * *"), UTC, after) == after + 7 * 3600 * 1_000_000
    with pytest.raises(CronError, match="unknown time zone"):
        zone("Mars/Olympus")
