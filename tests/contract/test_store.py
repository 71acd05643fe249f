"""The Store contract: what every backend must do, run against each of them."""

import pytest

from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.errors import InvalidTransition, LeaseLost
from openpal.store.history_records import RunFilter
from openpal.store.records import NewRun, StepResult

T0 = 1_800_000_000_000_000  # µs


async def _workflow(store, slug="wf-a", content="v1"):
    wf, ver = await store.save_workflow_version(
        workflow_id=f"wf_{slug}",
        slug=slug,
        name=slug,
        description=None,
        version_id=new_id("ver"),
        version_label="1.0",
        content_hash=f"h-{content}",
        yaml_content=f"name: {slug}\n# {content}",
        source_path=None,
        now=T0,
    )
    return wf, ver


async def _run(store, *, tenant="t1", slug="wf-a", at=T0, status=RunStatus.PENDING):
    wf, ver = await _workflow(store, slug)
    return await store.create_run(
        NewRun(
            id=new_id("exec", at),
            tenant_id=tenant,
            workflow_id=wf.id,
            workflow_slug=slug,
            workflow_name=slug,
            version_id=ver.id,
            version_label="1.0",
            input={"x": 1, "name": "é"},
            trigger_type="api",
            created_at=at,
            status=status,
        )
    )


def _step(i, name="s", output=None):
    return StepResult(i, name, "completed", output, None, 1, T0, T0 + 10)


async def test_create_and_get_round_trip(store):
    run = await _run(store)
    got = await store.get_run("t1", run.id)
    assert got is not None
    assert got.status == RunStatus.PENDING
    assert got.input == {"x": 1, "name": "é"}
    assert got.output is None and got.fencing_token == 0


async def test_other_tenants_runs_are_invisible(store):
    run = await _run(store, tenant="t1")
    assert await store.get_run("t2", run.id) is None
    assert await store.list_runs(RunFilter(tenant_id="t2")) == []
    assert await store.request_cancel("t2", run.id, T0) is None


async def test_workflow_versions_are_deduplicated_by_content(store):
    wf, v1 = await _workflow(store, content="a")
    _, v1_again = await _workflow(store, content="a")
    assert v1_again.id == v1.id
    wf2, v2 = await _workflow(store, content="b")
    assert v2.id != v1.id and v2.seq == 2
    assert wf2.id == wf.id and wf2.current_version_id == v2.id
    versions, total = await store.list_versions(wf.id, limit=10, offset=0)
    assert total == 2 and [v.seq for v in versions] == [2, 1]
    assert (await store.get_workflow("wf-a")).id == wf.id
    assert (await store.get_workflow(wf.id)).slug == "wf-a"


async def test_list_filters_and_order(store):
    a = [await _run(store, slug="wf-a", at=T0 + i) for i in range(3)]
    b = await _run(store, slug="wf-b", at=T0 + 10)
    everything = await store.list_runs(RunFilter(tenant_id="t1"))
    assert [r.id for r in everything] == [b.id, a[2].id, a[1].id, a[0].id]
    only_a = await store.list_runs(RunFilter(tenant_id="t1", workflow_ids=(a[0].workflow_id,)))
    assert {r.id for r in only_a} == {r.id for r in a}
    window = await store.list_runs(
        RunFilter(tenant_id="t1", created_from=T0 + 1, created_to=T0 + 2)
    )
    assert [r.id for r in window] == [a[2].id, a[1].id]
    await store.request_cancel("t1", a[1].id, T0 + 20)
    cancelled = await store.list_runs(
        RunFilter(tenant_id="t1", statuses=(RunStatus.CANCELLED, RunStatus.FAILED))
    )
    assert [r.id for r in cancelled] == [a[1].id]
    page = await store.list_runs(RunFilter(tenant_id="t1", limit=2, offset=1))
    assert [r.id for r in page] == [a[2].id, a[1].id]
    after = await store.list_runs(RunFilter(tenant_id="t1", after=(a[2].created_at, a[2].id)))
    assert [r.id for r in after] == [a[1].id, a[0].id]


async def test_cancel_pending_is_immediate_and_idempotent(store):
    run = await _run(store)
    first = await store.request_cancel("t1", run.id, T0 + 5)
    assert first.status == RunStatus.CANCELLED and first.completed_at == T0 + 5
    again = await store.request_cancel("t1", run.id, T0 + 9)
    assert again.status == RunStatus.CANCELLED and again.completed_at == T0 + 5
    assert await store.claim_runs("w", 10, 30, T0 + 10) == []


