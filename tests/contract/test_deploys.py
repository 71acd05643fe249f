"""The workflow-deploy contract (versions sent over the API, promote, soft delete, the
automation search) and how it meets the folder loader, on every backend."""

import asyncio

import pytest

from openpal.engine.ids import new_id
from openpal.errors import NotFound
from tests.contract.test_store import T0


async def _load(store, slug="wf-a", content="v1", at=T0, **extra):
    """What a process loading its workflows folder does (`Catalog.register`)."""
    return await store.save_workflow_version(
        workflow_id=f"wf_{slug}",
        slug=slug,
        name=extra.get("name", slug),
        description=extra.get("description"),
        version_id=new_id("ver"),
        version_label="1.0",
        content_hash=f"h-{content}",
        yaml_content=f"name: {slug}\n# {content}",
        source_path=f"/flows/{slug}.yaml",
        now=at,
    )


async def _deploy(store, slug="wf-a", content="api", *, label="2.0", activate=True, at=T0 + 5):
    return await store.deploy_workflow_version(
        workflow_id=f"wf_{slug}",
        slug=slug,
        name=f"{slug} ({content})",
        description=f"about {content}",
        version_id=new_id("ver"),
        version_label=label,
        content_hash=f"h-{content}",
        yaml_content=f"name: {slug}\n# {content}",
        activate=activate,
        now=at,
    )


async def test_a_deploy_creates_the_workflow_and_becomes_current(store):
    wf, ver = await _deploy(store, slug="fresh")
    assert wf.id == "wf_fresh" and wf.current_version_id == ver.id
    assert wf.current_version_label == "2.0" and wf.name == "fresh (api)"
    assert ver.source_path is None and ver.seq == 1 and ver.version_label == "2.0"
    assert (await store.get_workflow("fresh")).current_version_id == ver.id
    assert (await store.get_version(ver.id)).yaml_content == "name: fresh\n# api"


async def test_the_same_content_is_one_version(store):
    _, first = await _deploy(store)
    wf, again = await _deploy(store)
    assert again.id == first.id
    assert (await store.list_versions(wf.id, limit=10, offset=0))[1] == 1


async def test_a_candidate_waits_for_its_promote(store):
    wf, live = await _load(store)
    moved, candidate = await _deploy(store, content="next", activate=False)
    assert moved.current_version_id == live.id and moved.name == "wf-a"
    assert candidate.seq == 2
    promoted = await store.set_current_version(
        wf.id, candidate.id, name="next name", description="d", now=T0 + 9
    )
    assert promoted.current_version_id == candidate.id and promoted.name == "next name"
    with pytest.raises(NotFound):
        await _deploy(store, slug="nobody", activate=False)
    assert await store.get_workflow("nobody") is None


async def test_promote_only_moves_to_a_version_of_that_workflow(store):
    wf, _ = await _load(store)
    _, other = await _load(store, slug="wf-b")
    assert (
        await store.set_current_version(wf.id, other.id, name=None, description=None, now=T0)
        is None
    )
    assert (
        await store.set_current_version("wf_none", other.id, name=None, description=None, now=T0)
        is None
    )
    assert (await store.get_workflow(wf.id)).current_version_id != other.id


async def test_a_reload_of_known_content_keeps_the_pointer_the_api_set(store):
    wf, v1 = await _load(store, content="v1")
    _, v2 = await _deploy(store, content="v2")
    again, same = await _load(store, content="v1", at=T0 + 20)  # a restart, same folder
    assert same.id == v1.id and again.current_version_id == v2.id
    await store.set_current_version(wf.id, v1.id, name="wf-a", description=None, now=T0 + 30)
    _, _ = await _deploy(store, content="v3", activate=False)
    again, _ = await _load(store, content="v1", at=T0 + 40)
    assert again.current_version_id == v1.id  # promoted by the API: still v1
    edited, v4 = await _load(store, content="v4", at=T0 + 50)  # the file changed
    assert edited.current_version_id == v4.id
    back, _ = await _load(store, content="v1", at=T0 + 60)  # reverted: the folder's own pointer
    assert back.current_version_id == v1.id


async def test_delete_hides_the_workflow_until_new_content_or_a_deploy(store):
    wf, v1 = await _load(store)
    assert await store.delete_workflow(wf.id, T0 + 10) is True
    assert await store.delete_workflow(wf.id, T0 + 11) is False
    assert await store.delete_workflow("wf_unknown", T0 + 11) is False
    assert await store.get_workflow("wf-a") is None and await store.get_workflow(wf.id) is None
    hidden = await store.get_workflow("wf-a", include_deleted=True)
    assert hidden.deleted_at == T0 + 10 and hidden.current_version_id == v1.id
    assert (await store.list_workflows(search=None, name=None, limit=10, offset=0))[1] == 0
    assert (await store.list_automations(search=None, limit=10, offset=0))[1] == 0
    assert await store.get_version(v1.id) is not None  # versions (and runs) stay
    assert (
        await store.set_current_version(wf.id, v1.id, name=None, description=None, now=T0) is None
    )
    reloaded, _ = await _load(store, at=T0 + 20)  # a restart with the same file
    assert reloaded.deleted_at is not None and await store.get_workflow("wf-a") is None
    back, v2 = await _load(store, content="edited", at=T0 + 30)  # content never seen
    assert back.deleted_at is None and back.current_version_id == v2.id
    await store.delete_workflow(wf.id, T0 + 40)
    reverted, _ = await _load(store, at=T0 + 45)  # the file back to content already seen
    assert reverted.deleted_at is not None and reverted.current_version_id == v2.id
    revived, v3 = await _deploy(store, content="v3", at=T0 + 50)
    assert revived.deleted_at is None and revived.current_version_id == v3.id


async def test_automation_search_covers_slug_name_and_description(store):
    await _load(store, slug="invoices", name="Invoice Reader", description="Reads PDFs")
    await _load(store, slug="hello_x", name="Greeter", description=None)
    await _load(store, slug="hello-y", name=None, description="says hi")
    gone, _ = await _load(store, slug="hello-gone")
    await store.delete_workflow(gone.id, T0 + 1)

    async def slugs(search, limit=10, offset=0):
        found, total = await store.list_automations(search=search, limit=limit, offset=offset)
        return [w.slug for w in found], total

    assert await slugs(None) == (["hello-y", "hello_x", "invoices"], 3)
    assert await slugs("pdf") == (["invoices"], 1)  # description, any case
    assert await slugs("READER") == (["invoices"], 1)  # name
    assert await slugs("hello") == (["hello-y", "hello_x"], 2)
    assert await slugs("o_") == (["hello_x"], 1)  # `_` is a character, not a wildcard
    assert await slugs("hello", limit=1, offset=1) == (["hello_x"], 2)
    assert await slugs("nothing") == ([], 0)


async def test_deploys_from_several_processes_agree_on_the_sequence(open_store):
    stores = [await open_store() for _ in range(3)]
    await _load(stores[0])
    results = await asyncio.gather(
        *(_deploy(s, content=f"c{i}", label=f"3.{i}") for i, s in enumerate(stores))
    )
    seqs = sorted(ver.seq for _, ver in results)
    assert seqs == [2, 3, 4]
    wf = await stores[0].get_workflow("wf-a")
    assert wf.current_version_id in {ver.id for _, ver in results}
