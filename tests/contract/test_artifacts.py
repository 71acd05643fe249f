"""The Store contract for a run's artifacts and the blobs runs keep alive, on every backend;
and the SQLite engine's rule for transaction bodies written once for both stores."""

import asyncio

import pytest

from openpal.engine.ids import new_id
from openpal.store.history_records import ArtifactRecord
from openpal.store.records import NewRun

T0 = 1_800_000_000_000_000  # µs


async def _run(store, at=T0):
    wf, ver = await store.save_workflow_version(
        workflow_id="wf_art", slug="art", name="art", description=None, version_id=new_id("ver"),
        version_label="1", content_hash="h-art", yaml_content="name: art", source_path=None,
        now=T0,
    )  # fmt: skip
    return await store.create_run(
        NewRun(id=new_id("exec", at), tenant_id="t1", workflow_id=wf.id, workflow_slug="art",
               workflow_name="art", version_id=ver.id, version_label="1", input={},
               trigger_type="api", created_at=at)
    )  # fmt: skip


def _artifact(run_id, path, blob, at=T0):
    return ArtifactRecord(run_id, path, blob, path.rsplit("/", 1)[-1], "text/plain", 3, "s", at)


async def test_artifacts_are_listed_by_path_and_replaced_by_path(store):
    run = await _run(store)
    await store.save_artifacts([])  # nothing to write
    await store.save_artifacts(
        [_artifact(run.id, "out/b.txt", "sha256:b"), _artifact(run.id, "a.txt", "sha256:a")]
    )
    again = _artifact(run.id, "out/b.txt", "sha256:b2", at=T0 + 5)
    await store.save_artifacts([again])
    assert await store.list_artifacts(run.id) == [_artifact(run.id, "a.txt", "sha256:a"), again]
    assert await store.list_artifacts("exec_nope") == []
    # the run keeps every blob it ever wrote until it is pruned
    asked = ["sha256:a", "sha256:b", "sha256:b2", "sha256:none"]
    assert await store.referenced_files(asked) == {"sha256:a", "sha256:b", "sha256:b2"}
    assert await store.referenced_files([]) == set()


async def test_a_pruned_run_releases_its_artifacts(store):
    run = await _run(store)
    await store.save_artifacts([_artifact(run.id, "a.txt", "sha256:a")])
    await store.request_cancel("t1", run.id, T0 + 1)
    assert await store.prune_runs(T0 + 2, 10) == 1
    assert await store.list_artifacts(run.id) == []
    assert await store.referenced_files(["sha256:a"]) == set()


async def test_a_sqlite_transaction_body_may_await_only_its_connection(open_store):
    if open_store.backend != "sqlite":
        pytest.skip("SQLite's writer runs a body without an event loop")
    store = await open_store()

    async def suspends(c):
        await c.execute("UPDATE workflows SET name = 'changed'")
        await asyncio.sleep(0)  # would need the event loop the writer thread has not got

    await _run(store)
    with pytest.raises(RuntimeError, match="awaited something other than its connection"):
        await store.db.tx(suspends)
    assert (await store.get_workflow("art")).name == "art"  # its write rolled back
