"""Workflow YAML → `WorkflowDef`, with errors that name the file, the field and the line."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from openpal.errors import WorkflowLoadError
from openpal.steps.registry import get_step_type, step_type_names
from openpal.workflows.model import INPUT_TYPES, InputSpec, RetryPolicy, StepSpec, WorkflowDef
from openpal.workflows.templates import check_condition, check_template

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_STEP_REF = re.compile(r"\bsteps\.([A-Za-z0-9_-]+)")
TOP_KEYS = {
    "name",
    "title",
    "version",
    "description",
    "inputs",
    "steps",
    "output",
    "timeout_seconds",
    "kind",
    "enabled",
    "triggerMethods",
    "settings",
    "defaultModel",
    "output_schema",
}
STEP_KEYS = {"name", "type", "with", "if", "retry", "timeout_seconds", "description"}
INPUT_KEYS = {"name", "type", "required", "default", "description", "items", "file"}
RETRY_KEYS = {"max_attempts", "backoff_seconds", "backoff_factor", "max_backoff_seconds", "jitter"}


def _lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, f"{path}[{i}]", out)


class _Ctx:
    def __init__(self, file: str, lines: dict[str, int]) -> None:
        self.file, self.lines = file, lines

    def fail(self, field: str, message: str) -> WorkflowLoadError:
        line = self.lines.get(field)
        probe = field
        while line is None and ("." in probe or "[" in probe):
            probe = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", probe)
            line = self.lines.get(probe)
        return WorkflowLoadError(self.file, field, message, line=line)


def load_workflow_file(path: Path) -> WorkflowDef:
    """Load one YAML file; the file's folder is where its `python` steps are imported from."""
    text = path.read_text(encoding="utf-8")
    return load_workflow_text(
        text, source_path=str(path.resolve()), base_dir=str(path.resolve().parent)
    )


def load_workflow_dir(folder: Path) -> list[WorkflowDef]:
    """Every `*.yaml` / `*.yml` of `folder`, sorted by file name; slugs must be unique."""
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    seen: dict[str, Path] = {}
    out = []
    for path in files:
        wf = load_workflow_file(path)
        if wf.slug in seen:
            raise WorkflowLoadError(
                str(path), "name", f"{wf.slug!r} is also the name of {seen[wf.slug]}"
            )
        seen[wf.slug] = path
        out.append(wf)
    return out


