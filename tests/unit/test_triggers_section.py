"""`triggers:` in workflow YAML (and the Python API): cron schedules checked at load."""

from __future__ import annotations

import pytest

from openpal.errors import WorkflowLoadError
from openpal.workflows.loader import load_workflow_text
from openpal.workflows.model import CronTrigger
from openpal.workflows.python_api import Workflow

HEAD = """\
name: nightly
inputs:
  - {name: who, type: string}
  - {name: n, type: integer, required: false}
"""
STEPS = """\
steps:
  - {name: hi, type: transform.set, with: {value: {who: "{{ input.who }}"}}}
"""


def _load(triggers: str):
    return load_workflow_text(HEAD + triggers + STEPS, source_path="flows/nightly.yaml")


def test_one_trigger_or_a_list():
    wf = _load('triggers: {cron: "0 7 * * 1-5", timezone: Europe/Berlin, input: {who: a}}\n')
    assert wf.triggers == (CronTrigger("0 7 * * 1-5", "Europe/Berlin", {"who": "a"}),)
    wf = _load(
        "triggers:\n"
        '  - {cron: "*/5 * * * *", input: {who: a, n: 2}}\n'
        '  - {cron: "0 0 1 jan *", timezone: Asia/Tokyo, input: {who: b}}\n'
    )
    assert [(t.cron, t.timezone) for t in wf.triggers] == [
        ("*/5 * * * *", "UTC"),
        ("0 0 1 jan *", "Asia/Tokyo"),
    ]
    assert load_workflow_text(HEAD + STEPS).triggers == ()
    skipping = _load('triggers: {cron: "0 7 * * *", input: {who: a}, catchup: none}\n')
    assert skipping.triggers[0].catchup == "none"
    assert wf.triggers[0].catchup == "latest"  # the default


@pytest.mark.parametrize(
    ("triggers", "field", "line", "words"),
    [
        ('triggers: {cron: "0 25 * * *", input: {who: a}}\n', "triggers.cron", 5, "hour: 25"),
        ('triggers: {cron: "0 7 * *", input: {who: a}}\n', "triggers.cron", 5, "5 fields"),
        ('triggers: {cron: "0 0 30 2 *", input: {who: a}}\n', "triggers.cron", 5, "never fires"),
        (
            'triggers:\n  - {cron: "0 7 * * *", timezone: Europe/Berlln, input: {who: a}}\n',
            "triggers[0].timezone",
            6,
            "unknown time zone 'Europe/Berlln'",
        ),
        ('triggers: {cron: "0 7 * * *"}\n', "triggers.input", 5, "who: required"),
        (
            'triggers: {cron: "0 7 * * *", input: {who: a, whom: b}}\n',
            "triggers.input",
            5,
            "whom: unknown input",
        ),
        (
            'triggers: {cron: "0 7 * * *", input: {who: a, n: "2"}}\n',
            "triggers.input",
            5,
            "n: must be an integer",
        ),
        ("triggers: {input: {who: a}}\n", "triggers.cron", 5, "required"),
        ('triggers: {cron: "0 7 * * *", every: 1}\n', "triggers.every", 5, "unknown key"),
        (
            'triggers: {cron: "0 7 * * *", input: {who: a}, catchup: all}\n',
            "triggers.catchup",
            5,
            "latest or none",
        ),
        ("triggers: daily\n", "triggers", 5, "must be a mapping"),
    ],
)
def test_load_errors_name_field_and_line(triggers, field, line, words):
    with pytest.raises(WorkflowLoadError) as info:
        _load(triggers)
    assert (info.value.file, info.value.field, info.value.line) == (
        "flows/nightly.yaml",
        field,
        line,
    )
    assert words in info.value.detail


def hello() -> dict:
    return {}


def test_python_api_triggers():
    wf = Workflow("py-nightly", triggers={"cron": "30 6 * * *", "timezone": "Europe/Berlin"})
    wf.step()(hello)
    compiled = load_workflow_text(wf.to_yaml())
    assert compiled.triggers == (CronTrigger("30 6 * * *", "Europe/Berlin", {}),)
