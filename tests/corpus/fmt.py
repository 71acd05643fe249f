"""How values are printed: dates, amounts, money with currency, invoice numbers.

Every function is pure; the generator picks the format, these write it.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["DATE_FORMATS", "SYMBOLS", "cents", "date_text", "invoice_number", "money", "number"]

CENT = Decimal("0.01")
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "Fr."}

# code -> (description); the writer is date_text. Numeric month-first dates (03/14/2026) are
# left out on purpose: they cannot be told from day-first ones.
DATE_FORMATS = {
    "iso": "2026-03-14",
    "dmy.": "14.03.2026",
    "dmy/": "14/03/2026",
    "dmy-": "14-03-2026",
    "ymd/": "2026/03/14",
    "d. month yyyy": "14. März 2026",
    "d month yyyy": "14 March 2026",
    "d de month de yyyy": "14 de marzo de 2026",
    "month d, yyyy": "March 14, 2026",
    "d mon yyyy": "14 Mar 2026",
    "d-mon-yyyy": "14-Mar-2026",
    "mon d, yyyy": "Mar 14, 2026",
}


def cents(value: float | Decimal | str) -> Decimal:
    """Round to cents, half up, through ``str`` so floats like 1234.5 stay exact."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def date_text(day: date, code: str, months: tuple[str, ...], short: tuple[str, ...]) -> str:
    """``day`` in format ``code`` (a DATE_FORMATS key) with the language's month names."""
    m, s = months[day.month - 1], short[day.month - 1]
    return {
        "iso": day.isoformat(),
        "dmy.": f"{day:%d.%m.%Y}",
        "dmy/": f"{day:%d/%m/%Y}",
        "dmy-": f"{day:%d-%m-%Y}",
        "ymd/": f"{day:%Y/%m/%d}",
        "d. month yyyy": f"{day.day}. {m} {day.year}",
        "d month yyyy": f"{day.day} {m} {day.year}",
        "d de month de yyyy": f"{day.day} de {m} de {day.year}",
        "month d, yyyy": f"{m} {day.day}, {day.year}",
        "d mon yyyy": f"{day.day} {s} {day.year}",
        "d-mon-yyyy": f"{day.day:02d}-{s}-{day.year}",
        "mon d, yyyy": f"{s} {day.day}, {day.year}",
    }[code]


def number(value: float | Decimal, separators: tuple[str, str]) -> str:
    """An amount with two decimals: ``(",", ".")`` -> 1,234.50, ``(".", ",")`` -> 1.234,50."""
    thousands, decimal = separators
    plain = f"{cents(value):,.2f}"
    return plain.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def quantity_text(value: float, separators: tuple[str, str]) -> str:
    """A quantity: ``3`` when whole, else ``2.5`` / ``2,5`` with the decimal separator."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", separators[1])


def money(value: float | Decimal, currency: str, fmt: str, separators: tuple[str, str]) -> str:
    """``value`` in ``currency`` written with template ``fmt``: ``{n}`` the number, ``{code}``
    the ISO code, ``{sym}`` the symbol (the code where the currency has none). A negative
    value is written with a leading minus before the number."""
    n = number(abs(Decimal(str(value))), separators)
    if Decimal(str(value)) < 0:
        n = "-" + n
    sym = SYMBOLS.get(currency, currency)
    if sym[0].isalpha():  # "Fr. 12,50" and "12,50 Fr.", never "12,50Fr."
        fmt = fmt.replace("{n}{sym}", "{n} {sym}").replace("{sym}{n}", "{sym} {n}")
    return fmt.format(n=n, code=currency, sym=sym)


def invoice_number(pattern: str, rng: random.Random, day: date) -> str:
    """Fill ``pattern``: ``{Y}`` year, ``{y}`` two-digit year, ``{m}`` month, ``{nK}`` K
    random digits (no leading zero unless ``{zK}``), ``{A}`` a capital letter."""
    out = pattern.replace("{Y}", f"{day.year}").replace("{y}", f"{day:%y}")
    out = out.replace("{m}", f"{day:%m}")
    while "{A}" in out:
        out = out.replace("{A}", rng.choice("ABCDEFGHKLMNPRSTUVWXZ"), 1)
    for k in range(1, 10):
        while f"{{n{k}}}" in out:
            out = out.replace(f"{{n{k}}}", str(rng.randint(10 ** (k - 1), 10**k - 1)), 1)
        while f"{{z{k}}}" in out:
            out = out.replace(f"{{z{k}}}", f"{rng.randint(1, 10**k - 1):0{k}d}", 1)
    return out


# Month names per language: (full, abbreviated). Shared by both halves (they are the
# language, not a choice of wording).
# fmt: off
MONTHS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("January", "February", "March", "April", "May", "June", "July", "August",
         "September", "October", "November", "December"),
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    ),
    "de": (
        ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
         "Oktober", "November", "Dezember"),
        ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.",
         "Nov.", "Dez."),
    ),
    "fr": (
        ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
         "octobre", "novembre", "décembre"),
        ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
         "nov.", "déc."),
    ),
    "es": (
        ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
         "septiembre", "octubre", "noviembre", "diciembre"),
        ("ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.",
         "nov.", "dic."),
    ),
    "nl": (
        ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
         "september", "oktober", "november", "december"),
        ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.",
         "nov.", "dec."),
    ),
}
# fmt: on
