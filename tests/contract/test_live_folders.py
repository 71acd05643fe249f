"""Live workflow folders on every backend: a `version:` label names one content, and a
file edited while the process runs becomes a new version (`FolderWatch`), also when
two processes watching one folder store it at once."""

import asyncio
import logging
from pathlib import Path

import pytest

from openpal.errors import WorkflowLoadError
from openpal.service.catalog import Catalog, workflow_id_for
from openpal.service.folder_watch import FolderWatch

FLOW = """\
name: live
version: {label}
steps:
  - {{name: say, type: transform.set, with: {{value: "{word}"}}}}
"""


def _write(folder: Path, label: str, word: str, name: str = "live.yaml") -> Path:
    path = folder / name
    path.write_text(FLOW.format(label=label, word=word))
    return path


async def _word(catalog: Catalog) -> str:
    _, _, wf = await catalog.resolve("workflows.live", None)
    return str(wf.steps[0].with_["value"])


async def test_a_label_reused_for_other_content_is_refused_naming_both(store, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    first = _write(flows, "1.0.0", "one")
    await Catalog(store).load([flows], examples=False)
    _, v1, _ = await Catalog(store).resolve("workflows.live", "1.0.0")
    _write(flows, "1.0.0", "two")  # edited, label kept
    with pytest.raises(WorkflowLoadError) as caught:
        await Catalog(store).load([flows], examples=False)
    error = caught.value
    assert (error.file, error.field, error.line) == (str(first.resolve()), "version", 2)
    assert v1.content_hash[:12] in error.detail and str(first.resolve()) in error.detail
    assert "'1.0.0'" in error.detail and f"version {v1.seq}" in error.detail
    _, total = await store.list_versions(workflow_id_for("live"), limit=10, offset=0)
    assert total == 1  # nothing stored
    # the same content under the same label: no new version, as before
    _write(flows, "1.0.0", "one")
    await Catalog(store).load([flows], examples=False)
    _write(flows, "1.1.0", "two")  # a new label: a new version
    catalog = Catalog(store)
    await catalog.load([flows], examples=False)
    versions, total = await store.list_versions(workflow_id_for("live"), limit=10, offset=0)
    assert total == 2 and [v.version_label for v in versions] == ["1.1.0", "1.0.0"]
    assert await _word(catalog) == "two"


async def test_an_edited_file_becomes_the_served_version_and_a_broken_one_is_logged(
    store, tmp_path, caplog
):
    flows = tmp_path / "flows"
    flows.mkdir()
    path = _write(flows, "1.0.0", "one")
    catalog = Catalog(store)
    watch = FolderWatch(catalog, [flows], interval=0.05)
    watch.start()
    await catalog.load([flows], examples=False)
    assert await watch.poll() == [] and await _word(catalog) == "one"
    _write(flows, "1.1.0", "two")
    assert await watch.poll() == [path.resolve()]
    assert await _word(catalog) == "two"
    # broken: unknown step type; the version before keeps serving, the log says where
    path.write_text(FLOW.format(label="1.2.0", word="three").replace("transform.set", "nope"))
    with caplog.at_level(logging.ERROR, logger="openpal.catalog"):
        assert await watch.poll() == []
    assert f"{path.resolve()}:4: steps[0].type: unknown step type 'nope'" in caplog.text
    assert await _word(catalog) == "two"
    # the label of another content, while running: refused the same way
    caplog.clear()
    _write(flows, "1.0.0", "three")
    with caplog.at_level(logging.ERROR, logger="openpal.catalog"):
        assert await watch.poll() == []
    assert f"{path.resolve()}:2: version: version '1.0.0'" in caplog.text
    # a new file, then a deleted one: logged, the workflow keeps its version
    _write(flows, "1.0.0", "x", name="other.yaml")
    other = (flows / "other.yaml").read_text().replace("name: live", "name: other")
    (flows / "other.yaml").write_text(other)
    assert await watch.poll() == [(flows / "other.yaml").resolve()]
    caplog.clear()
    path.unlink()
    with caplog.at_level(logging.WARNING, logger="openpal.catalog"):
        assert await watch.poll() == []
    assert "was deleted; live keeps serving" in caplog.text
    assert await _word(catalog) == "two"


async def test_a_second_file_with_the_same_name_is_refused_while_the_first_exists(
    store, tmp_path, caplog
):
    flows = tmp_path / "flows"
    flows.mkdir()
    _write(flows, "1.0.0", "one")
    catalog = Catalog(store)
    watch = FolderWatch(catalog, [flows], interval=0.05)
    watch.start()
    await catalog.load([flows], examples=False)
    copy = _write(flows, "2.0.0", "copy", name="copy.yaml")
    with caplog.at_level(logging.ERROR, logger="openpal.catalog"):
        assert await watch.poll() == []
    assert f"{copy.resolve()}:1: name: workflow 'live' is also defined in" in caplog.text
    assert await _word(catalog) == "one"


async def test_two_processes_storing_one_edit_at_once_make_one_version(store, open_store, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    _write(flows, "1.0.0", "one")
    other_store = await open_store()
    catalogs = [Catalog(store), Catalog(other_store)]
    watches = [FolderWatch(c, [flows], interval=0.05) for c in catalogs]
    for catalog, watch in zip(catalogs, watches, strict=True):
        watch.start()
        await catalog.load([flows], examples=False)
    _write(flows, "1.1.0", "two")
    await asyncio.gather(*(w.poll() for w in watches))
    versions, total = await store.list_versions(workflow_id_for("live"), limit=10, offset=0)
    assert total == 2 and [v.seq for v in versions] == [2, 1]
    assert [await _word(c) for c in catalogs] == ["two", "two"]
