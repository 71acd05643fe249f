"""What a completed step keeps: the files it wrote, stored and recorded with the run, and
an output within `max_output_chars`; either can still fail the step (as an item of a
fan-out step, the item)."""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from openpal.blobs.base import BlobStore, read_chunks
from openpal.errors import PayloadTooLarge
from openpal.steps.base import PendingArtifact
from openpal.store.base import Store
from openpal.store.history_records import ArtifactRecord
from openpal.worker.clock import Clock
from openpal.worker.outcome import StepOutcome
from openpal.worker.output_limits import output_problem

__all__ = ["StepKeeper"]

Durably = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


async def _chunks(item: PendingArtifact) -> AsyncIterator[bytes]:
    if item.content is not None:
        yield item.content
        return
    assert item.file is not None
    with item.file.open("rb") as f:
        async for chunk in read_chunks(f):
            yield chunk


class StepKeeper:
    """Keeps what the completed steps of the executor's runs wrote."""

    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        clock: Clock,
        durably: Durably,
        max_artifact_bytes: int,
        max_output_chars: int,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock
        self.durably = durably  # the lease keeper's: rides out a short database outage
        self.max_artifact_bytes = max_artifact_bytes
        self.max_output_chars = max_output_chars  # a step's output, as JSON

    async def kept(self, run_id: str, step_name: str, outcome: StepOutcome) -> StepOutcome:
        """A completed step's files kept and its output measured; either may fail it."""
        if outcome.status != "completed":
            return outcome
        if outcome.pending:
            try:
                await self._keep_artifacts(run_id, step_name, outcome.pending)
            except (OSError, ValueError, PayloadTooLarge) as exc:
                message = f"step {step_name!r} failed: could not keep an artifact: {exc}"
                return StepOutcome.failed(message, outcome.attempts)
        too_big = output_problem(
            outcome.output, self.max_output_chars, f"step {step_name!r}'s output"
        )
        if too_big is not None:
            return StepOutcome.failed(too_big, outcome.attempts)
        return outcome

    async def _keep_artifacts(
        self, run_id: str, step_name: str, pending: list[PendingArtifact]
    ) -> None:
        """Store the files a step wrote and record them with the run."""
        records = []
        for item in pending:
            name = item.path.rsplit("/", 1)[-1]
            mime = item.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
            ref = await self.blobs.put_stream(
                _chunks(item), name=name, mime_type=mime, max_bytes=self.max_artifact_bytes
            )
            records.append(
                ArtifactRecord(
                    run_id,
                    item.path,
                    ref.file_id,
                    name,
                    mime,
                    ref.size,
                    step_name,
                    self.clock.now(),
                )
            )
        await self.durably(functools.partial(self.store.save_artifacts, records))
