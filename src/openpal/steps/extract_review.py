"""`on_refusal: review` of `ai.extract`: a refused extraction parks the run for a person.

When extraction is refused (not the document the schema describes, or required fields
not found), the step raises `Suspend("approval", …)` with the reason as the wait's
message, exactly as `control.approval` waits: the run is `waiting`, listed by
`GET /v1/human-reviews` with the reason as the task's instructions. Approving with the
corrected values (`{"output": {...}}` on /v1, the JSON body on `POST /runs/{id}/resume`)
makes them the step's output, checked against the schema (`review_issues`, a 400
naming the field before the run moves); rejecting ends the run `rejected` with the
reviewer's reason; no decision within `review_timeout_minutes` (default 1440) rejects it.
"""

from __future__ import annotations

import time
from typing import Any

from jsonschema import Draft202012Validator

from openpal.errors import Issue
from openpal.steps.base import Reject, Resumption, Suspend

__all__ = ["REFUSAL_MODES", "review_issues", "review_wait", "reviewed_output"]

REFUSAL_MODES = ("fail", "review")
DEFAULT_REVIEW_MINUTES = 1440
MAX_ISSUES = 20


def review_minutes(config: dict[str, Any]) -> float:
    minutes = config.get("review_timeout_minutes", DEFAULT_REVIEW_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
        raise ValueError("review_timeout_minutes must be a number of minutes above 0")
    return float(minutes)


def review_wait(config: dict[str, Any], reason: str) -> Suspend:
    """The pause of a refused extraction: waiting for a person, the reason as message."""
    until = time.time_ns() // 1000 + int(review_minutes(config) * 60 * 1_000_000)
    message = (
        f"extraction refused: {reason}. Approve with the corrected values"
        " (they become the step's output), or reject."
    )
    return Suspend("approval", until, message=message)


def review_issues(payload: Any, schema: Any, prefix: str = "") -> list[Issue]:
    """What is wrong with a reviewer's values for `schema` (empty when they fit): a
    missing required field, a value of the wrong type, a field the schema lacks."""
    where = prefix.rstrip(".") or "<body>"
    if not isinstance(schema, dict):
        return []  # a schema rendered at run time: the step checks the values itself
    if not isinstance(payload, dict):
        return [Issue(where, "approve with the extracted fields as a JSON object")]
    issues = [
        Issue(f"{prefix}{k}", "required: the document's value was not found; enter it")
        for k in schema.get("required", [])
        if payload.get(k) is None
    ]
    known = schema.get("properties", {})
    issues += [
        Issue(f"{prefix}{k}", "not a field of the schema", "unknown_field")
        for k in payload
        if k not in known
    ]
    present = {k: v for k, v in payload.items() if v is not None and k in known}
    validator = Draft202012Validator({**schema, "required": []})
    for error in sorted(validator.iter_errors(present), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path)
        issues.append(Issue(f"{prefix}{path}" if path else where, error.message))
    return issues[:MAX_ISSUES]


def reviewed_output(config: dict[str, Any], resumed: Resumption) -> Any:
    """The step's output once a person decided: the approved values (every field of the
    schema, null where not given), or `Reject` when the review timed out."""
    if resumed.decision != "approved":
        minutes = review_minutes(config)
        raise Reject(f"review timed out after {minutes:g} minutes without a decision")
    schema = config["schema"]
    issues = review_issues(resumed.payload, schema)
    if issues:
        raise ValueError(
            "the reviewed values do not fit the schema: "
            + "; ".join(f"{i.field}: {i.message}" for i in issues)
        )
    values = dict(resumed.payload)
    return {k: values.get(k) for k in schema.get("properties", {})} | values
