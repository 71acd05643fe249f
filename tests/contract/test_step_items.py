"""Fan-out items in the store (migration 0026), on every backend: kept only under the run's
current fencing token, written again = replaced, listed by index per step, counted by step
and status, and deleted with their run by retention."""

from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.store.history_records import ItemResult
from openpal.store.records import NewRun

T0 = 1_800_000_000_000_000  # µs


async def _claimed(store):
    wf, ver = await store.save_workflow_version(
        workflow_id="wf_f", slug="f", name="f", description=None, version_id=new_id("ver"),
        version_label=None, content_hash="h", yaml_content="name: f", source_path=None, now=T0,
    )  # fmt: skip
    run = await store.create_run(
        NewRun(
            id=new_id("exec", T0),
            tenant_id="t1",
            workflow_id=wf.id,
            workflow_slug="f",
            workflow_name="f",
            version_id=ver.id,
            version_label=None,
            input={},
            trigger_type="api",
            created_at=T0,
        )
    )
    (claim,) = await store.claim_runs("w1", 1, 30.0, T0 + 1)
    assert claim.run.id == run.id
    return claim.run


def _item(step: int, index: int, status: str = "completed", output=None, error=None):
    return ItemResult(step, index, status, output, error, 1, T0 + 2, T0 + 3)


async def test_items_are_fenced_replaced_listed_and_counted(store):
    run = await _claimed(store)
    token = run.fencing_token
    assert await store.save_item(run.id, token, _item(1, 2, output={"n": [2, "ü"]}))
    assert await store.save_item(run.id, token, _item(1, 0, output=None))
    assert await store.save_item(run.id, token, _item(1, 1, "failed", error="boom"))
    assert await store.save_item(run.id, token, _item(3, 0, output=7))
    assert not await store.save_item(run.id, token + 1, _item(1, 3, output=1))  # not its token
    assert not await store.save_item("exec_nope", token, _item(1, 4, output=1))
    items = await store.list_items(run.id, 1)
    assert [(i.item_index, i.status, i.output, i.error) for i in items] == [
        (0, "completed", None, None), (1, "failed", None, "boom"),
        (2, "completed", {"n": [2, "ü"]}, None),
    ]  # fmt: skip
    assert items[0] == _item(1, 0)
    # an item written again (a takeover re-ran it) replaces the row
    assert await store.save_item(run.id, token, _item(1, 1, output={"second": True}))
    assert (await store.list_items(run.id, 1))[1].output == {"second": True}
    assert await store.count_items(run.id) == {1: {"completed": 3}, 3: {"completed": 1}}
    assert await store.list_items(run.id, 2) == []


async def test_retention_deletes_a_runs_items_with_it(store):
    run = await _claimed(store)
    assert await store.save_item(run.id, run.fencing_token, _item(0, 0, output=1))
    await store.finish_run(run.id, run.fencing_token, RunStatus.FAILED, output=None,
                           error="x", now=T0 + 5)  # fmt: skip
    assert await store.prune_runs(T0 + 100, 10) == 1
    assert await store.list_items(run.id, 0) == []