async def test_cancel_running_is_stamped_and_seen_at_checkpoint(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 10, 30, T0 + 1)
    stamped = await store.request_cancel("t1", run.id, T0 + 2)
    assert stamped.status == RunStatus.RUNNING and stamped.cancel_requested_at == T0 + 2
    cp = await store.checkpoint(
        run.id,
        claim.run.fencing_token,
        _step(0),
        next_step=1,
        finalizing=False,
        now=T0 + 3,
    )
    assert cp.cancel_requested
    done = await store.finish_run(
        run.id,
        claim.run.fencing_token,
        RunStatus.CANCELLED,
        output=None,
        error="cancelled",
        now=T0 + 4,
    )
    assert done.status == RunStatus.CANCELLED


async def test_claim_checkpoint_finish(store):
    run = await _run(store)
    claims = await store.claim_runs("w1", 10, 30, T0 + 1)
    assert [c.run.id for c in claims] == [run.id]
    held = claims[0].run
    assert held.status == RunStatus.RUNNING and held.lease_owner == "w1" and held.fencing_token == 1
    assert await store.claim_runs("w2", 10, 30, T0 + 2) == []  # no double claim
    await store.checkpoint(
        run.id,
        1,
        _step(0, "a", {"v": 1}),
        next_step=1,
        finalizing=False,
        now=T0 + 3,
    )
    await store.checkpoint(
        run.id, 1, _step(1, "b", [1, 2]), next_step=2, finalizing=True, now=T0 + 4
    )
    mid = await store.get_run("t1", run.id)
    assert mid.status == RunStatus.FINALIZING and mid.next_step == 2
    done = await store.finish_run(
        run.id, 1, RunStatus.COMPLETED, output={"ok": True}, error=None, now=T0 + 5
    )
    assert done.status == RunStatus.COMPLETED and done.output == {"ok": True}
    steps = await store.get_steps(run.id)
    assert [(s.name, s.output) for s in steps] == [("a", {"v": 1}), ("b", [1, 2])]


async def test_expired_lease_is_taken_over_and_the_old_owner_is_fenced(store):
    run = await _run(store)
    [c1] = await store.claim_runs("w1", 1, 1.0, T0)
    await store.checkpoint(
        run.id,
        c1.run.fencing_token,
        _step(0, "a", "first"),
        next_step=1,
        finalizing=False,
        now=T0 + 10,
    )
    # not expired yet: nobody else gets it
    assert await store.claim_runs("w2", 1, 30, T0 + 500_000) == []
    [c2] = await store.claim_runs("w2", 1, 30, T0 + 2_000_000)
    assert c2.run.id == run.id and c2.run.fencing_token == c1.run.fencing_token + 1
    assert c2.run.next_step == 1 and c2.done == {"a": "first"}
    assert c1.run.takeovers == 0 and c2.run.takeovers == 1
    with pytest.raises(LeaseLost):
        await store.checkpoint(
            run.id,
            c1.run.fencing_token,
            _step(1, "b"),
            next_step=2,
            finalizing=True,
            now=T0 + 2_000_001,
        )
    with pytest.raises(LeaseLost):
        await store.finish_run(
            run.id,
            c1.run.fencing_token,
            RunStatus.COMPLETED,
            output=1,
            error=None,
            now=T0 + 2_000_002,
        )
    assert not await store.renew_lease(run.id, c1.run.fencing_token, 30, T0 + 2_000_003)
    assert await store.renew_lease(run.id, c2.run.fencing_token, 30, T0 + 2_000_003)


async def test_terminal_run_never_changes(store):
    run = await _run(store)
    [c] = await store.claim_runs("w1", 1, 30, T0)
    await store.finish_run(
        run.id, c.run.fencing_token, RunStatus.FAILED, output=None, error="boom", now=T0 + 1
    )
    with pytest.raises(LeaseLost):
        await store.finish_run(
            run.id, c.run.fencing_token, RunStatus.CANCELLED, output=None, error=None, now=T0 + 2
        )
    with pytest.raises(LeaseLost):
        await store.checkpoint(
            run.id,
            c.run.fencing_token,
            _step(0),
            next_step=1,
            finalizing=False,
            now=T0 + 3,
        )
    same = await store.request_cancel("t1", run.id, T0 + 4)
    assert same.status == RunStatus.FAILED and same.error == "boom"
    assert same.cancel_requested_at is None
    assert not await store.release_run(run.id, c.run.fencing_token, T0 + 5)


