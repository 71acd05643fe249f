"""Run a function in a separate process that is killed when it runs too long.

For work on untrusted input that may take unbounded time or hold the GIL (a PDF
parser on a crafted file): a thread cannot be stopped and shares the GIL with the
event loop, a process can be killed. Worker processes are forked from a
`forkserver` (started once, with the modules named by `preload` imported), not
from the server itself, which has threads and open connections; a worker that
answered in time is kept for the next call (up to `_MAX_IDLE` of them, each for
`_MAX_JOBS` calls), one that ran too long is killed.

A call may cap the worker's memory (`memory_mb`: its address space, `RLIMIT_AS`, set
in the worker before the call and inherited by any process it starts): an allocation
past the cap fails there, so the server itself never runs out.

Workers run at a lower CPU priority than the server (`NICE`): on a busy machine, one
request's parsing of untrusted input waits for the event loop that serves everyone,
not the other way round.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from openpal.errors import RunCancelled

__all__ = ["SandboxCrashed", "SandboxOutOfMemory", "SandboxTimeout", "run_killable"]

_POLL_SECONDS = 0.2  # how often a waiting caller looks at its cancel flag
_MAX_IDLE = 4  # workers kept between calls
_MAX_JOBS = 100  # calls one worker serves before it is retired (memory, caches)
NICE = 10  # added to a worker's niceness: the server's own work goes first
_context: Any = None
_idle: list[tuple[Any, Connection, int]] = []  # (process, connection, calls served)
_lock = threading.Lock()


class SandboxTimeout(Exception):
    """The function ran past its time limit; its process was killed."""


class SandboxCrashed(Exception):
    """The process ended without an answer (killed, out of memory, a crash)."""


class SandboxOutOfMemory(Exception):
    """The function needed more memory than the call's `memory_mb`; its process was retired."""


def _get_context(preload: list[str]) -> Any:
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(preload)
        _context = ctx
    return _context


def _cap_memory(memory_bytes: int | None) -> None:
    """Lower (or lift again) this process's soft address-space limit; the hard one stays."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = hard if memory_bytes is None else memory_bytes
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _serve(conn: Connection) -> None:
    """A worker: answer `(fn, args, memory bytes)` requests until the connection closes."""
    with contextlib.suppress(OSError):  # not permitted: it runs at the server's priority
        os.nice(NICE)
    while True:
        try:
            fn, args, memory_bytes = conn.recv()
        except (EOFError, OSError):
            return
        try:
            _cap_memory(memory_bytes)
            answer: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:  # the parent re-raises it
            answer = (False, exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an exception or result that cannot be pickled
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def _acquire(preload: list[str]) -> tuple[Any, Connection, int]:
    with _lock:
        while _idle:
            worker = _idle.pop()
            if worker[0].is_alive():
                return worker
            worker[1].close()
    ctx = _get_context(preload)
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child,), daemon=True)
    process.start()
    child.close()
    return process, parent, 0


def _release(process: Any, conn: Connection, served: int, healthy: bool) -> None:
    if healthy and served < _MAX_JOBS:
        with _lock:
            if len(_idle) < _MAX_IDLE:
                _idle.append((process, conn, served))
                return
    conn.close()  # a healthy worker returns on EOF
    if not healthy and process.is_alive():
        process.kill()
    process.join(5.0)
    if process.is_alive():
        process.kill()
        process.join()


def run_killable(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    seconds: float,
    cancelled: Callable[[], bool] | None = None,
    preload: list[str] | None = None,
    memory_mb: int | None = None,
) -> Any:
    """`fn(*args)` in a worker process: its result, or its exception re-raised.

    Blocks: call it on a thread. `fn` and `args` must pickle (`fn` at module level).
    Raises `SandboxTimeout` after `seconds`, `RunCancelled` once `cancelled()` is
    true, `SandboxCrashed` if the worker dies, `SandboxOutOfMemory` if `fn` needed more
    than `memory_mb` MiB of address space; the worker is retired in each case.
    """
    process, conn, served = _acquire(preload or [])
    healthy = False
    memory_bytes = None if memory_mb is None else memory_mb * 1024 * 1024
    try:
        try:
            conn.send((fn, args, memory_bytes))
        except OSError:
            raise SandboxCrashed("the worker process is gone") from None
        deadline = time.monotonic() + seconds
        while True:
            if cancelled is not None and cancelled():
                raise RunCancelled("the run was cancelled")
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxTimeout(f"took longer than {seconds:g} s")
            if conn.poll(min(left, _POLL_SECONDS)):
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    process.join(1.0)
                    raise SandboxCrashed(f"exit code {process.exitcode}") from None
                if ok:
                    healthy = True
                    return value
                if isinstance(value, MemoryError):  # its heap may be fragmented: retire it
                    cap = "its memory" if memory_mb is None else f"{memory_mb} MiB"
                    raise SandboxOutOfMemory(f"needed more than {cap}") from None
                healthy = True
                raise value
    finally:
        _release(process, conn, served + 1, healthy)