def load_workflow_text(
    text: str, *, source_path: str | None = None, base_dir: str | None = None
) -> WorkflowDef:
    """Parse and validate one workflow definition."""
    file = source_path or "<workflow>"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise WorkflowLoadError(
            file,
            "<root>",
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            line=mark.line + 1 if mark else None,
        ) from None
    lines: dict[str, int] = {}
    if node is not None:
        _lines(node, "", lines)
    ctx = _Ctx(file, lines)
    if not isinstance(data, dict):
        raise ctx.fail("<root>", "a workflow must be a mapping with name and steps")
    for key in data:
        if key not in TOP_KEYS:
            raise ctx.fail(str(key), f"unknown key (allowed: {', '.join(sorted(TOP_KEYS))})")
    slug = data.get("name")
    if not isinstance(slug, str) or not NAME.match(slug):
        raise ctx.fail(
            "name",
            "required: lower-case letters, digits, - and _ (starting with a letter or digit)",
        )
    inputs = _inputs(data.get("inputs") or [], ctx)
    steps = _steps(data.get("steps"), ctx)
    output = data.get("output")
    _check_templates(output, "output", ctx, {s.name for s in steps})
    timeout = data.get("timeout_seconds")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise ctx.fail("timeout_seconds", "must be a positive number of seconds")
    version = data.get("version")
    return WorkflowDef(
        slug=slug,
        steps=tuple(steps),
        inputs=tuple(inputs),
        output=output,
        version_label=None if version is None else str(version),
        description=data.get("description"),
        title=data.get("title"),
        timeout_seconds=None if timeout is None else float(timeout),
        source_text=text,
        source_path=source_path,
        base_dir=base_dir,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def _inputs(raw: Any, ctx: _Ctx) -> list[InputSpec]:
    if not isinstance(raw, list):
        raise ctx.fail("inputs", "must be a list")
    out: list[InputSpec] = []
    for i, item in enumerate(raw):
        where = f"inputs[{i}]"
        if not isinstance(item, dict):
            raise ctx.fail(where, "must be a mapping with name and type")
        for key in item:
            if key not in INPUT_KEYS:
                raise ctx.fail(f"{where}.{key}", "unknown key")
        name = item.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise ctx.fail(f"{where}.name", "required: lower-case letters, digits, - and _")
        if any(s.name == name for s in out):
            raise ctx.fail(f"{where}.name", f"duplicate input {name!r}")
        typ = "file" if item.get("file") is True else item.get("type", "string")
        if typ not in INPUT_TYPES:
            raise ctx.fail(f"{where}.type", f"{typ!r} is not one of {', '.join(INPUT_TYPES)}")
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise ctx.fail(f"{where}.required", "must be true or false")
        has_default = "default" in item
        out.append(
            InputSpec(
                name=name,
                type=typ,
                required=required and not has_default,
                default=item.get("default"),
                has_default=has_default,
                description=item.get("description"),
                items=item.get("items"),
            )
        )
    return out


def _steps(raw: Any, ctx: _Ctx) -> list[StepSpec]:
    if not isinstance(raw, list) or not raw:
        raise ctx.fail("steps", "required: a non-empty list of steps")
    out: list[StepSpec] = []
    for i, item in enumerate(raw):
        where = f"steps[{i}]"
        if not isinstance(item, dict):
            raise ctx.fail(where, "must be a mapping with name and type")
        if "forEach" in item:
            raise ctx.fail(f"{where}.forEach", "forEach is not supported yet")
        for key in item:
            if key not in STEP_KEYS:
                raise ctx.fail(f"{where}.{key}", "unknown key")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ctx.fail(f"{where}.name", "required")
        if any(s.name == name for s in out):
            raise ctx.fail(f"{where}.name", f"duplicate step name {name!r}")
        typ = item.get("type")
        try:
            step_type = get_step_type(str(typ))
        except KeyError:
            raise ctx.fail(
                f"{where}.type",
                f"unknown step type {typ!r} (known: {', '.join(step_type_names())})",
            ) from None
        with_ = item.get("with") or {}
        if not isinstance(with_, dict):
            raise ctx.fail(f"{where}.with", "must be a mapping")
        earlier = {s.name for s in out}
        _check_templates(with_, f"{where}.with", ctx, earlier)
        cond = item.get("if")
        if cond is not None:
            problem = check_condition(str(cond))
            if problem:
                raise ctx.fail(f"{where}.if", f"bad condition: {problem}")
            _check_refs(str(cond), f"{where}.if", ctx, earlier)
        timeout = item.get("timeout_seconds")
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise ctx.fail(f"{where}.timeout_seconds", "must be a positive number of seconds")
        spec = StepSpec(
            name=name,
            type=str(typ),
            with_=with_,
            if_=None if cond is None else str(cond),
            retry=_retry(item.get("retry"), f"{where}.retry", ctx),
            timeout_seconds=None if timeout is None else float(timeout),
            line=ctx.lines.get(where),
        )
        for field, message in step_type.validate(spec):
            raise ctx.fail(f"{where}.with.{field}", message)
        out.append(spec)
    return out


def _retry(raw: Any, where: str, ctx: _Ctx) -> RetryPolicy:
    if raw is None:
        return RetryPolicy()
    if not isinstance(raw, dict):
        raise ctx.fail(where, "must be a mapping")
    for key in raw:
        if key not in RETRY_KEYS:
            raise ctx.fail(
                f"{where}.{key}", f"unknown key (allowed: {', '.join(sorted(RETRY_KEYS))})"
            )
    attempts = raw.get("max_attempts", 1)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise ctx.fail(f"{where}.max_attempts", "must be an integer of at least 1")
    numbers = {}
    for key, default in (
        ("backoff_seconds", 1.0),
        ("backoff_factor", 2.0),
        ("max_backoff_seconds", 60.0),
    ):
        value = raw.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ctx.fail(f"{where}.{key}", "must be a number ≥ 0")
        numbers[key] = float(value)
    jitter = raw.get("jitter", True)
    if not isinstance(jitter, bool):
        raise ctx.fail(f"{where}.jitter", "must be true or false")
    return RetryPolicy(max_attempts=attempts, jitter=jitter, **numbers)


def _check_templates(tree: Any, where: str, ctx: _Ctx, earlier: set[str]) -> None:
    if isinstance(tree, str):
        problem = check_template(tree)
        if problem:
            raise ctx.fail(where, f"bad template: {problem}")
        _check_refs(tree, where, ctx, earlier)
    elif isinstance(tree, dict):
        for key, value in tree.items():
            _check_templates(value, f"{where}.{key}", ctx, earlier)
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            _check_templates(value, f"{where}[{i}]", ctx, earlier)


def _check_refs(text: str, where: str, ctx: _Ctx, earlier: set[str]) -> None:
    if "steps." not in text:
        return
    for name in _STEP_REF.findall(text):
        if name not in earlier:
            raise ctx.fail(where, f"refers to step {name!r}, which is not an earlier step")
