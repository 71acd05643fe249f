"""The dashboard in a real browser: Playwright driving Debian's headless Chromium.

Screenshots of every page go to `test-artifacts/screenshots/` (look at them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_invoice_pdf, start_server

CHROMIUM = os.environ.get("OPENPAL_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

if not shutil.which(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must run the browser tests: {CHROMIUM} is missing")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.api.test_runs import wait_terminal  # noqa: E402


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("ui"), args=("--concurrency", "4"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, srv) -> Page:
    context = browser.new_context(base_url=srv.base_url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto("/runs")
    pg.fill("#api_key", srv.api_key)
    pg.click("button[type=submit]")
    expect(pg).to_have_url(f"{srv.base_url}/runs")
    yield pg
    context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def api(srv) -> httpx.Client:
    return srv.client()


def test_sign_in_rejects_a_bad_key_and_sets_a_strict_cookie(browser, srv):
    context = browser.new_context(base_url=srv.base_url)
    pg = context.new_page()
    pg.goto("/runs/exec_anything")
    expect(pg).to_have_url(f"{srv.base_url}/login?next=%2Fruns%2Fexec_anything")
    pg.fill("#api_key", "opk_wrong")
    pg.click("button[type=submit]")
    expect(pg.get_by_role("alert")).to_have_text("That API key is not valid.")
    shot(pg, "login-error")
    pg.fill("#api_key", srv.api_key)
    pg.click("button[type=submit]")
    expect(pg.locator("h1")).to_have_text("Not found")  # went on to the page asked for
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    context.close()


def test_filter_runs_by_status_and_date(page, srv):
    with api(srv) as c:
        ok = c.post("/api/v1/run/workflows.hello", params={"wait_for_completion": 20}, json={})
        bad = c.post("/api/v1/run/workflows.fails", params={"wait_for_completion": 20}, json={})
    failed_id = bad.json()["runId"]
    page.goto("/runs")
    expect(page.get_by_role("link", name=ok.json()["runId"])).to_be_visible()
    page.check("input[name=status][value=failed]")
    page.select_option("select[name=since]", "24h")
    page.click("text=Filter")
    assert "status=failed" in page.url and "since=24h" in page.url  # shareable view
    expect(page.get_by_role("link", name=failed_id)).to_be_visible()
    badges = page.locator("#rows .badge").all_inner_texts()
    assert badges and set(badges) == {"failed"}
    shot(page, "runs-filtered")


def test_watch_a_run_go_from_running_to_completed_without_reload(page, srv):
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.slow-count", json={"seconds": 1}).json()["runId"]
    page.goto(f"/runs/{run_id}")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#run-status")).to_have_text("running", timeout=10_000)
    shot(page, "run-running")
    expect(page.locator("#run-status")).to_have_text("completed", timeout=20_000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    expect(page.locator("#run-output")).to_contain_text('"counted": 3')
    shot(page, "run-completed")


def test_cancel_a_running_run_from_its_page(page, srv):
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.slow-count", json={"seconds": 30}).json()["runId"]
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#run-status")).to_have_text("running", timeout=10_000)
    page.click("text=Cancel run")
    expect(page.get_by_role("status")).to_have_text("Cancel requested.")
    expect(page.locator("#run-status")).to_have_text("cancelled", timeout=10_000)
    shot(page, "run-cancelled")


def test_approve_a_waiting_run(page, srv):
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.approval", json={"amount": 42}).json()["runId"]
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#run-status")).to_have_text("waiting", timeout=10_000)
    shot(page, "run-waiting")
    page.click("text=Approve")
    expect(page.locator("#run-status")).to_have_text("completed", timeout=10_000)
    expect(page.locator("#run-output")).to_contain_text('"amount": 42')


def test_reject_a_waiting_run_with_a_reason(page, srv):
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.approval", json={"amount": 7}).json()["runId"]
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#run-status")).to_have_text("waiting", timeout=10_000)
    page.fill("#reason", "over budget")
    page.click("button:has-text('Reject')")
    expect(page.locator("#run-status")).to_have_text("rejected", timeout=10_000)
    expect(page.get_by_role("alert")).to_contain_text("rejected by reviewer: over budget")


def test_typing_a_reject_reason_survives_the_live_refresh(page, srv):
    """The waiting run's page refreshes itself; what a person types is kept (it was
    erased on every refresh, 0.7 s)."""
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.approval", json={"amount": 9}).json()["runId"]
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#run-status")).to_have_text("waiting", timeout=10_000)
    page.locator("#reason").press_sequentially("over budget, ask Kim", delay=120)
    page.wait_for_timeout(1600)  # two refreshes while the field has the focus
    expect(page.locator("#reason")).to_have_value("over budget, ask Kim")
    page.locator("h1").click()  # the field loses the focus; refreshes go on
    page.wait_for_timeout(1600)
    expect(page.locator("#reason")).to_have_value("over budget, ask Kim")
    page.click("button:has-text('Reject')")
    expect(page.get_by_role("alert")).to_contain_text("over budget, ask Kim", timeout=10_000)


def test_a_failed_steps_attempts_tracebacks_and_logs_on_its_page(page, srv):
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.chatty", json={"note": "bill 12"}).json()["runId"]
        wait_terminal(c, run_id)
    page.goto(f"/runs/{run_id}")
    step = page.locator("li.step", has=page.locator(".name", has_text="check"))
    expect(step.locator(".seg.attempt.failed")).to_have_count(2)  # both attempts drawn
    step.locator("summary").click()
    expect(step.locator("pre.traceback").first).to_contain_text("ValueError: bill 12 does not")
    expect(step.locator("pre.traceback")).to_have_count(2)
    expect(step.locator("pre.logs").first).to_contain_text("checking bill 12 (attempt 1)")
    expect(step.locator("pre.logs").last).to_contain_text("checking bill 12 (attempt 2)")
    shot(page, "run-failed-with-logs")


def test_steps_are_placed_in_time_and_a_wait_is_drawn_as_one(page, srv):
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.wait", json={"seconds": 1}).json()["runId"]
        wait_terminal(c, run_id)
    page.goto(f"/runs/{run_id}")

    def placed(name: str, kind: str = "attempt") -> tuple[float, float]:
        lane = page.locator("li.step", has=page.locator(".name", has_text=name))
        style = lane.locator(f".seg.{kind}").first.get_attribute("style") or ""
        return float(style.split("left:")[1].split("%")[0]), float(
            style.split("width:")[1].split("%")[0]
        )

    (before, _), (wait, waited), (after, _) = (
        placed("before"),
        placed("pause", "wait"),
        placed("after"),
    )
    assert before < 5 and wait < 5 and waited > 80  # the 1 s wait fills the run
    assert after > 90  # the last step ran after the wait, not beside the first
    created = page.locator("dd time").first
    expect(created).to_contain_text(re.compile(r"\((just now|\d+ (s|min) ago)\)"))  # relative
    assert created.get_attribute("datetime").endswith("Z")


def test_the_overview_sums_up_each_workflow_the_queue_and_the_workers(page, srv):
    with api(srv) as c:
        for _ in range(3):
            done = c.post("/api/v1/run/workflows.noop3", params={"wait_for_completion": 20})
            assert done.json()["status"] == "completed"
        failed = c.post("/api/v1/run/workflows.chatty", params={"wait_for_completion": 20},
                        json={"note": "overview"})  # fmt: skip
        assert failed.json()["status"] == "failed"
    page.goto("/overview")
    hour = page.locator("table.overview[data-window='3600']")
    noop = hour.locator("tr[data-workflow='noop3']")
    expect(noop.locator("td.runs")).to_have_text("3")
    expect(noop.locator("td.failed")).to_have_text("0 (0 %)")
    expect(noop.locator("td").nth(5)).to_contain_text("ms")  # p50 of the completed ones
    chatty = hour.locator("tr[data-workflow='chatty']")
    expect(chatty.locator("td.failed")).to_contain_text("(100 %)")
    expect(page.locator("#workers-seen")).to_have_text("1")  # this server's pool
    expect(page.locator("#queue-pending")).to_have_text(re.compile(r"^\d+$"))
    shot(page, "overview")


def test_start_a_run_from_the_workflow_form_with_a_file(page, srv, tmp_path):
    pdf = make_invoice_pdf(tmp_path / "contract.pdf", number="INV-UI-7")
    page.goto("/workflows")
    shot(page, "workflows")
    page.click("text=extract-invoice")
    shot(page, "workflow-extract-invoice")
    page.set_input_files("#in-contract_document", str(pdf))
    page.click("text=Start run")
    page.wait_for_url(f"{srv.base_url}/runs/exec_*")
    expect(page.locator("#run-status")).to_have_text("completed", timeout=20_000)
    expect(page.locator("#run-output")).to_contain_text("INV-UI-7")
    shot(page, "run-from-form")


def test_a_large_output_is_shown_in_part_and_downloads_whole(page, srv):
    items = [f"item {i} <b>&</b>" for i in range(40_000)]  # about 1 MB of JSON
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.typed", params={"wait_for_completion": 20},
                        json={"s": "big", "a": items}).json()["runId"]  # fmt: skip
        output = c.get(f"/v1/runs/{run_id}").json()["output"]
    assert output["a"] == items
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#run-output")).to_contain_text('"item 0 <b>&</b>"')
    expect(page.locator("#run-output")).to_contain_text(re.compile(r"… [\d,]+ more characters"))
    shot(page, "run-large-output")
    with page.expect_download() as found:
        page.locator("#run-output ~ .truncated a").click()
    download = found.value
    assert download.suggested_filename == f"{run_id}-output.json"
    whole = Path(download.path()).read_bytes()
    assert whole == json.dumps(output, ensure_ascii=False, separators=(",", ":")).encode()


def test_the_start_form_refuses_nan_with_a_message_on_the_page(page, srv):
    page.goto("/workflows/typed")
    page.fill("#in-s", "x")
    page.fill("#in-o", '{"a": NaN}')
    page.click("text=Start run")
    expect(page.get_by_role("alert")).to_have_text("input.o: NaN is not a JSON number")
    page.fill("#in-s", "x")
    page.fill("#in-o", '{"a":' * 70 + "1" + "}" * 70)
    page.click("text=Start run")
    expect(page.get_by_role("alert")).to_have_text("input.o: JSON nested more than 64 levels deep")
    shot(page, "start-form-refused")


def test_a_form_without_the_csrf_token_is_refused(srv):
    with api(srv) as c:
        run_id = c.post("/api/v1/run/workflows.slow-count", json={"seconds": 5}).json()["runId"]
    with httpx.Client(base_url=srv.base_url) as web:  # signed in, without the form's token
        token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
        assert token is not None
        web.post("/login", data={"api_key": srv.api_key, "token": token[1]})
        resp = web.post(f"/runs/{run_id}/cancel", data={"csrf": "forged"})
    assert resp.status_code == 403
    with api(srv) as c:
        time.sleep(0.2)
        assert c.get(f"/api/v1/runs/{run_id}").json()["run"]["status"] != "cancelled"
        c.post(f"/api/v1/runs/{run_id}/cancel")


def test_another_tenant_sees_nothing(browser, srv):
    import subprocess
    import sys

    other = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", "elsewhere",
         "--data-dir", str(srv.data_dir)],
        capture_output=True, text=True, check=True, env=srv.env(),
    ).stdout.strip()  # fmt: skip
    with api(srv) as c:
        mine = c.post("/api/v1/run/workflows.hello", json={}).json()["runId"]
    context = browser.new_context(base_url=srv.base_url)
    pg = context.new_page()
    pg.goto("/login")
    pg.fill("#api_key", other)
    pg.click("button[type=submit]")
    expect(pg.locator("#rows")).to_contain_text("No runs match.")
    pg.goto(f"/runs/{mine}")
    expect(pg.locator("h1")).to_have_text("Not found")
    context.close()


def test_runs_page_on_a_phone(browser, srv):
    context = browser.new_context(base_url=srv.base_url, viewport={"width": 390, "height": 800})
    pg = context.new_page()
    pg.goto("/login")
    pg.fill("#api_key", srv.api_key)
    pg.click("button[type=submit]")
    expect(pg.locator("h1")).to_have_text("Runs")
    shot(pg, "runs-phone")
    context.close()