async def test_finish_needs_a_terminal_status(store):
    run = await _run(store)
    [c] = await store.claim_runs("w1", 1, 30, T0)
    with pytest.raises(InvalidTransition):
        await store.finish_run(
            run.id, c.run.fencing_token, RunStatus.WAITING, output=None, error=None, now=T0
        )


async def test_completed_only_from_finalizing(store):
    run = await _run(store)
    [c] = await store.claim_runs("w1", 1, 30, T0)
    with pytest.raises(LeaseLost):  # running → completed is not a transition
        await store.finish_run(
            run.id, c.run.fencing_token, RunStatus.COMPLETED, output=1, error=None, now=T0 + 1
        )


async def test_release_hands_the_run_back(store):
    run = await _run(store)
    [c] = await store.claim_runs("w1", 1, 30, T0)
    assert await store.release_run(run.id, c.run.fencing_token, T0 + 1)
    [again] = await store.claim_runs("w2", 1, 30, T0 + 2)
    assert again.run.id == run.id and again.run.attempt == 2 and again.run.takeovers == 0


async def test_api_keys(store):
    from openpal.service.keys import hash_key, mint_key

    assert await store.count_api_keys() == 0
    secret, record = mint_key("ci", tenant_id="t9")
    await store.create_api_key(record)
    found = await store.find_api_key(hash_key(secret))
    assert found is not None and found.tenant_id == "t9" and found.key_hash != secret
    assert await store.find_api_key(hash_key(secret + "x")) is None
    assert await store.count_api_keys() == 1


async def test_a_failing_write_does_not_sink_its_batch(store):
    import asyncio

    run = await _run(store)
    results = await asyncio.gather(
        store.create_run(
            NewRun(
                id=run.id,
                tenant_id="t1",
                workflow_id=run.workflow_id,
                workflow_slug="wf-a",
                workflow_name=None,
                version_id=run.version_id,
                version_label=None,
                input={},
                trigger_type="api",
                created_at=T0,
            )
        ),  # duplicate id: fails
        *[_run(store, at=T0 + i) for i in range(1, 6)],
        return_exceptions=True,
    )
    assert isinstance(results[0], Exception)
    assert all(not isinstance(r, Exception) for r in results[1:])
    assert len(await store.list_runs(RunFilter(tenant_id="t1"))) == 6


async def test_idempotent_create(store):
    from openpal.errors import Conflict
    from openpal.store.records import IdempotencyKey

    first = await _run(store)
    wf_id, ver_id = first.workflow_id, first.version_id

    def new(at: int) -> NewRun:
        return NewRun(
            id=new_id("exec", at),
            tenant_id="t1",
            workflow_id=wf_id,
            workflow_slug="wf-a",
            workflow_name=None,
            version_id=ver_id,
            version_label=None,
            input={},
            trigger_type="api",
            created_at=at,
        )

    a = await store.create_run(new(T0 + 1), once=IdempotencyKey("k", "h1", T0))
    b = await store.create_run(new(T0 + 2), once=IdempotencyKey("k", "h1", T0))
    assert b.id == a.id
    with pytest.raises(Conflict):
        await store.create_run(new(T0 + 3), once=IdempotencyKey("k", "h2", T0))
    # after the window the key is free again
    c = await store.create_run(new(T0 + 4), once=IdempotencyKey("k", "h2", T0 + 2))
    assert c.id != a.id
    # per tenant
    other = NewRun(**{**new(T0 + 5).__dict__, "tenant_id": "t2"})
    d = await store.create_run(other, once=IdempotencyKey("k", "h2", T0))
    assert d.id not in (a.id, c.id)
    assert len(await store.list_runs(RunFilter(tenant_id="t1"))) == 3


