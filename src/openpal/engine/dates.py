"""Parsing of list-filter dates: ISO-8601 or `now()` ± `N s|m|h|d|w`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^\s*now\(\)\s*(?:([+-])\s*(\d+)\s*([smhdw]))?\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: datetime) -> datetime:
    """A timezone-aware UTC datetime for `text`; ValueError with a readable message."""
    m = _RELATIVE.match(text)
    if m:
        sign, amount, unit = m.groups()
        if sign is None:
            return now
        try:
            delta = timedelta(**{_UNITS[unit]: int(amount)})
            return now + delta if sign == "+" else now - delta
        except (OverflowError, ValueError):  # ValueError: more digits than int() reads
            raise ValueError(f"{text!r} is out of the range of dates") from None
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO-8601 date/time nor now() ± N[s|m|h|d|w]"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is out of the range of dates (years 1 to 9999 UTC)") from None


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch: how the store keeps times (sortable, compact)."""
    return int(value.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, tz=UTC)


def iso(value: int | None) -> str | None:
    """Store time → ISO-8601 with milliseconds and a `Z`, as on the wire."""
    if value is None:
        return None
    return from_micros(value).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
