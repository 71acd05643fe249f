"""Workflow YAML → `WorkflowDef`; every problem is a `WorkflowLoadError` naming file, field, line.

Everything that can be known before a run starts is checked here (names,
types, step types, templates, which steps a template may read), so a bad file
stops the server at start-up instead of failing runs later.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from openpal.errors import WorkflowLoadError
from openpal.schemas import check_schema
from openpal.steps.registry import get_step_type, step_type_names
from openpal.workflows.concurrency_section import parse_concurrency
from openpal.workflows.foreach_section import FOREACH_KEYS, parse_fan_out
from openpal.workflows.inputs_section import parse_inputs
from openpal.workflows.model import ITEM_NAMES, InputSpec, RetryPolicy, StepSpec, WorkflowDef
from openpal.workflows.python_api import load_python_workflows
from openpal.workflows.templates import (
    check_condition,
    check_template,
    condition_references,
    template_references,
)
from openpal.workflows.triggers_section import parse_triggers
from openpal.workflows.yaml_source import Source, parse_yaml

__all__ = ["load_workflow_dir", "load_workflow_file", "load_workflow_text"]

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Step names are read back as `steps.<name>` in Liquid, so they must be identifiers.
STEP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Keys other EigenPal tools write; accepted so their files load, otherwise unused.
_FOREIGN_KEYS = {"kind", "enabled", "triggerMethods", "defaultModel"}
TOP_KEYS = {"name", "title", "version", "description", "inputs", "steps", "output"}
TOP_KEYS |= {"timeout_seconds", "concurrency", "output_schema", "settings", "triggers"}
TOP_KEYS |= _FOREIGN_KEYS
STEP_KEYS = {"name", "type", "with", "if", "retry", "timeout_seconds", "description"}
STEP_KEYS |= FOREACH_KEYS
RETRY_KEYS = {"max_attempts", "backoff_seconds", "backoff_factor", "max_backoff_seconds", "jitter"}
RUN_FIELDS = {"id", "workflow", "attempt"}


def load_workflow_file(path: str | Path) -> WorkflowDef:
    """Load one YAML file; its folder is where its `python` steps are imported from."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowLoadError(str(path), "<root>", f"cannot read the file: {exc}") from None
    return load_workflow_text(
        text, source_path=str(path), base_dir=str(path.parent), check_code=True
    )


