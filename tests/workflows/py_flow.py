"""A workflow written in Python with `openpal.workflows`, loaded from this folder."""

from openpal.workflows import Retry, Workflow

flow = Workflow(
    "py-flow",
    version="1.0.0",
    description="Fetch (flaky once), grade when large, summarise.",
    inputs={"total": "number", "label": {"type": "string", "default": "none"}},
    timeout_seconds=30,
)

_attempts: dict[str, int] = {}


@flow.step(retry=Retry(max_attempts=3, backoff_seconds=0.01, jitter=False), timeout_seconds=5)
def fetch(total: float, ctx) -> dict:
    n = _attempts[ctx.run_id] = _attempts.get(ctx.run_id, 0) + 1
    if n < 2:
        raise RuntimeError("flaky on the first attempt")
    return {"total": total, "attempts": n}


@flow.step(if_="steps.fetch.output.total > 100")
def grade(fetch: dict) -> dict:
    return {"grade": "A" if fetch["total"] > 500 else "B"}


@flow.step(args={"label": "{{ input.label | upcase }}"})
def summary(fetch: dict, label: str, grade: dict | None = None) -> dict:
    return {"label": label, "total": fetch["total"], "grade": (grade or {}).get("grade")}
