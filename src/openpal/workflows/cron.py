"""Standard 5-field cron expressions: parsing and the next fire time in a time zone.

    minute  hour  day-of-month  month          day-of-week
    0-59    0-23  1-31          1-12, jan-dec  0-7, sun-sat (0 and 7: Sunday)
    0       7     *             *              1-5

Each field is `*`, a number, a name (months, days), a range `a-b`, a step `*/n` or
`a-b/n`, or a comma list of those. As in Vixie cron, when both day fields are
restricted a day matches if either does.

Time zones: fire times are local wall-clock times of `timezone` (IANA, `zoneinfo`).
A local time skipped by a DST change (spring forward) does not fire that day; a
local time that happens twice (fall back) fires once, at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["CronError", "CronExpr", "next_fire", "next_fire_micros", "parse_cron", "zone"]

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, low, high, names starting at `low`)
_FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
# The search for the next fire time looks this far ahead (a leap day can be 8 years off:
# 2096 → 2104); a cron that fires on none of these days never fires (`30 2 30 2 *`).
SEARCH_DAYS = 366 * 8 + 2
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CronError(ValueError):
    """A cron expression or time zone that cannot be used (the message says why)."""


@dataclass(frozen=True)
class CronExpr:
    """A parsed cron expression: the allowed values of each field."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Monday … 6 = Sunday (Python's weekday())
    days_restricted: bool
    weekdays_restricted: bool

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = day.weekday() in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return by_day or by_weekday
        return by_day and by_weekday


def _value(text: str, name: str, low: int, high: int, names: list[str] | None) -> int:
    if names is not None and text.lower() in names:
        return names.index(text.lower()) + (1 if name == "month" else 0)
    if not text.isdigit():
        raise CronError(f"{name}: {text!r} is not a number" + (" or a name" if names else ""))
    number = int(text)
    if not low <= number <= high:
        raise CronError(f"{name}: {number} is out of range ({low}-{high})")
    return number


def _field(text: str, name: str, low: int, high: int, names: list[str] | None) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise CronError(f"{name}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if body == "*":
            first, last = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            first = _value(a, name, low, high, names)
            last = _value(b, name, low, high, names)
            if first > last:
                raise CronError(f"{name}: range {body!r} runs backwards")
        elif body:
            first = _value(body, name, low, high, names)
            last = high if slash else first
        else:
            raise CronError(f"{name}: empty value in {text!r}")
        values.update(range(first, last + 1, step))
    return values


def parse_cron(text: str) -> CronExpr:
    """Parse a 5-field cron expression (CronError naming the field that is wrong)."""
    if not isinstance(text, str):
        raise CronError("must be a text such as '0 7 * * 1-5'")
    parts = text.split()
    if len(parts) != 5:
        raise CronError(
            f"needs 5 fields (minute hour day-of-month month day-of-week), not {len(parts)}"
        )
    sets = [_field(p, *spec) for p, spec in zip(parts, _FIELDS, strict=True)]
    minutes, hours, days, months, cron_weekdays = sets
    # cron: 0/7 = Sunday, 1 = Monday; Python: 0 = Monday, 6 = Sunday
    weekdays = frozenset((d - 1) % 7 for d in cron_weekdays)
    expr = CronExpr(
        text=" ".join(parts),
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=weekdays,
        days_restricted=not parts[2].startswith("*"),
        weekdays_restricted=not parts[4].startswith("*"),
    )
    if not expr.weekdays_restricted and not any(
        d <= _DAYS_IN_MONTH[m - 1] for m in months for d in days
    ):
        raise CronError(f"{expr.text!r} never fires (no month has such a day)")
    return expr


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (CronError when unknown)."""
    if not isinstance(name, str) or not name:
        raise CronError("must be an IANA time zone name such as Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(
            f"unknown time zone {name!r} (an IANA name such as Europe/Berlin)"
        ) from None


def _exists(local: datetime, tz: ZoneInfo) -> bool:
    """False for a wall-clock time a DST change skips (it does not survive a round trip)."""
    back = local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == local


def next_fire(expr: CronExpr, tz: ZoneInfo, after: datetime) -> datetime | None:
    """The first fire time strictly after `after` (aware), in UTC; None if there is none
    within `SEARCH_DAYS`."""
    start_local = after.astimezone(tz)
    day = start_local.date()
    for _ in range(SEARCH_DAYS):
        if expr.day_matches(day):
            for hour in expr.hours:
                for minute in expr.minutes:
                    local = datetime(day.year, day.month, day.day, hour, minute)
                    if not _exists(local, tz):
                        continue
                    when = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
                    if when > after:
                        return when
        day += timedelta(days=1)
    return None


def next_fire_micros(expr: CronExpr, tz: ZoneInfo, after_us: int) -> int | None:
    """`next_fire` on epoch microseconds."""
    after = datetime.fromtimestamp(after_us / 1_000_000, UTC)
    found = next_fire(expr, tz, after)
    return None if found is None else int(found.timestamp()) * 1_000_000
