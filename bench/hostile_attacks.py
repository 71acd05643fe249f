"""The hostile side of `python -m bench.hostile`: one process that attacks a server for
a while and prints what it was answered, as JSON.

    python -m bench.hostile_attacks --base-url http://127.0.0.1:8000 --key KEY --seconds 10

Every attack runs at once, each sequential (one request, run or set of connections in
flight at a time), from loopback addresses of its own, so that the per-address
connection cap of the server meets the attacker, not the normal traffic on 127.0.0.1:

- `oversized` (127.0.0.4): a JSON start over the 8 MiB JSON limit, announced and then
  chunked (no Content-Length), and a chunked multipart start over the request limit;
- `nested`: a start nested 100,000 levels, a 5,000-digit integer, a lone surrogate;
- `large-json`: starts just under the 8 MiB JSON limit, of 4 M integers or 4 M
  brackets deep (costly to parse);
- `regex`: runs of `transform.regex-extract` with backtracking patterns (`(a+)+$`);
- `pdf`: runs of `doc.pdf-text` on PDF bombs of a few kB (over the page limit, and
  over the character limit);
- `slow` (127.0.0.3): connections that trickle their headers, or their body, a byte
  at a time;
- `flood` (127.0.0.2): 200 connections from one address, held, opened again every few
  seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from bench.pdf_bomb import shared_page_pdf

REGEX_INPUTS = [  # each seconds of backtracking with Python's `re`
    {"text": "a" * 28 + "!", "pattern": "(a+)+$"},
    {"text": "a" * 100_000 + "!", "pattern": "(a|aa)*$"},
    {"text": "x" * 50_000, "pattern": "(x+x+)+y"},
]
JSON_LIMIT = 8 * 1024 * 1024  # openpal.web.bodies.MAX_JSON_BODY
FLOOD_CONNECTIONS = 200
SLOW_HEADERS = 6
SLOW_BODIES = 4
TERMINAL = {"completed", "failed", "cancelled", "rejected"}


PDF_BOMBS = [  # (file name, bytes): over OPENPAL_PDF_MAX_PAGES, over OPENPAL_PDF_MAX_CHARS
    ("pages-bomb.pdf", shared_page_pdf(1000, 100)),
    ("chars-bomb.pdf", shared_page_pdf(400, 10_000)),
]


class Attacks:
    """The attacks against one server, and what each was answered (`counts`)."""

    def __init__(self, base_url: str, key: str, until: float) -> None:
        self.base_url, self.key, self.until = base_url, key, until
        self.host, port = base_url.removeprefix("http://").split(":")
        self.port = int(port)
        self.counts: dict[str, Counter[str]] = {}
        self.runs: dict[str, list[str]] = {"regex": [], "pdf": []}

    def note(self, attack: str, answer: str) -> None:
        self.counts.setdefault(attack, Counter())[answer] += 1

    def running(self) -> bool:
        return time.monotonic() < self.until

    def http(self, source: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=source)
        return httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,
        )

    async def _send(self, attack: str, call: Awaitable[httpx.Response]) -> httpx.Response | None:
        try:
            resp = await call
        except httpx.HTTPError as exc:
            self.note(attack, f"error {type(exc).__name__}")
            return None
        self.note(attack, str(resp.status_code))
        return resp

    async def oversized(self) -> None:
        big = b'{"i": "' + b"a" * (JSON_LIMIT + 1024) + b'"}'

        async def chunks(data: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
            for at in range(0, len(data), size):
                yield data[at : at + size]

        boundary = "b0undary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="_json"\r\n\r\n{{}}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="doc"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        megabyte = b"\0" * (1 << 20)

        async def multipart() -> AsyncIterator[bytes]:
            yield head
            for _ in range(60):  # over the 51 MiB request limit
                yield megabyte

        path = "/api/v1/run/workflows.noop3"
        async with self.http("127.0.0.4") as c:
            while self.running():
                await self._send("oversized json", c.post(path, content=big))
                await self._send("oversized json, chunked", c.post(path, content=chunks(big)))
                mp = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
                await self._send(
                    "oversized multipart, chunked", c.post(path, content=multipart(), headers=mp)
                )

    async def nested(self) -> None:
        deep = "[" * 100_000 + "]" * 100_000
        bodies = [
            '{"i": ' + deep + "}",
            '{"i": ' + "7" * 5000 + "}",
            '{"i": "\\ud800"}',
        ]
        ctype = {"Content-Type": "application/json"}
        async with self.http("127.0.0.4") as c:
            while self.running():
                for body in bodies:
                    await self._send(
                        "nested", c.post("/api/v1/run/workflows.noop3", content=body, headers=ctype)
                    )
                await asyncio.sleep(0.05)

    async def _run_to_end(self, c: httpx.AsyncClient, attack: str, **kw: Any) -> None:
        resp = await self._send(attack, c.post(f"/api/v1/run/workflows.hostile-{attack}", **kw))
        if resp is None or resp.status_code != 201:
            return
        run_id = resp.json()["runId"]
        self.runs[attack].append(run_id)
        while self.running():  # one run in flight per attack
            run = (await c.get(f"/api/v1/runs/{run_id}")).json()["run"]
            if run["status"] in TERMINAL:
                return
            await asyncio.sleep(0.1)

    async def large_json(self) -> None:
        """Starts just under the JSON limit that are costly to parse: 4 M integers, and
        4 M brackets deep."""
        half = (JSON_LIMIT - 64) // 2
        bodies = [
            b'{"i": [' + b"1," * half + b"1]}",
            b'{"i": ' + b"[" * half + b"]" * half + b"}",
        ]
        ctype = {"Content-Type": "application/json"}
        async with self.http("127.0.0.4") as c:
            while self.running():
                for body in bodies:
                    await self._send(
                        "large json",
                        c.post("/api/v1/run/workflows.noop3", content=body, headers=ctype),
                    )

    async def regex(self) -> None:
        async with self.http("127.0.0.4") as c:
            while self.running():
                for payload in REGEX_INPUTS:
                    await self._run_to_end(c, "regex", json=payload)

    async def pdf(self) -> None:
        async with self.http("127.0.0.4") as c:
            while self.running():
                for name, data in PDF_BOMBS:
                    files = {"doc": (name, data, "application/pdf")}
                    await self._run_to_end(c, "pdf", data={"_json": "{}"}, files=files)

    async def _socket(self, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port, local_addr=(source, 0))

    async def _answer(self, reader: asyncio.StreamReader, wait: float) -> str:
        try:
            got = await asyncio.wait_for(reader.read(65536), wait)
        except TimeoutError:
            return "open at end"
        except OSError:
            return "reset"
        status = re.match(rb"HTTP/1\.[01] (\d{3})", got)
        return status.group(1).decode() if status else ("closed" if not got else "garbled")

    async def _trickle(self, attack: str, prefix: bytes, data: bytes) -> None:
        """One connection that sends `prefix`, then `data` a byte a second until it is
        answered."""
        try:
            reader, writer = await self._socket("127.0.0.3")
        except OSError as exc:
            self.note(attack, f"connect {type(exc).__name__}")
            await asyncio.sleep(1)
            return
        answer = "open at end"
        try:
            writer.write(prefix)
            for byte in data:
                if not self.running():
                    break
                writer.write(bytes([byte]))
                answer = await self._answer(reader, 1.0)
                if answer != "open at end":
                    break
        except OSError:
            answer = "reset"
        finally:
            writer.close()
        self.note(attack, answer)

    async def slow(self) -> None:
        host = f"{self.host}:{self.port}"
        headers = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Pad: {'a' * 200}\r\n\r\n".encode()
        body = (
            f"POST /api/v1/run/workflows.noop3 HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {self.key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: 10000\r\n\r\n"
        ).encode()

        async def headers_loop() -> None:
            while self.running():
                await self._trickle("slow headers", b"", headers)

        async def body_loop() -> None:
            while self.running():
                await self._trickle("slow body", body, b'{"i": "' + b"a" * 9990)

        loops = [headers_loop() for _ in range(SLOW_HEADERS)]
        loops += [body_loop() for _ in range(SLOW_BODIES)]
        await asyncio.gather(*loops)

    async def flood(self) -> None:
        while self.running():
            opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
            for _ in range(FLOOD_CONNECTIONS):
                try:
                    opened.append(await self._socket("127.0.0.2"))
                except OSError as exc:
                    self.note("flood", f"connect {type(exc).__name__}")
            hold = min(3.0, max(0.1, self.until - time.monotonic()))
            answers = await asyncio.gather(*(self._answer(r, hold) for r, _ in opened))
            for (_, writer), answer in zip(opened, answers, strict=True):
                self.note("flood", answer)
                writer.close()


ATTACKS: dict[str, Callable[[Attacks], Awaitable[None]]] = {
    "oversized": Attacks.oversized,
    "nested": Attacks.nested,
    "large-json": Attacks.large_json,
    "regex": Attacks.regex,
    "pdf": Attacks.pdf,
    "slow": Attacks.slow,
    "flood": Attacks.flood,
}


async def attack(
    base_url: str, key: str, seconds: float, only: list[str] | None = None
) -> dict[str, Any]:
    """The attacks named in `only` (default: all) at once for `seconds`: the answers by
    attack and status, and the runs the hostile starts made."""
    attacks = Attacks(base_url, key, time.monotonic() + seconds)
    await asyncio.gather(*(ATTACKS[name](attacks) for name in only or ATTACKS))
    return {
        "answers": {k: dict(sorted(v.items())) for k, v in sorted(attacks.counts.items())},
        "runs": attacks.runs,
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hostile_attacks")
    p.add_argument("--base-url", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated subset")
    a = p.parse_args()
    only = a.attacks.split(",")
    if unknown := set(only) - set(ATTACKS):
        raise SystemExit(f"unknown attacks {sorted(unknown)} (known: {', '.join(ATTACKS)})")
    print("attacking", flush=True)  # bench.hostile starts its phase on this line
    print(json.dumps(asyncio.run(attack(a.base_url, a.key, a.seconds, only))))


if __name__ == "__main__":
    main()