def load_workflow_dir(folder: str | Path) -> list[WorkflowDef]:
    """Every `*.yaml` / `*.yml` of `folder` (not recursive), in file-name order, and the
    `Workflow` objects of its `*.py` files that define any (see `python_api`).

    Two files declaring the same `name` are an error naming both files.
    """
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise WorkflowLoadError(str(folder), "<root>", "not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".py"))
    first_file: dict[str, str] = {}
    out: list[WorkflowDef] = []
    for path in files:
        if not path.is_file():
            continue
        found = _python_workflows(path) if path.suffix == ".py" else [load_workflow_file(path)]
        for wf in found:
            _add(wf, path, first_file, out)
    return out


def _python_workflows(path: Path) -> list[WorkflowDef]:
    """Only modules that mention `Workflow(` are imported: step modules are left alone
    (importing them is the run's business)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if path.name.startswith("_") or "Workflow(" not in text:
        return []
    return load_python_workflows(path)


def _add(wf: WorkflowDef, path: Path, first_file: dict[str, str], out: list[WorkflowDef]) -> None:
    if wf.slug in first_file:
        raise WorkflowLoadError(
            str(path),
            "name",
            f"workflow {wf.slug!r} is also defined in {first_file[wf.slug]}",
            line=parse_yaml(wf.source_text, str(path)).line("name")
            if path.suffix != ".py"
            else None,
        )
    first_file[wf.slug] = str(path)
    out.append(wf)


def load_workflow_text(
    text: str,
    *,
    source_path: str | None = None,
    base_dir: str | None = None,
    check_code: bool = False,
) -> WorkflowDef:
    """Parse and validate one workflow definition given as YAML text.

    `check_code` (a file of a workflows folder): also import the code its steps
    call from `base_dir` and check it takes their arguments (`python` steps)."""
    src = parse_yaml(text, source_path or "<workflow>")
    data = src.data
    if not isinstance(data, dict):
        raise src.error("<root>", "a workflow must be a mapping with at least name and steps")
    for key in data:
        if key not in TOP_KEYS:
            allowed = ", ".join(sorted(TOP_KEYS - _FOREIGN_KEYS))
            raise src.error(str(key), f"unknown key (allowed: {allowed})")
    slug = data.get("name")
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise src.error(
            "name", "required: lower-case letters, digits, - and _, starting with a letter or digit"
        )
    inputs = parse_inputs(data.get("inputs"), src)
    steps = _steps(data.get("steps"), src, inputs, base_dir if check_code else None)
    output = data.get("output")
    _check_templates(output, "output", src, _Names(inputs, [s.name for s in steps], len(steps)))
    return WorkflowDef(
        slug=slug,
        steps=tuple(steps),
        inputs=tuple(inputs),
        output=output,
        version_label=_version(data.get("version"), src),
        description=_optional_text(data, "description", src),
        title=_optional_text(data, "title", src),
        timeout_seconds=_timeout(data.get("timeout_seconds"), "timeout_seconds", src),
        concurrency=parse_concurrency(data.get("concurrency"), src, {spec.name for spec in inputs}),
        triggers=parse_triggers(data.get("triggers"), src, tuple(inputs)),
        output_schema=_output_schema(data.get("output_schema"), src),
        strict_output_schema=_strict_output(data.get("settings"), src),
        source_text=text,
        source_path=source_path,
        base_dir=base_dir,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _output_schema(value: Any, src: Source) -> dict[str, Any] | None:
    if value is None:
        return None
    problem = check_schema(value)
    if problem:
        raise src.error("output_schema", problem)
    return dict(value)


def _strict_output(settings: Any, src: Source) -> bool:
    """`settings: {strict_output_schema: true}` fails runs whose output misses the schema.
    Other settings (written by other EigenPal tools) are accepted and ignored."""
    if settings is None:
        return False
    if not isinstance(settings, dict):
        raise src.error("settings", "must be a mapping")
    strict = settings.get("strict_output_schema", False)
    if not isinstance(strict, bool):
        raise src.error("settings.strict_output_schema", "must be true or false")
    return strict


def _version(value: Any, src: Source) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise src.error("version", "must be a label such as 1.0.0")
    # as written: YAML reads `version: 1.10` as the float 1.1
    return src.raw.get("version", str(value)) if not isinstance(value, str) else value


def _optional_text(data: dict[str, Any], key: str, src: Source) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise src.error(key, "must be text")
    return value


def _timeout(value: Any, where: str, src: Source) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise src.error(where, "must be a positive number of seconds")
    return float(value)


class _Names:
    """What the templates of one place in the workflow may read."""

    def __init__(self, inputs: list[InputSpec], step_names: list[Any], position: int) -> None:
        self.inputs = {spec.name for spec in inputs}
        self.all_steps = step_names
        self.earlier = set(self.all_steps[:position])
        self.own = self.all_steps[position] if position < len(self.all_steps) else None
        self.per_item = False  # `item` and `item_index` in scope (a forEach step's `with:`)


def _steps(raw: Any, src: Source, inputs: list[InputSpec], code_dir: str | None) -> list[StepSpec]:
    if not isinstance(raw, list) or not raw:
        raise src.error("steps", "required: a non-empty list of steps")
    # Names first, so a reference to a later step can be told from a typo.
    names = [item.get("name") if isinstance(item, dict) else None for item in raw]
    out: list[StepSpec] = []
    for index, item in enumerate(raw):
        out.append(_step(index, item, src, _Names(inputs, names, index), code_dir))
    return out


def _step(index: int, item: Any, src: Source, names: _Names, code_dir: str | None) -> StepSpec:
    where = f"steps[{index}]"
    if not isinstance(item, dict):
        raise src.error(where, "must be a mapping with at least name and type")
    for key in item:
        if key not in STEP_KEYS:
            allowed = ", ".join(sorted(STEP_KEYS))
            raise src.error(f"{where}.{key}", f"unknown key (allowed: {allowed})")
    name = item.get("name")
    if not isinstance(name, str) or not STEP_NAME.match(name):
        raise src.error(
            f"{where}.name",
            "required: letters, digits, - and _, starting with a letter or _"
            " (templates read it as steps.<name>)",
        )
    if name in names.earlier:
        raise src.error(f"{where}.name", f"duplicate step name {name!r}")
    type_name = item.get("type")
    try:
        step_type = get_step_type(str(type_name))
    except KeyError:
        known = ", ".join(step_type_names())
        raise src.error(
            f"{where}.type", f"unknown step type {type_name!r} (known: {known})"
        ) from None
    with_ = item.get("with")
    if with_ is None:
        with_ = {}
    if not isinstance(with_, dict):
        raise src.error(f"{where}.with", "must be a mapping")
    fan_out = parse_fan_out(item, where, step_type.name, src)
    if fan_out.for_each is not None:
        _check_templates(fan_out.for_each, f"{where}.forEach", src, names)
        names.per_item = True
    _check_templates(with_, f"{where}.with", src, names)
    names.per_item = False
    condition = item.get("if")
    if condition is not None:
        condition = _condition(condition, f"{where}.if", src, names)
    spec = StepSpec(
        name=name,
        type=step_type.name,
        with_=with_,
        if_=condition,
        retry=_retry(item.get("retry"), f"{where}.retry", src),
        timeout_seconds=_timeout(item.get("timeout_seconds"), f"{where}.timeout_seconds", src),
        line=src.line(where),
        for_each=fan_out.for_each,
        max_parallel=fan_out.max_parallel,
        on_item_failure=fan_out.on_item_failure,
    )
    problems = step_type.validate(spec)
    check_code = getattr(step_type, "check_code", None)  # imports user code: files only
    if not problems and code_dir is not None and check_code is not None:
        problems = check_code(spec, code_dir)
    for field, message in problems:
        raise src.error(f"{where}.with.{field}" if field else f"{where}.with", message)
    return spec


def _condition(value: Any, where: str, src: Source, names: _Names) -> str:
    # YAML reads `if: true` as a bool; as Liquid it is the literal `true`.
    text = str(value).lower() if isinstance(value, bool) else value
    if not isinstance(text, str):
        raise src.error(where, "must be a Liquid condition such as `steps.a.output.n > 1`")
    problem = check_condition(text)
    if problem:
        raise src.error(where, f"bad condition: {problem}")
    _check_references(condition_references(text), where, src, names)
    return text


def _retry(raw: Any, where: str, src: Source) -> RetryPolicy:
    if raw is None:
        return RetryPolicy()
    if not isinstance(raw, dict):
        raise src.error(where, "must be a mapping such as {max_attempts: 3, backoff_seconds: 1}")
    for key in raw:
        if key not in RETRY_KEYS:
            allowed = ", ".join(sorted(RETRY_KEYS))
            raise src.error(f"{where}.{key}", f"unknown key (allowed: {allowed})")
    defaults = RetryPolicy()
    attempts = raw.get("max_attempts", defaults.max_attempts)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise src.error(f"{where}.max_attempts", "must be an integer of at least 1")
    numbers: dict[str, float] = {}
    for key in ("backoff_seconds", "backoff_factor", "max_backoff_seconds"):
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise src.error(f"{where}.{key}", "must be a number ≥ 0")
        numbers[key] = float(value)
    jitter = raw.get("jitter", defaults.jitter)
    if not isinstance(jitter, bool):
        raise src.error(f"{where}.jitter", "must be true or false")
    return RetryPolicy(max_attempts=attempts, jitter=jitter, **numbers)


def _check_templates(tree: Any, where: str, src: Source, names: _Names) -> None:
    if isinstance(tree, str):
        problem = check_template(tree)
        if problem:
            raise src.error(where, f"bad template: {problem}")
        _check_references(template_references(tree), where, src, names)
    elif isinstance(tree, dict):
        for key, value in tree.items():
            _check_templates(value, f"{where}.{key}", src, names)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            _check_templates(value, f"{where}[{index}]", src, names)


def _check_references(paths: list[tuple[str, ...]], where: str, src: Source, names: _Names) -> None:
    for path in paths:
        root, key = path[0] if path else "", path[1] if len(path) > 1 else None
        if root == "steps" and key is not None and key not in names.earlier:
            if key == names.own:
                problem = f"step {key!r} cannot read its own output"
            elif key in names.all_steps:
                problem = f"refers to step {key!r}, which runs later (not an earlier step)"
            else:
                problem = f"refers to unknown step {key!r} (not an earlier step)"
            raise src.error(where, problem)
        if root == "input" and key is not None and key not in names.inputs:
            declared = ", ".join(sorted(names.inputs)) or "none"
            raise src.error(where, f"unknown input {key!r} (declared: {declared})")
        if root == "run" and key is not None and key not in RUN_FIELDS:
            raise src.error(where, f"unknown run field {key!r} (run has id, workflow, attempt)")
        if root in ITEM_NAMES and not names.per_item:
            raise src.error(where, f"{root!r} is only known in the with: of a step with forEach")
        if root and root not in ("steps", "input", "run", *ITEM_NAMES):
            raise src.error(
                where, f"unknown variable {root!r} (templates can read input, steps and run)"
            )
