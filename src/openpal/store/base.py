"""The `Store` protocol: every durable operation openpal performs, named after the domain.

Implementations (SQLite, PostgreSQL) apply the run state machine of
`openpal.engine.states` atomically: each status change is a guarded update
(`WHERE status IN (<allowed sources>)`), so two processes racing on one run
cannot both win. All times are integer microseconds since the epoch.

`Store` combines one protocol per area: its life and events between processes (here),
`base_catalog.CatalogStore` (API keys, sessions, workflows, deploys, schedules),
`base_runs.RunStore` (runs outside a worker, their history, retention),
`base_work.WorkStore` (claims and a held run's writes, fan-out items) and
`base_files.FileStore` (files, upload sessions, referenced blobs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from openpal.store.base_catalog import CatalogStore
from openpal.store.base_files import FileStore
from openpal.store.base_runs import RunStore
from openpal.store.base_work import WorkStore
from openpal.store.history_records import WorkerSeen

# What `Store.listen` can hear (besides `resync`).
EVENT_KINDS = frozenset({"work", "finished", "cancel", "catalog"})


class StoreLife(Protocol):
    """A store's connections, the events it carries between processes, and the worker
    pools it names for new work."""

    async def open(self) -> None:
        """Connect and apply pending migrations (safe when processes start at once)."""
        ...

    async def close(self) -> None:
        """Flush and release connections."""
        ...

    async def listen(
        self, deliver: Callable[..., None], kinds: frozenset[str] = EVENT_KINDS
    ) -> None:
        """Until cancelled, call `deliver(kind, run_id)` for run events from *other*
        processes (`deliver("finished", run_id, run)` when the event carried the
        finished run's record, so that the listener need not read it):
        `work` (a run became pending), `finished` (a run reached a terminal status; only
        for runs a request in this process holds: created with `NewRun.held`, or named
        to `hold_run`), `cancel` (a cancel was stamped on a held run), `catalog` (a
        workflow changed: its current version, name or deletion), `resync` (events may
        have been missed: re-read what you wait on; always delivered). Only `kinds` are
        heard: a process without workers needs no `work`, one without an API no
        `finished`. A backend without cross-process
        events never delivers; its users rely on their safety polls."""
        ...

    async def hold_run(self, run_id: str) -> None:
        """A request in this process waits for the end of `run_id` (created elsewhere, or
        without `held`): announce that end to this process too."""
        ...

    # -- worker pools ------------------------------------------------------
    async def report_worker(self, worker_id: str, slots: int, free: int, now: int) -> None:
        """A worker pool of this process is alive with `free` of its `slots` free (every
        second or so): a store shared by processes names live workers to wake for new
        work, rather than waking all of them (`work` events)."""
        ...

    async def forget_worker(self, worker_id: str, now: int) -> None:
        """A worker pool stopped: name it no more (and forget long-gone ones)."""
        ...

    async def workers_seen(self, since: int) -> list[WorkerSeen]:
        """Worker pools that reported at or after `since`, by id."""
        ...

    async def hand_on_work(self) -> None:
        """Wake every worker process: one named for new work had no free slot, or
        filled every free slot and may have left runs pending."""
        ...


class Store(StoreLife, CatalogStore, RunStore, WorkStore, FileStore, Protocol):
    """Durable state of one openpal deployment."""
