"""Scenarios `automations` (registry, versions deployed over the API), `files` (uploads,
the 10 MB pre-upload path, `$fileId`) and `deploy` (a version run by another process)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import shapes
from eigenpal import EigenpalNotFoundError, EigenpalValidationError
from eigenpal.client import AttrDict
from sc_runs import raises
from shapes import expect

TYPED_V2 = """\
name: typed
description: typed, deployed over the API by the compat tests
inputs:
  - {name: s, type: string}
steps:
  - name: echo
    type: transform.set
    with: {s: "{{ input.s }}", deployed: v2}
output: "{{ steps.echo.output }}"
"""

HELLO_V3 = """\
name: hello
inputs:
  - {name: name, type: string, default: world}
steps:
  - name: greet
    type: transform.template
    with: {template: "Deployed, {{ input.name }}!"}
output:
  greeting: "{{ steps.greet.output.text }}"
"""


def _slugs(page: Any) -> list[str]:
    shapes.parse("ListAutomationsResponse", page)
    for item in page["data"]:
        shapes.parse("AutomationSummary", item)
        if item.get("triggers") is not None:
            shapes.parse("AutomationTriggerState", item["triggers"])
    return [a["slug"] for a in page["data"]]


def _typed(sc: Any, target: str, s: str) -> Any:
    run = shapes.run(sc.client.run(target, {"s": s}, wait_for_completion=30))
    expect(run.execution.status == "completed", f"{target}: {run}")
    return run


def automations(sc: Any) -> None:
    c = sc.client
    everything: Any = {"total": -1}
    with sc.check("automations.list → ListAutomationsResponse"):
        everything = c.automations.list()
        slugs = _slugs(everything)
        expect({"hello", "extract-invoice", "approval", "typed"} <= set(slugs), f"{slugs}")
        expect(everything["total"] >= len(slugs), f"total {everything['total']}")
        hello = next(a for a in everything["data"] if a["slug"] == "hello")
        expect(hello["id"].startswith("wf_") and hello["version"] == "1.0.0", f"{hello}")
        expect(hello["type"] == "workflow" and hello["folderId"] is None, f"{hello}")
    with sc.check("automations.list(search, type, folder_id=None, limit, offset)"):
        found = _slugs(c.automations.list(search="invoice"))
        expect("extract-invoice" in found and "hello" not in found, f"search invoice: {found}")
        expect("hello" in _slugs(c.automations.list(search="Greets")), "search a description")
        expect(c.automations.list(type="workflow")["total"] == everything["total"], "type")
        agents = c.automations.list(type="agent")
        expect(agents["data"] == [] and agents["total"] == 0, f"agents {agents}")
        expect(c.automations.list(folder_id=None)["total"] == everything["total"], "folderId")
        expect("folderId=null" in sc.exchanges[-1]["query"], sc.exchanges[-1])
        first, second = (c.automations.list(limit=2, offset=o) for o in (0, 2))
        expect(first["limit"] == 2 and second["offset"] == 2, f"paging {first} {second}")
        expect(_slugs(first) + _slugs(second) == _slugs(c.automations.list(limit=4)), "pages")
    typed: Any = {}
    with sc.check("automations.get by alias, slug and id → AutomationDetail + JSON Schema"):
        typed = c.automations.get("workflows.typed")
        shapes.parse("AutomationDetail", typed)
        expect(c.automations.get("typed")["id"] == typed["id"], "by slug")
        expect(c.automations.get(typed["id"])["slug"] == "typed", "by id")
        props = typed["inputSchema"]["properties"]
        kinds = {k: v.get("type") for k, v in props.items()}
        want = {"s": "string", "n": "number", "i": "integer", "b": "boolean", "o": "object"}
        expect(kinds == {**want, "a": "array"}, f"inputSchema {typed['inputSchema']}")
        required = typed["inputSchema"].get("required", [])
        expect("s" in required and "n" not in required, f"required {required}")
        expect(props["i"].get("default") == 7, f"i {props['i']}")
        expect("outputSchema" in typed, f"no outputSchema key: {sorted(typed)}")
    with sc.check("automations.versions and automations.triggers"):
        versions = c.automations.versions("workflows.hello")
        shapes.parse("ListAutomationVersionsResponse", versions)
        current = [v for v in versions["data"] if v.get("isCurrent")]
        expect(len(current) == 1 and current[0]["version"] == "1.0.0", f"versions {versions}")
        triggers = c.automations.triggers("workflows.hello")
        shapes.parse("AutomationTriggersResponse", triggers)
        shapes.parse("AutomationTriggerState", triggers["triggers"])
        expect(triggers["automationId"] == current[0]["automationId"], f"{triggers}")
        expect(triggers["triggers"]["api"] is True, f"{triggers}")
    with sc.check("an unknown automation → EigenpalNotFoundError"):
        shapes.error(raises(EigenpalNotFoundError, lambda: c.automations.get("workflows.nope")))
    _versions(sc, c, typed)


def _versions(sc: Any, c: Any, typed: Any) -> None:
    before: Any = AttrDict(id="exec_missing")
    original = "no current version"
    with sc.check("the folder's version runs and is the current one in versions()"):
        before = _typed(sc, "workflows.typed", "x")
        listed = c.automations.versions("workflows.typed")["data"]
        original = next((v["id"] for v in listed if v.get("isCurrent")), original)
        expect(before.source.get("versionId") == original, f"{before.source} vs {listed}")
    new: Any = {}
    with sc.check("create_version(yaml, activate=False) keeps the live version"):
        new = c.automations.create_version(
            "workflows.typed", version="2.0.0", yaml=TYPED_V2, activate=False
        )
        shapes.parse("AutomationVersion", new)
        expect(new["version"] == "2.0.0" and new["automationId"] == typed["id"], f"{new}")
        expect(not new.get("isCurrent"), f"activate=False made it current: {new}")
        expect(_typed(sc, "workflows.typed", "y").output["text"] == "s=y i=7", "live changed")
        pinned = _typed(sc, "workflows.typed@2.0.0", "z")
        expect(pinned.output == {"s": "z", "deployed": "v2"}, f"@2.0.0: {pinned.output}")
    with sc.check("promote_version → the new version runs"):
        promoted = c.automations.promote_version("workflows.typed", new["id"])
        shapes.parse("AutomationVersion", promoted)
        expect(promoted["id"] == new["id"] and promoted.get("isCurrent") is True, f"{promoted}")
        expect(c.automations.get("workflows.typed")["version"] == "2.0.0", "get().version")
        run = _typed(sc, "workflows.typed", "w")
        expect(run.output == {"s": "w", "deployed": "v2"} and run.source.version == "2.0.0", run)
    with sc.check("rerun(version='original') pins the old version; rerun() takes the new"):
        old = shapes.run(c.rerun(before.id, version="original", wait_for_completion=30))
        expect(old.output["text"] == "s=x i=7", f"original: {old.output}")
        latest = shapes.run(c.rerun(before.id, wait_for_completion=30))
        expect(latest.output == {"s": "x", "deployed": "v2"}, f"latest: {latest.output}")
    with sc.check("a YAML version that does not load → EigenpalValidationError"):
        bad = "name: typed\nsteps:\n  - name: x\n    type: no.such-step\n"
        e = raises(
            EigenpalValidationError,
            lambda: c.automations.create_version("workflows.typed", version="2.0.1", yaml=bad),
        )
        expect("no.such-step" in str(shapes.error(e)), f"{e.envelope}")
        e = raises(
            EigenpalValidationError,
            lambda: c.automations.create_version("typed", version="2.0.2", yaml="steps: ["),
        )
        message = shapes.error(e)["issues"][0]["message"]
        expect(re.search(r":\d+:|line \d+", message), f"no line number in {e.envelope}")
    with sc.check("restore_version → the old snapshot is current again"):
        restored = c.automations.restore_version("workflows.typed", original)
        shapes.parse("AutomationVersion", restored)
        expect(_typed(sc, "workflows.typed", "r").output["text"] == "s=r i=7", "restore")
    with sc.check("automations.delete → get and run answer 404"):
        gone = c.automations.delete("workflows.typed")
        shapes.parse("DeleteAutomationResponse", gone)
        expect(gone["deleted"] is True and gone["id"] == typed["id"], f"{gone}")
        raises(EigenpalNotFoundError, lambda: c.automations.get("workflows.typed"))
        raises(EigenpalNotFoundError, lambda: c.run("workflows.typed", {"s": "x"}))


def files(sc: Any) -> None:
    c = sc.client
    small, big = Path(sc.args["small"]), Path(sc.args["big"])
    up: Any = AttrDict(id="file_missing", size=-1, filename="")
    with sc.check("files.create_upload → a multipart negotiation"):
        n = c.files.create_upload(filename=small.name, content_type="text/plain", size=4)
        shapes.negotiation(n)
        expect(n["transport"] == "multipart", f"negotiation {n}")
    with sc.check("files.upload(Path) → File; files.get; files.download"):
        up = shapes.file(c.files.upload(small))
        expect(up.filename == small.name and up.size == small.stat().st_size, f"{up}")
        expect(up.contentType.startswith("text/plain"), f"{up}")
        expect(sc.answered("POST", "/v1/files/uploads") == 200, "negotiation status")
        got = shapes.file(c.files.get(up.id))
        expect((got.id, got.size, got.filename) == (up.id, up.size, up.filename), f"{got}")
        expect(c.files.download(up.id) == small.read_bytes(), "download")
    with sc.check("input {'$fileId'} → the run reads the uploaded file"):
        r = shapes.run(
            c.run("workflows.file-info", {"doc": {"$fileId": up.id}}, wait_for_completion=30)
        )
        info = r.output["info"]
        expect(info["size"] == up.size, f"output {r.output}")
        expect(info["sha256"] == hashlib.sha256(small.read_bytes()).hexdigest(), f"{r.output}")
    with sc.check("a 10 MB Path input goes through the pre-upload path"):
        mark = len(sc.exchanges)
        r = shapes.run(c.run("workflows.file-info", input={"doc": big}, wait_for_completion=30))
        sent = [
            (x["method"], x["path"], x["requestType"].split(";")[0]) for x in sc.exchanges[mark:]
        ]
        expect(sent[0][:2] == ("POST", "/v1/files/uploads"), f"sent {sent}")
        expect(sent[-1] == ("POST", "/v1/runs", "application/json"), f"sent {sent}")
        expect(len(sent) >= 3, f"no upload between negotiation and start: {sent}")
        expect(r.execution.status == "completed", f"{r}")
        sc.facts["big"], sc.facts["big_run"] = dict(r.output["info"]), r.id
    with sc.check("a file above one request's limit goes http-chunked"):
        huge = Path(sc.args["huge"])
        mark = len(sc.exchanges)
        r = shapes.run(c.run("workflows.file-info", input={"doc": huge}, wait_for_completion=30))
        sent = [(x["method"], x["path"].rsplit("/", 1)[-1]) for x in sc.exchanges[mark:]]
        chunks = [path for method, path in sent if method == "PUT"]
        expect(sent[0] == ("POST", "uploads") and chunks == ["0", "1"], f"sent {sent}")
        expect(sent[-2:] == [("POST", "complete"), ("POST", "runs")], f"sent {sent}")
        expect(r.execution.status == "completed", f"{r}")
        sc.facts["huge"] = dict(r.output["info"])
    with sc.check("files.create_upload → get_upload → abort_upload"):
        n = c.files.create_upload(filename="h.bin", content_type="x/y", size=huge.stat().st_size)
        shapes.parse("HttpChunkedFileUploadSession", n)
        session = c.files.get_upload(n["uploadId"])
        shapes.parse("FileUploadSession", session)
        expect(session["uploadId"] == n["uploadId"] and session["fileId"] == n["fileId"], session)
        aborted = c.files.abort_upload(n["uploadId"])
        shapes.parse("AbortFileUploadResponse", aborted)
        expect(aborted["aborted"] is True, f"abort {aborted}")
    with sc.check("another tenant's file → 404, never its content"):
        with sc.make_client(sc.args["other_key"]) as other:
            for call in (
                lambda: other.run("workflows.file-info", {"doc": {"$fileId": up.id}}),
                lambda: other.files.get(up.id),
                lambda: other.files.download(up.id),
                lambda: other.files.delete(up.id),
                lambda: other.runs.get(sc.facts["big_run"]),
                lambda: other.runs.cancel(sc.facts["big_run"]),
            ):
                shapes.error(raises(EigenpalNotFoundError, call))
            expect(other.runs.list(limit=100)["runs"] == [], "another tenant's runs are listed")
        expect(c.files.get(up.id)["id"] == up.id, "the other tenant's delete removed it")
    with sc.check("files.delete → get and {'$fileId'} answer 404"):
        gone = c.files.delete(up.id)
        shapes.parse("DeleteFileResponse", gone)
        expect(gone["deleted"] is True, f"{gone}")
        raises(EigenpalNotFoundError, lambda: c.files.get(up.id))
        raises(
            EigenpalNotFoundError, lambda: c.run("workflows.file-info", {"doc": {"$fileId": up.id}})
        )
    with sc.check("an unknown {'$fileId'} → EigenpalNotFoundError"):
        unknown = {"doc": {"$fileId": "file_doesnotexist"}}
        e = raises(EigenpalNotFoundError, lambda: c.run("workflows.file-info", unknown))
        issue = shapes.error(e)["issues"][0]
        expect("doc" in issue["field"], f"issue {issue}")


def deploy(sc: Any) -> None:
    c = sc.client
    with sc.check("create_version over the API → run by a worker in another process"):
        new = c.automations.create_version("workflows.hello", version="3.0.0", yaml=HELLO_V3)
        shapes.parse("AutomationVersion", new)
        run = c.run_and_wait(
            "workflows.hello", {"name": "W"}, poll_interval_seconds=0.1, timeout_seconds=30
        )
        shapes.run(run)
        expect(run.execution.status == "completed", f"{run}")
        expect(run.output == {"greeting": "Deployed, W!"}, f"output {run.output}")
        expect(run.source.version == "3.0.0", f"source {run.source}")
        sc.facts["run_id"] = run.id
