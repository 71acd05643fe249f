"""In-process wake-ups: new work for idle workers, finished runs for held requests,
cancel requests for the worker executing a run.

This is the seam PostgreSQL's LISTEN/NOTIFY plugs into for many processes; in
one process it is a few asyncio events and futures, so nothing polls.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from openpal.store.records import RunRecord


class Hub:
    """Signals between the API side and the workers of one process."""

    def __init__(self) -> None:
        self.work_available = asyncio.Event()
        # a waiter's future resolves to the finished run when whoever finished it had
        # the record at hand (a worker in this process), else to None: read it again
        self._finished: dict[str, list[asyncio.Future[RunRecord | None]]] = defaultdict(list)
        self._cancel_hooks: dict[str, Callable[[], None]] = {}
        # the worker pool's answer to work named to this process (`work_here`)
        self.on_work_here: Callable[[], None] | None = None
        # the catalog's answer to a workflow changed in another process, or to events
        # that may have been missed (`resync`): drop what it keeps of workflows
        self.on_catalog: Callable[[], None] | None = None

    # new work
    def run_queued(self) -> None:
        """A run became pending: wake an idle worker."""
        self.work_available.set()

    # events from other processes (the store's `listen`)
    def deliver(self, kind: str, run_id: str, run: RunRecord | None = None) -> None:
        """Route one event heard from the database to the local waiters (`run`: the
        finished record, when the event carried it)."""
        if kind == "work":
            self.run_queued()
        elif kind == "work_here":  # named to this process: it may have to hand it on
            self.run_queued()
            if self.on_work_here is not None:
                self.on_work_here()
        elif kind == "finished":
            self.run_finished(run_id, run)
        elif kind == "cancel":
            self.cancel_requested(run_id)
        elif kind == "catalog":
            if self.on_catalog is not None:
                self.on_catalog()
        elif kind == "resync":
            self.resync()

    def resync(self) -> None:
        """Events may have been missed: wake every waiter to re-read its run, and the
        workers to look for work."""
        for run_id in list(self._finished):
            self.run_finished(run_id)
        self.work_available.set()
        if self.on_catalog is not None:
            self.on_catalog()

    # run finished
    def run_finished(self, run_id: str, run: RunRecord | None = None) -> None:
        """A run reached a terminal status: release whoever waits for it, handing
        them `run` (the finished record) when the caller has it."""
        for fut in self._finished.pop(run_id, ()):
            if not fut.done():
                fut.set_result(run)

    def watch(self, run_id: str) -> asyncio.Future[RunRecord | None]:
        """A future resolved when `run_id` finishes. Register it *before* reading the
        run's status (or before creating the run), so a finish in between is not missed."""
        fut: asyncio.Future[RunRecord | None] = asyncio.get_running_loop().create_future()
        self._finished[run_id].append(fut)
        return fut

    def held(self) -> int:
        """How many waiters (held `wait_for_completion` requests) wait for a run now."""
        return sum(len(waiters) for waiters in self._finished.values())

    def unwatch(self, run_id: str, fut: asyncio.Future[RunRecord | None]) -> None:
        waiters = self._finished.get(run_id)
        if waiters is not None:
            if fut in waiters:
                waiters.remove(fut)
            if not waiters:
                self._finished.pop(run_id, None)

    # cancel
    def on_cancel(self, run_id: str, hook: Callable[[], None] | None) -> None:
        """Worker side: call `hook` when a cancel for `run_id` arrives (None to forget)."""
        if hook is None:
            self._cancel_hooks.pop(run_id, None)
        else:
            self._cancel_hooks[run_id] = hook

    def cancel_requested(self, run_id: str) -> None:
        """API side: a cancel was stamped on a run a worker here may be executing."""
        hook = self._cancel_hooks.get(run_id)
        if hook is not None:
            hook()
