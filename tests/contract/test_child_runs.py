"""Child runs in the store (migration 0025): a child carries its parent and the parent's step,
is found by (parent, step), listed with its parent, and a parent waiting for children is
made due by `wake_waiting`, on every backend."""

from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.store.records import NewRun

T0 = 1_800_000_000_000_000  # µs


async def _run(store, at, *, parent=None):
    wf, ver = await store.save_workflow_version(
        workflow_id="wf_c", slug="c", name="c", description=None, version_id=new_id("ver"),
        version_label=None, content_hash="h", yaml_content="name: c", source_path=None, now=T0,
    )  # fmt: skip
    return await store.create_run(
        NewRun(
            id=new_id("exec", at),
            tenant_id="t1",
            workflow_id=wf.id,
            workflow_slug="c",
            workflow_name="c",
            version_id=ver.id,
            version_label=None,
            input={},
            trigger_type="workflow" if parent else "api",
            created_at=at,
            parent_id=None if parent is None else parent[0],
            parent_step=None if parent is None else parent[1],
        )
    )


async def test_children_are_found_by_parent_and_step_and_listed(store):
    parent = await _run(store, T0)
    second = await _run(store, T0 + 2, parent=(parent.id, 3))
    first = await _run(store, T0 + 1, parent=(parent.id, 1))
    assert (first.parent_id, first.parent_step) == (parent.id, 1)
    found = await store.find_child(parent.id, 3)
    assert found is not None and found.id == second.id and found.parent_step == 3
    assert await store.find_child(parent.id, 2) is None
    assert [c.id for c in await store.list_children(parent.id)] == [first.id, second.id]
    assert await store.list_children(first.id) == []
    got = await store.get_run("t1", first.id)
    assert got is not None and got.parent_id == parent.id


async def test_wake_waiting_makes_a_waiting_parent_due(store):
    parent = await _run(store, T0)
    (claim,) = await store.claim_runs("w1", 1, 30.0, T0 + 1)
    far = T0 + 3_600_000_000
    await store.park_run(
        parent.id, claim.run.fencing_token, waiting_for="children", wake_at=far, now=T0 + 2
    )
    assert await store.claim_runs("w1", 1, 30.0, T0 + 3) == []  # not due yet
    assert not await store.wake_waiting(parent.id, "timer", T0 + 4)  # another reason
    assert await store.wake_waiting(parent.id, "children", T0 + 4)
    (again,) = await store.claim_runs("w1", 1, 30.0, T0 + 5)
    assert again.run.id == parent.id and again.run.status == RunStatus.RUNNING
    assert not await store.wake_waiting(parent.id, "children", T0 + 6)  # running now
