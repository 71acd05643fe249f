"""Dates in an invoice's text, in any of the lexicon's languages: numeric (14.03.2026,
2026-03-14, 03/14/2026), with the month's name or its abbreviation (14 mars 2026,
14 de marzo de 2026, Mar. 14, 2026, 14-Mrz-26), and which order the numeric ones are
written in (day or month first).

Every pattern is linear in the line: bounded repetitions, no nested quantifiers.
"""

from __future__ import annotations

import re
from datetime import date

from openpal.steps.invoice_lexicon import fold

__all__ = ["MAX_SPREAD", "MONTHS", "find_dates", "numeric_order"]

_MONTH_NAMES = {
    1: "january januar janvier enero januari gennaio janeiro jan janv ene gen",
    2: "february februar fevrier febrero februari febbraio fevereiro feb fev febr fevr",
    3: "march marz maerz mars marzo maart marco mar mrt mrz mae",
    4: "april avril abril aprile apr avr abr",
    5: "may mai mayo mei maggio maio mag",
    6: "june juni juin junio giugno junho jun giu",
    7: "july juli juillet julio luglio julho jul juil lug",
    8: "august aout agosto augustus aug ago",
    9: "september septembre septiembre setiembre settembre setembro sep sept set",
    10: "october oktober octobre octubre ottobre outubro oct okt ott out",
    11: "november novembre noviembre novembro nov",
    12: "december dezember decembre diciembre dicembre dezembro dec dez dic",
}
MONTHS = {name: n for n, names in _MONTH_NAMES.items() for name in names.split()}

_NUMERIC_DATE = re.compile(
    r"(?<![\d.,/-])(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?![\d])"
    r"|(?<![\d.,/-])(\d{1,2})[-./](\d{1,2})[-./](\d{4}|\d{2})(?![\d]|[.,]\d)"
)
_DAY_MONTH = re.compile(
    r"(?<![a-z\d])(\d{1,2})(?:st|nd|rd|th|er|e)?\.?(?: de)?(?:[ /-]{1,3}|(?<=\.))([a-z]{3,10})"
    r"\.?,?(?: de| del)?(?:[ /-]{1,3}|(?<=\.))'?(\d{4}|\d{2})(?!\d)"
)
_MONTH_DAY = re.compile(
    r"(?<![a-z])([a-z]{3,10})\.?[ -]{1,3}(\d{1,2})(?:st|nd|rd|th)?,?[ -]{1,3}(\d{4})(?!\d)"
)


def _iso(year: int, month: int, day: int) -> str | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day).isoformat() if 1990 <= year <= 2100 else None
    except ValueError:
        return None


def find_dates(text: str, month_first: bool = False) -> list[tuple[str, int, int]]:
    """(ISO date, start, end) of every date in `text`, left to right; `month_first`
    reads an ambiguous 03/04/2026 as March 4 (else day first, as most of the world)."""
    folded = fold(text)
    found: list[tuple[str, int, int]] = []
    for m in _NUMERIC_DATE.finditer(folded):
        if m.group(1):
            iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            a, b, year = int(m.group(4)), int(m.group(5)), int(m.group(6))
            first = _iso(year, a, b) if month_first else _iso(year, b, a)
            iso = first or (_iso(year, b, a) if month_first else _iso(year, a, b))
        if iso:
            found.append((iso, m.start(), m.end()))
    for m in _DAY_MONTH.finditer(folded):
        month = MONTHS.get(m.group(2))
        iso = _iso(int(m.group(3)), month, int(m.group(1))) if month else None
        if iso:
            found.append((iso, m.start(), m.end()))
    for m in _MONTH_DAY.finditer(folded):
        month = MONTHS.get(m.group(1))
        iso = _iso(int(m.group(3)), month, int(m.group(2))) if month else None
        if iso:
            found.append((iso, m.start(), m.end()))
    found.sort(key=lambda d: d[1])
    return [d for k, d in enumerate(found) if not k or d[1] >= found[k - 1][2]]


MAX_SPREAD = 92  # days between the dates of one invoice (issued, due, delivered)


def numeric_order(text: str) -> bool:
    """True when the text's numeric dates are written month first: some read 12/31/2026
    (none 31/12/2026); or none tells, and read month first the dates lie closer together
    (an invoice's dates lie within 3 months: 05/12/2025 and 04/01/2026 are 30 days apart day
    first, 324 days month first); or that does not tell either and the money is only
    dollars (the US)."""
    month_first = day_first = 0
    pairs = []
    for m in _NUMERIC_DATE.finditer(text):
        if m.group(4):
            a, b, year = int(m.group(4)), int(m.group(5)), int(m.group(6))
            month_first += b > 12 >= a
            day_first += a > 12 >= b
            pairs.append((_iso(year, a, b), _iso(year, b, a)))
    if month_first != day_first:
        return month_first > day_first
    month_spread, day_spread = (_spread([p[k] for p in pairs]) for k in (0, 1))
    spreads = [x for x in (month_spread, day_spread) if x is not None]
    if len(spreads) == 2 and max(spreads) > MAX_SPREAD >= min(spreads):
        return spreads[0] < spreads[1]
    return "$" in text and not any(mark in text for mark in ("€", "£", "EUR", "GBP", "CAD", "AUD"))


def _spread(isos: list[str | None]) -> int | None:
    """Days between the earliest and the latest of `isos` (None if one is no date)."""
    if len(isos) < 2 or None in isos:
        return None
    days = [date.fromisoformat(iso).toordinal() for iso in isos if iso]
    return max(days) - min(days)
