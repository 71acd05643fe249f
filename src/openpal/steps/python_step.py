"""The `python` step type: call `module:callable` from the workflow's folder."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import threading
from collections.abc import Callable
from typing import Any

from openpal.steps.base import Problem, StepContext
from openpal.workflows.model import StepSpec

_lock = threading.Lock()
_cache: dict[tuple[str | None, str], tuple[Callable[..., Any], bool]] = {}


def resolve(ref: str, base_dir: str | None) -> tuple[Callable[..., Any], bool]:
    """The callable named by `module:callable` and whether it takes `ctx`."""
    key = (base_dir, ref)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    module_name, _, attr = ref.partition(":")
    with _lock:
        if base_dir and base_dir not in sys.path:
            sys.path.insert(0, base_dir)
        module = importlib.import_module(module_name)
    func = module
    for part in attr.split("."):
        func = getattr(func, part)
    if not callable(func):
        raise TypeError(f"{ref} is not callable")
    takes_ctx = "ctx" in inspect.signature(func).parameters
    _cache[key] = (func, takes_ctx)
    return func, takes_ctx


class PythonStep:
    """Output = the callable's return value; sync callables run in a thread."""

    name = "python"

    def validate(self, step: StepSpec) -> list[Problem]:
        function = step.with_.get("function")
        if not isinstance(function, str) or not function:
            return [("function", "required: module:callable")]
        module, sep, attr = function.partition(":")
        if not sep or not module or not attr:
            return [("function", f"{function!r} is not of the form module:callable")]
        args = step.with_.get("args", {})
        if not isinstance(args, dict):
            return [("args", "must be a mapping of argument name → value")]
        extra = set(step.with_) - {"function", "args"}
        if extra:
            return [(sorted(extra)[0], "unknown key (python steps take function and args)")]
        return []

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        func, takes_ctx = resolve(str(config["function"]), ctx.base_dir)
        kwargs = dict(config.get("args") or {})
        if takes_ctx:
            kwargs["ctx"] = ctx
        if inspect.iscoroutinefunction(func):
            return await func(**kwargs)
        result = await asyncio.to_thread(func, **kwargs)
        if inspect.isawaitable(result):
            return await result
        return result
