"""The workflow definition model: what a YAML file (or Python code) compiles to.

Everything here is immutable. A `WorkflowDef` is one version of one workflow;
a run pins the version it started on, so the executor only ever sees these
objects, never YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INPUT_TYPES = ("string", "number", "integer", "boolean", "object", "array", "file")


# fan-out (`forEach`, workflows/foreach_section.py): what `with:` reads in such a step,
# the failure policies (the first is the default) and the default width
ITEM_NAMES = ("item", "item_index")
ON_ITEM_FAILURE = ("fail_fast", "collect")
DEFAULT_MAX_PARALLEL = 4


@dataclass(frozen=True)
class InputSpec:
    """One typed input of a workflow."""

    name: str
    type: str  # one of INPUT_TYPES
    required: bool = True
    default: Any = None
    has_default: bool = False
    description: str | None = None
    items: Mapping[str, Any] | None = None  # for arrays, e.g. {"type": "file"}
    secret: bool = False  # its value is masked in the step logs kept with the run


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing step is tried again."""

    max_attempts: int = 1
    backoff_seconds: float = 1.0
    backoff_factor: float = 2.0
    max_backoff_seconds: float = 60.0
    jitter: bool = True


@dataclass(frozen=True)
class ConcurrencySpec:
    """Admission control: at most `limit` runs of the workflow at once, per `key`.

    `key` is a template over the input (`{{ input.customer }}`), or None for one
    group per workflow. `queue` keeps extra runs `pending` until a slot frees;
    `reject` ends them `rejected` at once, with an error naming the limit.
    """

    limit: int
    key: str | None = None
    strategy: str = "queue"  # "queue" | "reject"


@dataclass(frozen=True)
class CronTrigger:
    """A schedule: a run with `input` at every fire time of `cron` in `timezone`."""

    cron: str  # 5-field cron expression, normalised (single spaces)
    timezone: str = "UTC"  # IANA name
    input: Mapping[str, Any] = field(default_factory=dict)
    # missed ticks (no process up at the time): "latest" runs once for them all,
    # "none" skips a tick that is over a minute late
    catchup: str = "latest"


@dataclass(frozen=True)
class StepSpec:
    """One step of a workflow, with its configuration still unrendered.

    `with_` holds the raw `with:` mapping: strings in it are Liquid templates
    rendered against the run's scope just before the step runs. `if_` is a
    Liquid condition (the inside of `{% if %}`), or None.
    """

    name: str
    type: str
    with_: Mapping[str, Any] = field(default_factory=dict)
    if_: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float | None = None
    line: int | None = None  # line in the source file, for error messages
    # fan-out (`forEach`): a template rendering to a list (or a literal list); the step
    # then runs once per element, `with:` seeing it as `item` (and `item_index`)
    for_each: Any = None
    max_parallel: int = DEFAULT_MAX_PARALLEL  # capped by OPENPAL_MAX_FOREACH_PARALLEL
    on_item_failure: str = ON_ITEM_FAILURE[0]


@dataclass(frozen=True)
class WorkflowDef:
    """One immutable version of a workflow."""

    slug: str
    steps: tuple[StepSpec, ...]
    inputs: tuple[InputSpec, ...] = ()
    output: Any = None  # template tree (dict/list/str/scalar) or None
    version_label: str | None = None
    description: str | None = None
    title: str | None = None  # human name; defaults to the slug
    timeout_seconds: float | None = None
    concurrency: ConcurrencySpec | None = None
    triggers: tuple[CronTrigger, ...] = ()  # cron schedules
    output_schema: Mapping[str, Any] | None = None  # JSON Schema the output is checked against
    strict_output_schema: bool = False  # a mismatch fails the run (else: schemaValid false)
    source_text: str = ""  # the YAML as written (served as yamlContent)
    source_path: str | None = None
    base_dir: str | None = None  # folder put on sys.path for `python` steps
    content_hash: str = ""  # sha256 of source_text; equal hash = same version

    def step(self, name: str) -> StepSpec:
        """The step called `name` (KeyError when there is none)."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)
