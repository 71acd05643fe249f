"""What OCR makes of label words, read back: a few known misreadings ("N2" for "Nº",
"BIW" for "BTW") and, for words of six letters or more, one letter lost ("nvoice") or
read as a letter of a similar shape ("Rechnungsdalum": t as l), where exactly one word
of the phrase index is that close. A plural's "s" or another letter is no misreading
("Supplies" stays, it is not "Supplier").
"""

from __future__ import annotations

from typing import Any

__all__ = ["read_word"]

Index = dict[str, list[tuple[tuple[str, ...], Any]]]
# letters of a similar shape
_CONFUSED = {
    (w[k], w[1 - k])
    for w in ("il", "lt", "it", "ce", "nu", "ao", "bh", "ft", "gq", "eo")
    for k in (0, 1)
}
# whole words: "N°"/"Nº" read as "N2", "BTW" as "BIW"
_OCR = {"n2": "n", "no2": "no", "biw": "btw", "8tw": "btw", "tva1": "tva", "1va": "iva"}

MAX_SEEN = 50_000
_SPELLINGS: dict[int, tuple[set[str], dict[str, set[str]], dict[str, str]]] = {}


def _spelling(index: Index) -> tuple[set[str], dict[str, set[str]], dict[str, str]]:
    """The words of `index`'s phrases, each long one under every way to drop one letter."""
    if id(index) not in _SPELLINGS:
        words = {w for options in index.values() for phrase, _ in options for w in phrase}
        drops: dict[str, set[str]] = {}
        for word in (w for w in words if len(w) >= 6 and w.isalpha()):
            for k in range(len(word)):
                drops.setdefault(word[:k] + word[k + 1 :], set()).add(word)
        _SPELLINGS[id(index)] = (words, drops, {})
    return _SPELLINGS[id(index)]


def read_word(token: str, index: Index) -> str:
    """`token`, or the one long word of `index` that OCR would misread so: a letter lost
    ("nvoice" for "invoice") or one of the shapes it confuses ("Rechnungsdalum": t as l)."""
    token = _OCR.get(token, token)
    words, drops, seen = _spelling(index)
    if token in words or len(token) < 5 or not token.isalpha():
        return token
    if token not in seen:
        if len(seen) > MAX_SEEN:  # the words of untrusted text: a bounded memo
            seen.clear()
        near = set(drops.get(token, ()))
        for k in range(len(token)):
            for word in drops.get(token[:k] + token[k + 1 :], ()):
                if len(word) == len(token) and (token[k], word[k]) in _CONFUSED:
                    near.add(word)
        seen[token] = near.pop() if len(near) == 1 else token
    return seen[token]
