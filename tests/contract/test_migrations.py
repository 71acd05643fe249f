"""Migrations: one numbered sequence for both backends; backfills see existing data."""

import sqlite3
from contextlib import closing

from openpal.store.records import NewRun
from openpal.store.schema import bundled_migrations
from tests.contract.test_store import T0, _workflow


def test_both_backends_share_one_numbered_sequence():
    sqlite = [(n, name) for n, name, _ in bundled_migrations("sqlite")]
    postgres = [(n, name) for n, name, _ in bundled_migrations("postgres")]
    assert sqlite == postgres
    assert [n for n, _ in sqlite] == list(range(1, len(sqlite) + 1))  # no gaps, no repeats


async def test_run_files_backfill_finds_files_of_existing_runs(open_store, tmp_path):
    store = await open_store()
    wf, ver = await _workflow(store)
    ref = {"fileId": "sha256:" + "a" * 64, "name": "a.pdf", "mimeType": "x", "size": 1}
    run = await store.create_run(
        NewRun(
            id="exec_backfill",
            tenant_id="t1",
            workflow_id=wf.id,
            workflow_slug=wf.slug,
            workflow_name=None,
            version_id=ver.id,
            version_label=None,
            input={"doc": ref, "more": [{"nested": ref}], "fileId": 3},
            trigger_type="api",
            created_at=T0,
        )
    )
    assert await store.referenced_files([ref["fileId"], "sha256:none"]) == {ref["fileId"]}
    # undo migration 0009 as if the run had been created before it, then apply it again
    undo = "DROP TABLE run_files; DELETE FROM schema_migrations WHERE version = 9"
    if open_store.backend == "sqlite":
        await store.close()
        with closing(sqlite3.connect(tmp_path / "openpal.db")) as conn:
            conn.executescript(undo)
    else:
        await store.db.execute(undo)
        await store.close()
    again = await open_store()
    assert await again.referenced_files([ref["fileId"]]) == {ref["fileId"]}
    assert (await again.get_run("t1", run.id)).input["doc"] == ref
