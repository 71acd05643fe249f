"""Retention: delete finished runs older than a configured age, in bounded batches."""

from __future__ import annotations

import asyncio
import logging
import time

from openpal.store.base import Store

log = logging.getLogger("openpal.retention")

BATCH = 500
SWEEP_EVERY_SECONDS = 3600.0


async def prune(store: Store, older_than_days: float, *, batch: int = BATCH) -> int:
    """Delete terminal runs completed more than `older_than_days` ago; returns the count.

    Each batch is its own short transaction, so API writes interleave with the sweep.
    """
    before = time.time_ns() // 1000 - int(older_than_days * 86_400 * 1_000_000)
    total = 0
    while True:
        deleted = await store.prune_runs(before, batch)
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let other work in between batches


async def sweep_forever(store: Store, older_than_days: float) -> None:
    """The background task of `openpal serve`: prune now and then every hour."""
    while True:
        try:
            deleted = await prune(store, older_than_days)
            if deleted:
                log.info("retention: deleted %d runs older than %g days", deleted, older_than_days)
        except Exception:
            log.exception("retention sweep failed; trying again later")
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
