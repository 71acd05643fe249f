"""Python steps used by the test workflows."""

import hashlib
import os

_calls: dict[str, int] = {}


def boom(message: str) -> None:
    raise ValueError(message)


def flaky(key: str, failures: int) -> dict:
    _calls[key] = _calls.get(key, 0) + 1
    if _calls[key] <= failures:
        raise RuntimeError(f"attempt {_calls[key]} failed")
    return {"attempts": _calls[key]}


def file_info(doc) -> dict:
    data = doc.read()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "mime": doc.mime_type}


async def nap(seconds: float) -> dict:
    import asyncio

    await asyncio.sleep(seconds)
    return {"slept": seconds}


def tally(ctx, note: str) -> dict:
    """Append `<run id> <step> <pid>` to $OPENPAL_TEST_TALLY: one line per execution, so a
    test can count how many times each step really ran, across worker processes."""
    path = os.environ.get("OPENPAL_TEST_TALLY")
    if path:
        with open(path, "a", encoding="utf-8") as f:  # O_APPEND: one short write, atomic
            f.write(f"{ctx.run_id} {ctx.step_name} {os.getpid()}\n")
    return {"note": note, "pid": os.getpid()}


def report(ctx, title: str) -> dict:
    """Write three artifacts: text, bytes in a sub-folder, and an existing file."""
    import tempfile

    ctx.artifact("report.txt", f"Report: {title}\n")
    ctx.artifact("data/raw.bin", bytes(range(256)) * 4, mime_type="application/octet-stream")
    with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as f:
        f.write(b"a,b\n1,2\n")
    ctx.artifact("table.csv", file=f.name)  # read by the engine once the step returns
    return {"title": title}


def bad_artifact(ctx) -> None:
    ctx.artifact("../escape.txt", "nope")


def not_json(where: str) -> object:
    """An output JSON cannot hold (a plain object), from the step `where` names."""
    return {"where": where, "thing": object()}


def rendezvous(folder: str, n: int, me: str) -> dict:
    """Arrive, then wait (blocking this thread) until `n` steps have arrived: only steps
    that run at the same time can all get through. Fails after 10 s."""
    import time
    from pathlib import Path

    place = Path(folder)
    (place / me).touch()
    deadline = time.monotonic() + 10
    while (arrived := len(list(place.iterdir()))) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {arrived} of {n} steps ran at the same time")
        time.sleep(0.01)
    return {"arrived": arrived}


def metered(ctx, prompt: int, completion: int, fail_first: bool = False) -> dict:
    """Report the tokens of two model calls, as a model step would; with `fail_first`,
    the first attempt reports one call and then fails (its tokens count too)."""
    ctx.report_usage(input_tokens=prompt, output_tokens=completion, cache_read_tokens=1)
    if fail_first and ctx.attempt == 1:
        raise ConnectionError("model endpoint dropped the connection")
    ctx.report_usage(input_tokens=prompt, output_tokens=completion)
    return {"calls": 2}


def chatty(ctx, note: str) -> None:
    """Logs through `ctx.logger`, then fails (tests of what the logs say)."""
    ctx.logger.info("checking %s (attempt %d)", note, ctx.attempt)
    raise ValueError(f"{note} does not add up")


def talkative(ctx, token: str, lines: int = 0) -> dict:
    """Prints and logs, secrets included (tests of what is kept with the run)."""
    print(f"using token {token}")
    print("partial ", end="")
    print("line ends here")
    ctx.logger.warning("calling with Authorization: Bearer abc.def.ghi")
    ctx.logger.info("the server key is opk_abcdefghijklmnop")
    for n in range(lines):
        print(f"filler line {n:06d} " + "x" * 90)
    print("done", file=__import__("sys").stderr)
    return {"ok": True}
