"""Scenarios `basics` (README usage, auth, errors) and `runs` (start, get, list, cancel, rerun)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import shapes
from eigenpal import EigenpalAuthError, EigenpalNotFoundError, EigenpalValidationError
from shapes import TERMINAL, expect


def raises(kind: type[Exception], call: Any) -> Any:
    """The `kind` exception `call()` raised (anything else, or nothing, fails the check)."""
    try:
        got = call()
    except kind as e:
        return e
    raise AssertionError(f"expected {kind.__name__}, got {got!r}")


def basics(sc: Any) -> None:
    c = sc.client
    with sc.check("auth.check → AuthCheckResponse"):
        me = c.auth.check()
        shapes.parse("AuthCheckResponse", me)
        expect(me["ok"] is True and isinstance(me["tenantId"], str), f"auth.check: {me}")
    with sc.check("README: run_and_wait(extract-invoice, Path('contract.pdf'))"):
        # Verbatim from the 0.20.93 README; the working directory holds contract.pdf.
        result = c.run_and_wait(
            "workflows.extract-invoice", input={"contract_document": Path("contract.pdf")}
        )
        print(result.finished, result.output)
        shapes.run(result)
        sent = sc.last("POST", "/v1/runs")["requestType"]
        expect(sent.startswith("multipart/form-data"), f"README start sent {sent}")
        sc.facts["readme"] = {
            "finished": result.finished,
            "status": result.execution.status,
            "output": result.output,
        }
    with sc.check("a wrong key → EigenpalAuthError"), sc.make_client("opk_wrong") as bad:
        shapes.error(raises(EigenpalAuthError, bad.auth.check))
        shapes.error(raises(EigenpalAuthError, lambda: bad.runs.list(limit=1)))
    with sc.check("an unknown target → EigenpalNotFoundError naming `target`"):
        e = raises(EigenpalNotFoundError, lambda: c.run("workflows.no-such-workflow", input={}))
        issue = shapes.error(e)["issues"][0]
        expect(issue["field"].split(".")[-1] == "target", f"issue {issue}")
        expect("no-such-workflow" in issue["message"], f"issue {issue}")
    with sc.check("an unknown run → EigenpalNotFoundError"):
        shapes.error(raises(EigenpalNotFoundError, lambda: c.runs.get("exec_nope")))


def runs(sc: Any) -> None:
    c = sc.client
    ids: dict[str, str] = {}
    _starts(sc, c, ids)
    _cancels(sc, c, ids)
    _lists(sc, c, ids)
    _reruns(sc, c, ids)


def _done(sc: Any, body: Any, expand: tuple[str, ...] = ()) -> Any:
    run = shapes.run(body, expand)
    expect(run.execution.status == "completed", f"{run.id} is {run.execution.status}: {run}")
    return run


def _starts(sc: Any, c: Any, ids: dict[str, str]) -> None:
    with sc.check("run() async JSON → 201 RunAccepted"):
        a = shapes.accepted(c.run("workflows.hello", {"name": "Ada"}))
        expect(sc.answered("POST", "/v1/runs") == 201, "status")
        expect(sc.exchanges[-1]["requestType"] == "application/json", sc.exchanges[-1])
        expect(a.finished is False and a.id.startswith("exec_"), f"accepted: {a}")
        _done(sc, sc.poll(a.id, TERMINAL))
    with sc.check("run(wait_for_completion=30) → 200 Run"):
        b = _done(sc, c.run("workflows.hello", {"name": "Bo"}, wait_for_completion=30))
        expect(sc.answered("POST", "/v1/runs") == 200, "status")
        expect(b.finished is True and b.error is None, f"run: {b}")
        expect(b.output == {"greeting": "Hello, Bo!", "name": "Bo"}, f"output {b.output}")
        expect(b.source.version == "1.0.0", f"source {b.source}")
        ids["done"], ids["hello"] = b.id, b.source.id
    with sc.check("hold expiring: slow-count wait_for_completion=1 → 202 RunAccepted"):
        t0 = time.monotonic()
        s = shapes.accepted(c.run("workflows.slow-count", {"seconds": 2}, wait_for_completion=1))
        took = time.monotonic() - t0
        expect(sc.answered("POST", "/v1/runs") == 202, "status")
        expect(0.9 <= took < 10 and s.finished is False, f"{took:.2f}s, {s}")
        ids["slow"] = s.id
    with sc.check("run('workflows.hello@1.0.0') → ?version=1.0.0"):
        v = _done(sc, c.run("workflows.hello@1.0.0", {"name": "V"}, wait_for_completion=30))
        expect("version=1.0.0" in sc.exchanges[-1]["query"], sc.exchanges[-1])
        expect(v.source.version == "1.0.0", f"source {v.source}")
    with sc.check("dict target, bare slug, bare workflow id"):
        for target in ({"type": "workflow", "slug": "hello"}, "hello", ids["hello"]):
            r = _done(sc, c.run(target, {"name": "T"}, wait_for_completion=30))
            expect(r.output["greeting"] == "Hello, T!" and r.source.id == ids["hello"], f"{r}")
    tag = f"t-{uuid.uuid4().hex[:10]}"
    ids["tag"] = tag
    with sc.check("overrides, metadata, tags=[...] (JSON)"):
        o = _done(
            sc,
            c.run(
                "workflows.hello",
                {"name": "O"},
                overrides={"steps": {"greet": {"text": "Hi!"}}},
                metadata={"customer": "acme", "n": 1},
                tags=["compat", tag],
                wait_for_completion=30,
            ),
        )
        expect(o.output == {"greeting": "Hi!", "name": "O"}, f"output {o.output}")
        expect(o.tags == ["compat", tag], f"tags {o.tags}")
        ids["tagged"] = o.id
    with sc.check("runs.get(expand='input') → input.args, input.metadata"):
        g = shapes.run(c.runs.get(ids["tagged"], expand="input"), ("input",))
        expect(g.input.args == {"name": "O"}, f"input {g.input}")
        expect(g.input.metadata == {"customer": "acme", "n": 1}, f"input {g.input}")
        expect(g.tags == ["compat", tag] and "usage" not in g, f"{g}")
    with sc.check("multipart: {content, filename, mime_type} file, tags='one', metadata"):
        doc = {"content": b"dict bytes", "filename": "note.txt", "mime_type": "text/plain"}
        m = _done(
            sc,
            c.run(
                "workflows.file-info",
                {"doc": doc, "label": "dict"},
                tags="one",
                metadata={"via": "multipart"},
                wait_for_completion=30,
            ),
        )
        expect(sc.exchanges[-1]["requestType"].startswith("multipart/form-data"), "not multipart")
        expect(m.tags == ["one"], f"tags {m.tags}")
        info = m.output["info"]
        expect(info["size"] == 10 and info["mime"] == "text/plain", f"output {m.output}")
        expect(m.output["name"] == "note.txt" and m.output["label"] == "dict", f"{m.output}")
        g = shapes.run(c.runs.get(m.id, expand=["input"]), ("input",))
        expect(g.input.metadata == {"via": "multipart"}, f"input {g.input}")
    with sc.check("multipart: a Path file"):
        small = Path(sc.args["small"])
        p = _done(sc, c.run("workflows.file-info", {"doc": small}, wait_for_completion=30))
        sent = sc.last("POST", "/v1/runs")["requestType"]
        expect(sent.startswith("multipart/form-data"), f"a Path input sent {sent}")
        expect(p.output["info"]["size"] == small.stat().st_size, f"output {p.output}")
        expect(p.output["name"] == small.name and p.output["label"] == "none", f"{p.output}")
    with sc.check("runs.get(id) and runs.get(expand=['usage', 'execution'])"):
        r = _done(sc, c.runs.get(ids["done"]))
        expect(not {"input", "usage", "debug"} & set(r), f"unexpanded run has {sorted(r)}")
        expect(r.output == {"greeting": "Hello, Bo!", "name": "Bo"}, f"output {r.output}")
        e = _done(
            sc, c.runs.get(ids["done"], expand=["usage", "execution"]), ("usage", "execution")
        )
        expect("expand=usage%2Cexecution" in sc.exchanges[-1]["query"], sc.exchanges[-1])
        names = [s["name"] for s in e.execution.steps]
        expect(names == ["greet", "summary"], f"steps {e.execution.steps}")
        expect(all(s["status"] == "completed" for s in e.execution.steps), f"{e.execution}")
    with sc.check("a failed run answers 200 Run with its error"):
        f = shapes.run(c.run("workflows.fails", {"message": "compat list"}, wait_for_completion=30))
        expect(f.execution.status == "failed" and "compat list" in (f.error or ""), f"{f}")
        ids["failed"] = f.id


def _cancels(sc: Any, c: Any, ids: dict[str, str]) -> None:
    with sc.check("runs.cancel in flight → requested, then cancelled"):
        sc.poll(ids["slow"], {"running"}, 15)
        r = shapes.cancel(c.runs.cancel(ids["slow"]))
        expect(r.cancellation.state == "requested", f"cancel {r}")
        expect(r.cancellation.wasStatus == "running" and r.finished is False, f"cancel {r}")
        final = shapes.run(sc.poll(ids["slow"], TERMINAL, 20))
        expect(final.execution.status == "cancelled", f"{final.execution}")
        expect(final.timing.cancelRequestedAt is not None, f"timing {final.timing}")
        kinds = [e["type"] for e in c.runs.events(ids["slow"])["events"]]
        expect(any("cancel" in k for k in kinds[:-1]), f"no cancel request in events {kinds}")
    with sc.check("runs.cancel pending → cancelled"):
        blockers = [c.run("workflows.slow-count", {"seconds": 2}).id for _ in range(2)]
        for b in blockers:
            sc.poll(b, {"running"}, 15)
        p = c.run("workflows.hello", {"name": "P"}).id
        expect(c.runs.get(p).execution.status == "pending", "not pending behind two slow runs")
        r = shapes.cancel(c.runs.cancel(p))
        expect(r.cancellation.state == "cancelled" and r.cancellation.wasStatus == "pending", r)
        expect(r.finished is True and r.execution.status == "cancelled", f"cancel {r}")
        ids["cancelled"] = p
        for b in blockers:
            expect(c.runs.cancel(b).cancellation.state == "requested", "blocker")
        for b in blockers:
            sc.poll(b, TERMINAL, 20)
    with sc.check("runs.cancel again → already_terminal"):
        r = shapes.cancel(c.runs.cancel(ids["cancelled"]))
        expect(r.cancellation.state == "already_terminal", f"cancel {r}")
        expect(r.cancellation.wasStatus == "cancelled" and r.finished is True, f"cancel {r}")
        r = shapes.cancel(c.runs.cancel(ids["done"]))
        expect(r.cancellation.state == "already_terminal", f"cancel {r}")
        expect(r.cancellation.wasStatus == "completed", f"cancel {r}")
        expect(c.runs.get(ids["done"]).execution.status == "completed", "cancel changed a run")


def _ids(page: Any) -> list[str]:
    return [r["id"] for r in shapes.runs_list(page)]


def _lists(sc: Any, c: Any, ids: dict[str, str]) -> None:
    ended = {ids.get("failed"), ids.get("cancelled"), ids.get("slow")}
    got: list[str] = []
    everything: list[str] = []
    with sc.check("runs.list(type='workflow', status='failed,cancelled', limit=50) (README)"):
        page = c.runs.list(type="workflow", status="failed,cancelled", limit=50)
        got = _ids(page)
        expect(ended <= set(got), f"{ended - set(got)} missing from {got}")
        statuses = {r["execution"]["status"] for r in page["runs"]}
        expect(statuses <= {"failed", "cancelled"}, f"statuses {statuses}")
    with sc.check("runs.list(status=[...]) sends status repeated"):
        again = _ids(c.runs.list(type="workflow", status=["failed", "cancelled"], limit=50))
        expect("status=failed&status=cancelled" in sc.exchanges[-1]["query"], sc.exchanges[-1])
        expect(again == got, f"repeated {again} != comma-joined {got}")
    with sc.check("runs.list(tag=...)"):
        expect(_ids(c.runs.list(tag=ids["tag"])) == [ids["tagged"]], "tag filter")
        expect(_ids(c.runs.list(tag="compat", limit=100)) == [ids["tagged"]], "tag compat")
    with sc.check("runs.list(**{'from': 'now()-1d'}) and 'to'"):
        recent = _ids(c.runs.list(source="hello", limit=100, **{"from": "now()-1d"}))
        expect(ids["done"] in recent, "from=now()-1d lost a run of a minute ago")
        old = _ids(c.runs.list(source="hello", **{"from": "now()-1d", "to": "now()-1h"}))
        expect(old == [], f"to=now()-1h listed {old}")
    with sc.check("runs.list limit + cursor pages through everything"):
        everything = _ids(c.runs.list(source="hello", limit=100))
        expect(len(everything) >= 7, f"only {len(everything)} hello runs")
        walked: list[str] = []
        cursor = None
        while True:
            query = {"cursor": cursor} if cursor else {}
            page = c.runs.list(source="hello", limit=2, **query)
            walked += _ids(page)
            cursor = page["nextCursor"]
            if cursor is None or len(walked) > len(everything):
                break
        expect(walked == everything, f"cursor pages {walked} != {everything}")
    with sc.check("runs.list limit + offset"):
        expect(_ids(c.runs.list(source="hello", limit=2, offset=2)) == everything[2:4], "offset")
    with sc.check("runs.list(sort='createdAt', order='asc')"):
        asc = _ids(c.runs.list(source="hello", sort="createdAt", order="asc", limit=100))
        expect(asc == everything[::-1], f"asc {asc} != reversed desc {everything}")
    with sc.check("an unsupported filter → EigenpalValidationError naming it"):
        e = raises(EigenpalValidationError, lambda: c.runs.list(reviewStatus="open"))
        expect("reviewStatus" in str(e), f"message {e}")
        field = shapes.error(e)["issues"][0]["field"]
        expect(field.split(".")[-1] == "reviewStatus", f"{e.envelope}")


def _reruns(sc: Any, c: Any, ids: dict[str, str]) -> None:
    with sc.check("rerun(id) → 201 RunAccepted, a new run of the same input"):
        r = shapes.accepted(c.rerun(ids["done"]))
        expect(sc.answered("POST", "/rerun") == 201 and r.id != ids["done"], f"rerun {r}")
        final = _done(sc, sc.poll(r.id, TERMINAL))
        expect(final.output == {"greeting": "Hello, Bo!", "name": "Bo"}, f"{final.output}")
        expect(final.execution.retry.previousRunId == ids["done"], f"{final.execution}")
    with sc.check("runs.rerun(id, wait_for_completion=30) → 200 Run"):
        r = _done(sc, c.runs.rerun(ids["done"], wait_for_completion=30))
        expect(sc.answered("POST", "/rerun") == 200, "status")
        expect(r.output["greeting"] == "Hello, Bo!" and r.id != ids["done"], f"rerun {r}")
    with sc.check("rerun(id, version='original')"):
        r = _done(sc, c.rerun(ids["done"], version="original", wait_for_completion=30))
        expect("version=original" in sc.exchanges[-1]["query"], sc.exchanges[-1])
        expect(r.source.version == "1.0.0", f"source {r.source}")
