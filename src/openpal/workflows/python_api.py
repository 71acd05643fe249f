"""Workflows written in Python: a `Workflow` object and a `@wf.step` decorator.

    # workflows/scoring.py
    from openpal.workflows import Retry, Workflow

    scoring = Workflow("score", version="1.0.0", inputs={"total": "number", "lines": "array"})

    @scoring.step(retry=Retry(max_attempts=3, backoff_seconds=1), timeout_seconds=30)
    def fetch(total: float) -> dict:            # `total` is bound to {{ input.total }}
        return {"total": total}

    @scoring.step(if_="steps.fetch.output.total > 100")
    def grade(fetch: dict, ctx) -> dict:        # `fetch` is bound to {{ steps.fetch.output }}
        return {"grade": "A" if fetch["total"] > 500 else "B"}

    @scoring.step(for_each="{{ input.lines }}", max_parallel=8, on_item_failure="collect")
    def price(item: dict, item_index: int) -> dict:   # once per element (docs/fanout.md)
        return {"line": item_index, "net": item["qty"] * item["unit"]}

A `Workflow` compiles to the same YAML a person would write (`to_yaml()`): each
step is a `python` step calling `module:function`, so the server stores, versions
and runs it exactly like a YAML workflow. A `.py` file in a workflows folder that
creates `Workflow` objects at module level is loaded with the folder's YAML files;
the generated YAML carries the hash of the module's source, so a code change is a
new version.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from openpal.errors import WorkflowLoadError
from openpal.workflows.model import ITEM_NAMES, WorkflowDef
from openpal.workflows.model import RetryPolicy as Retry

__all__ = ["Retry", "Workflow", "load_python_workflows"]

F = TypeVar("F", bound=Callable[..., Any])


class Workflow:
    """A workflow defined in Python; `@wf.step` adds steps in the order they are defined."""

    def __init__(
        self,
        name: str,
        *,
        version: str | None = None,
        title: str | None = None,
        description: str | None = None,
        inputs: Mapping[str, str | Mapping[str, Any]] | None = None,
        output: Any = None,
        timeout_seconds: float | None = None,
        concurrency: Mapping[str, Any] | None = None,
        triggers: Any = None,
    ) -> None:
        self.name = name
        self.version = version
        self.title = title
        self.description = description
        self.inputs = {
            key: ({"type": spec} if isinstance(spec, str) else dict(spec))
            for key, spec in (inputs or {}).items()
        }
        self.output = output
        self.timeout_seconds = timeout_seconds
        self.concurrency = dict(concurrency) if concurrency else None
        self.triggers = triggers  # {cron, timezone, input} or a list of such (as in YAML)
        self._steps: list[dict[str, Any]] = []

    def step(
        self,
        fn: F | None = None,
        *,
        name: str | None = None,
        if_: str | None = None,
        retry: Retry | None = None,
        timeout_seconds: float | None = None,
        args: Mapping[str, Any] | None = None,
        for_each: str | Sequence[Any] | None = None,
        max_parallel: int | None = None,
        on_item_failure: str | None = None,
    ) -> Any:
        """Add `fn` as the next step. Its parameters are bound by name: an input, an
        earlier step's output, or `ctx`; `args={...}` gives any value or template.

        `for_each` (a template giving a list, or a list) runs the step once per element,
        `max_parallel` at once, as YAML's `forEach` does; there `item` and `item_index`
        parameters are bound to the element and its position."""

        def add(func: F) -> F:
            step = self._compile_step(func, name, if_, retry, timeout_seconds, args, for_each)
            step.update(_fan_out_keys(max_parallel, on_item_failure))
            self._steps.append(step)
            return func

        return add(fn) if fn is not None else add

    def _compile_step(
        self,
        func: Callable[..., Any],
        name: str | None,
        if_: str | None,
        retry: Retry | None,
        timeout_seconds: float | None,
        args: Mapping[str, Any] | None,
        for_each: Any,
    ) -> dict[str, Any]:
        step_name = name or func.__name__
        if func.__module__ == "__main__" or "<locals>" in func.__qualname__:
            raise TypeError(
                f"step {step_name!r}: {func.__qualname__} must be a module-level function of an"
                " importable module (workers import it by name)"
            )
        earlier = {s["name"] for s in self._steps}
        bound: dict[str, Any] = dict(args or {})
        for param in inspect.signature(func).parameters.values():
            if param.name == "ctx" or param.name in bound:
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if for_each is not None and param.name in ITEM_NAMES:
                bound[param.name] = f"{{{{ {param.name} }}}}"
            elif param.name in self.inputs:
                bound[param.name] = f"{{{{ input.{param.name} }}}}"
            elif param.name in earlier:
                bound[param.name] = f"{{{{ steps.{param.name}.output }}}}"
            elif param.default is inspect.Parameter.empty:
                raise TypeError(
                    f"step {step_name!r}: parameter {param.name!r} is neither an input"
                    f" ({', '.join(self.inputs) or 'none'}) nor an earlier step"
                    f" ({', '.join(sorted(earlier)) or 'none'}); pass args={{...}}"
                )
        step: dict[str, Any] = {"name": step_name, "type": "python"}
        if for_each is not None:
            step["forEach"] = list(for_each) if isinstance(for_each, list | tuple) else for_each
        if if_ is not None:
            step["if"] = if_
        step["with"] = {"function": f"{func.__module__}:{func.__qualname__}", "args": bound}
        if retry is not None:
            step["retry"] = {
                "max_attempts": retry.max_attempts,
                "backoff_seconds": retry.backoff_seconds,
                "backoff_factor": retry.backoff_factor,
                "max_backoff_seconds": retry.max_backoff_seconds,
                "jitter": retry.jitter,
            }
        if timeout_seconds is not None:
            step["timeout_seconds"] = timeout_seconds
        return step

    def to_yaml(self, *, header: str = "") -> str:
        """The workflow as YAML, exactly as the loader reads it."""
        doc: dict[str, Any] = {"name": self.name}
        for key in ("title", "version", "description"):
            if getattr(self, key) is not None:
                doc[key] = getattr(self, key)
        if self.inputs:
            doc["inputs"] = [{"name": key, **spec} for key, spec in self.inputs.items()]
        if self.timeout_seconds is not None:
            doc["timeout_seconds"] = self.timeout_seconds
        if self.concurrency:
            doc["concurrency"] = self.concurrency
        if self.triggers:
            doc["triggers"] = self.triggers
        doc["steps"] = self._steps
        output = self.output
        if output is None and self._steps:
            output = f"{{{{ steps.{self._steps[-1]['name']}.output }}}}"
        if output is not None:
            doc["output"] = output
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
        return header + body

    def compile(
        self, *, source_path: str | None = None, base_dir: str | None = None
    ) -> WorkflowDef:
        """Check and compile, as the server will (raises `WorkflowLoadError`)."""
        from openpal.workflows.loader import load_workflow_text

        return load_workflow_text(self.to_yaml(), source_path=source_path, base_dir=base_dir)


def _fan_out_keys(max_parallel: int | None, on_item_failure: str | None) -> dict[str, Any]:
    """`max_parallel` / `on_item_failure` as YAML keys; written even without `for_each`,
    so the loader refuses them as it does in YAML."""
    keys: dict[str, Any] = {}
    if max_parallel is not None:
        keys["max_parallel"] = max_parallel
    if on_item_failure is not None:
        keys["on_item_failure"] = on_item_failure
    return keys


def load_python_workflows(path: Path) -> list[WorkflowDef]:
    """The `Workflow` objects a `.py` file of a workflows folder defines, compiled."""
    from openpal.steps.python_step import import_from
    from openpal.workflows.loader import load_workflow_text

    source = path.read_bytes()
    try:
        module = import_from(path.stem, str(path.parent))
    except Exception as exc:  # user code: any error is a load error naming the file
        raise WorkflowLoadError(str(path), "<root>", f"cannot import: {exc!r}") from exc
    if Path(getattr(module, "__file__", "") or "").resolve() != path.resolve():
        raise WorkflowLoadError(
            str(path), "<root>", f"module name {path.stem!r} is taken by another module"
        )
    header = f"# generated from {path.name} (source sha256 {hashlib.sha256(source).hexdigest()})\n"
    found = [v for v in vars(module).values() if isinstance(v, Workflow)]
    return [
        load_workflow_text(
            wf.to_yaml(header=header),
            source_path=str(path),
            base_dir=str(path.parent),
            check_code=True,
        )
        for wf in found
    ]