async def test_prune_deletes_only_old_finished_runs(store):
    old_done = await _run(store, at=T0)
    [c] = await store.claim_runs("w", 1, 30, T0 + 1)
    await store.checkpoint(
        old_done.id,
        c.run.fencing_token,
        _step(0, "a", 1),
        next_step=1,
        finalizing=True,
        now=T0 + 2,
    )
    await store.finish_run(
        old_done.id, c.run.fencing_token, RunStatus.COMPLETED, output=1, error=None, now=T0 + 3
    )
    old_cancelled = await _run(store, at=T0 + 4)
    await store.request_cancel("t1", old_cancelled.id, T0 + 5)
    still_pending = await _run(store, at=T0 + 6)  # old but not finished: kept
    recent = await _run(store, at=T0 + 1000)
    await store.request_cancel("t1", recent.id, T0 + 2000)
    assert await store.prune_runs(T0 + 100, 1) == 1  # bounded batch
    assert await store.prune_runs(T0 + 100, 10) == 1
    assert await store.prune_runs(T0 + 100, 10) == 0
    left = {r.id for r in await store.list_runs(RunFilter(tenant_id="t1"))}
    assert left == {still_pending.id, recent.id}
    assert await store.get_steps(old_done.id) == []


async def test_finish_with_the_last_step_writes_both_at_once(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 10, 30, T0 + 1)
    token = claim.run.fencing_token
    await store.checkpoint(
        run.id, token, _step(0, "a", {"v": 1}), next_step=1, finalizing=False,
        now=T0 + 2,
    )  # fmt: skip
    done = await store.finish_run(
        run.id, token, RunStatus.COMPLETED, output={"ok": True}, error=None, now=T0 + 5,
        schema_valid=True, last_step=_step(1, "b", [1, 2]),
    )  # fmt: skip
    assert done.status == RunStatus.COMPLETED and done.output == {"ok": True}
    assert done.schema_valid is True and done.completed_at == T0 + 5
    assert done.next_step == 2 and done.lease_owner is None and done.error is None
    steps = await store.get_steps(run.id)
    assert [(s.name, s.output, s.status) for s in steps] == [
        ("a", {"v": 1}, "completed"),
        ("b", [1, 2], "completed"),
    ]


async def test_a_cancel_during_the_last_step_wins_over_its_completion(store):
    run = await _run(store)
    [claim] = await store.claim_runs("w1", 10, 30, T0 + 1)
    await store.request_cancel("t1", run.id, T0 + 2)
    done = await store.finish_run(
        run.id, claim.run.fencing_token, RunStatus.COMPLETED, output={"ok": True},
        error=None, now=T0 + 5, schema_valid=True, last_step=_step(0, "only", {"v": 1}),
    )  # fmt: skip
    assert done.status == RunStatus.CANCELLED and done.error == "cancelled by request"
    assert done.output is None and done.schema_valid is None
    [step] = await store.get_steps(run.id)  # the step did finish: it is on record
    assert (step.name, step.output) == ("only", {"v": 1})


async def test_finish_with_the_last_step_is_fenced(store):
    run = await _run(store)
    [first] = await store.claim_runs("w1", 1, 1.0, T0)
    [second] = await store.claim_runs("w2", 1, 30, T0 + 2_000_000)  # lease expired: taken over
    with pytest.raises(LeaseLost):
        await store.finish_run(
            run.id, first.run.fencing_token, RunStatus.COMPLETED, output=1, error=None,
            now=T0 + 3_000_000, last_step=_step(0, "late", "stale"),
        )  # fmt: skip
    assert await store.get_steps(run.id) == []  # nothing of the fenced worker's was kept
    done = await store.finish_run(
        run.id, second.run.fencing_token, RunStatus.FAILED, output=None, error="boom",
        now=T0 + 4_000_000, last_step=StepResult(0, "s", "failed", None, "boom", 2, T0, T0 + 1),
    )  # fmt: skip
    assert done.status == RunStatus.FAILED and done.error == "boom"


async def test_a_checkpoint_leaves_the_lease_to_the_lease_keeper(store):
    """Checkpoints do not renew the lease (so PostgreSQL can update the run in place);
    `renew_lease` does, and only for the current holder."""
    run = await _run(store)
    [held] = await store.claim_runs("w1", 1, 1.0, T0)
    await store.checkpoint(run.id, held.run.fencing_token, _step(0), next_step=1,
                           finalizing=False, now=T0 + 900_000)  # fmt: skip
    [taken] = await store.claim_runs("w2", 1, 1.0, T0 + 1_100_000)  # expired all the same
    assert taken.run.id == run.id and taken.run.takeovers == 1
    assert await store.renew_lease(run.id, taken.run.fencing_token, 1.0, T0 + 1_900_000)
    assert await store.claim_runs("w3", 1, 1.0, T0 + 2_500_000) == []  # renewed: still held
