"""A multipart/form-data body read part by part as it arrives: a file part streams
straight into the blob store, so its size limit is enforced while reading and nothing
is spooled first (Starlette's `request.form()` writes the whole body to disk before a
handler sees a byte of it)."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from openpal.errors import InvalidInput, Issue, PayloadTooLarge
from openpal.web.bodies import collect_bounded, too_big


def _app_limit(request: Request) -> int | None:
    settings = getattr(request.app.state, "settings", None) if "app" in request.scope else None
    limit = getattr(settings, "request_limit", None)
    return limit if isinstance(limit, int) else None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"<body>: over the {limit}-byte limit", issues=too_big("<body>", limit))


@dataclass(frozen=True)
class Part:
    """One part's headers: its field name, and a filename when it is a file part."""

    name: str
    filename: str | None
    content_type: str | None


def _bad(message: str) -> InvalidInput:
    return InvalidInput([Issue("<body>", f"malformed multipart body: {message}", "invalid_body")])


class FormStream:
    """Pull parts one at a time: `next_part()`, then `data()` or `text()` of that part."""

    def __init__(self, request: Request, max_total: int | None = None) -> None:
        """`max_total`: the most bytes the whole body may have (default: the app's
        `request_limit` setting); past it, 413 before the rest is read."""
        ctype, params = parse_options_header(request.headers.get("content-type", ""))
        if ctype != b"multipart/form-data":
            raise InvalidInput(
                [
                    Issue(
                        "<body>",
                        "send multipart/form-data with a `file` part",
                        "unsupported_media_type",
                    )
                ]
            )
        boundary = params.get(b"boundary")
        if not boundary:
            raise _bad("the Content-Type has no boundary")
        self._limit = max_total if max_total is not None else _app_limit(request)
        self._read = 0
        self._source = request.stream().__aiter__()
        self._events: deque[tuple[str, object]] = deque()
        self._done = False
        self._in_part = False
        self._headers: list[tuple[bytes, bytes]] = []
        self._field = b""
        self._value = b""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": lambda: self._events.append(("end", None)),
            },
        )

    # parser callbacks: they only queue what they saw
    def _on_part_begin(self) -> None:
        self._headers = []

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers.append((self._field.lower(), self._value))
        self._field, self._value = b"", b""

    def _on_headers_finished(self) -> None:
        headers = dict(self._headers)
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise _bad("a part has no name in its Content-Disposition")
        filename = options.get(b"filename")
        ctype = headers.get(b"content-type")
        self._events.append(
            (
                "part",
                Part(
                    name.decode("utf-8", "replace"),
                    None if filename is None else filename.decode("utf-8", "replace"),
                    None if ctype is None else ctype.decode("latin-1").strip() or None,
                ),
            )
        )

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._events.append(("data", bytes(data[start:end])))

    async def _next_event(self) -> tuple[str, object]:
        while not self._events:
            if self._done:
                return ("eof", None)
            try:
                chunk = await self._source.__anext__()
            except StopAsyncIteration:
                self._done = True
                try:
                    self._parser.finalize()
                except FormParserError as exc:
                    raise _bad(str(exc)) from None
                continue
            self._read += len(chunk)
            if self._limit is not None and self._read > self._limit:
                raise _too_large(self._limit)
            try:
                self._parser.write(chunk)
            except FormParserError as exc:
                raise _bad(str(exc)) from None
        return self._events.popleft()

    async def next_part(self) -> Part | None:
        """The next part's headers (the rest of the current part is skipped); None at
        the end of the body."""
        while True:
            kind, value = await self._next_event()
            if kind == "part":
                self._in_part = True
                assert isinstance(value, Part)
                return value
            if kind == "end":
                self._in_part = False
            elif kind == "eof":
                if self._in_part:
                    raise _bad("the body ended inside a part")
                return None

    async def data(self) -> AsyncIterator[bytes]:
        """The current part's bytes, as they arrive."""
        while self._in_part:
            kind, value = await self._next_event()
            if kind == "data":
                assert isinstance(value, bytes)
                yield value
            elif kind == "end":
                self._in_part = False
            elif kind == "eof":
                raise _bad("the body ended inside a part")

    async def text(self, field: str, limit: int = 1024) -> str:
        """The current part as UTF-8 text of at most `limit` bytes (413 past it)."""
        raw = await collect_bounded(self.data(), limit, field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput([Issue(field, "must be UTF-8 text")]) from None
