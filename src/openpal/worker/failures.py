"""How a failed step attempt is described: its one-line error and its bounded traceback."""

from __future__ import annotations

import traceback

from openpal.jsontext import storable_text

MAX_TRACEBACK_CHARS = 16 * 1024  # the end of a traceback says the most: keep that


def attempt_error(exc: BaseException) -> str:
    """`Type: message` (just `Type` when the message is empty)."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return storable_text(text)


def bounded_traceback(exc: BaseException, limit: int = MAX_TRACEBACK_CHARS) -> str:
    """The formatted traceback of `exc`, cut to its last `limit` characters (the frames
    nearest the error and the message), saying how much was cut."""
    text = storable_text("".join(traceback.format_exception(exc)))
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"[{cut} earlier characters of this traceback cut]\n" + text[cut:]
