"""One load-generator process of the scale benchmark: `python -m bench.scale_load`.

It holds `--clients` `AsyncEigenpalClient` instances (openpal's own SDK, each with its
own connections, spread round-robin over the API base URLs; the API key comes in
$SCALE_API_KEY) and obeys JSON lines on stdin, answering each with one JSON line on stdout:

- `{"op": "closed", "n": N, "at": T}`: from wall-clock time T, the clients start N runs
  between them, each starting the next as soon as its last start was answered;
- `{"op": "open", "rate": R, "seconds": S, "at": T, "offset": O, "held": bool}`: start
  runs at a fixed rate R from T + O for S seconds (open loop: a late answer does not
  delay the next start), held with `wait_for_completion` or not;
- `{"op": "quit"}`.

Several of these, started together on one time T, are the load of many programs.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import sys
import time
from typing import Any

from openpal import AsyncEigenpalClient

HOLD_SECONDS = 30


async def _until(at: float) -> None:
    delay = at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


class Loader:
    def __init__(self, key: str, bases: list[str], clients: int, index: int, workflow: str):
        self.workflow = workflow
        self.clients = [
            AsyncEigenpalClient(api_key=key, base_url=bases[(index * clients + j) % len(bases)],
                                timeout_seconds=120)
            for j in range(clients)
        ]  # fmt: skip
        self.seq = itertools.count(index * 1_000_000_000)

    async def closed(self, n: int, at: float) -> dict[str, Any]:
        ids: list[str] = []
        lat: list[float] = []
        errors: collections.Counter[str] = collections.Counter()
        todo = iter(range(n))

        async def one(c: AsyncEigenpalClient) -> None:
            for _ in todo:
                t = time.perf_counter()
                try:
                    run = await c.run(self.workflow, {"i": next(self.seq) % 2**31})
                except Exception as exc:
                    errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
                    continue
                lat.append(time.perf_counter() - t)
                ids.append(run.run_id)

        await _until(at)
        await asyncio.gather(*(one(c) for c in self.clients))
        return {"ids": ids, "lat": lat, "last": time.time(), "errors": dict(errors)}

    async def open(
        self, rate: float, seconds: float, at: float, offset: float, held: bool
    ) -> dict[str, Any]:
        ids: list[str] = []
        lat: list[float] = []
        lag: list[float] = []
        statuses: collections.Counter[str] = collections.Counter()
        errors: collections.Counter[str] = collections.Counter()
        wait = HOLD_SECONDS if held else None
        tasks: set[asyncio.Task[None]] = set()

        async def one(c: AsyncEigenpalClient, due: float) -> None:
            t = time.perf_counter()
            lag.append(max(0.0, time.time() - due))
            try:
                run = await c.run(self.workflow, {"i": next(self.seq) % 2**31},
                                  wait_for_completion=wait)  # fmt: skip
            except Exception as exc:
                errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
                return
            lat.append(time.perf_counter() - t)
            ids.append(run.run_id)
            statuses[str(run.status)] += 1

        count = max(1, round(rate * seconds))
        start = at + offset
        turn = itertools.cycle(self.clients)
        await _until(start)
        k = 0
        while k < count:
            now = time.time()
            while k < count and start + k / rate <= now:
                task = asyncio.create_task(one(next(turn), start + k / rate))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                k += 1
            if k < count:
                await asyncio.sleep(max(0.0, start + k / rate - time.time()))
        sent = time.time()
        while tasks:
            await asyncio.gather(*list(tasks))
        return {"ids": ids, "lat": lat, "lag": lag, "statuses": dict(statuses),
                "sent": count, "send_seconds": sent - start, "last": time.time(),
                "errors": dict(errors)}  # fmt: skip

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients))


async def serve(a: argparse.Namespace) -> None:
    loader = Loader(os.environ["SCALE_API_KEY"], a.bases.split(","), a.clients, a.index,
                    a.workflow)  # fmt: skip
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(json.dumps({"ready": True}), flush=True)
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            break
        if cmd["op"] == "closed":
            out = await loader.closed(cmd["n"], cmd["at"])
        else:
            out = await loader.open(cmd["rate"], cmd["seconds"], cmd["at"], cmd["offset"],
                                    cmd["held"])  # fmt: skip
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
    await loader.close()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.scale_load", description=__doc__)
    p.add_argument("--bases", required=True, help="API base URLs, comma-separated")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--workflow", default="workflows.noop3")
    a = p.parse_args()
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        runner.run(serve(a))


if __name__ == "__main__":
    main()
