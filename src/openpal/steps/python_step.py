"""The `python` step type: call user code `module:callable` from the workflow's folder.

The workflow's folder is put on `sys.path` (once) and the callable is resolved
once per (folder, reference). A version sent over the API (not a file an operator
wrote) is *confined*: its callables must be defined in modules of the workflows
folder, so an API key cannot call `os:system` or `subprocess:run` on the server.
Sync callables run in a worker thread so a slow step never blocks the event loop;
async callables are awaited in place. The callable receives `with.args` as keyword
arguments, plus the `StepContext` as `ctx` when it declares a parameter of that name.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpal.steps.base import Problem, StepContext
from openpal.workflows.model import StepSpec

__all__ = ["PythonStep", "check_call", "confinement_problem", "import_from", "resolve"]

_REFERENCE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


@dataclass(frozen=True)
class _Target:
    func: Callable[..., Any]
    takes_ctx: bool
    is_async: bool


# Resolution imports user modules, which may run arbitrary code; one lock keeps
# sys.path edits and first imports from racing between worker threads.
_lock = threading.Lock()
_targets: dict[tuple[str | None, str, bool], _Target] = {}
CONFINED = "python steps of a version sent over the API may call only code in the workflows folder"


def resolve(reference: str, base_dir: str | None) -> Callable[..., Any]:
    """The callable named `module:attr` (attr may be dotted), importing from `base_dir`."""
    return _resolve(reference, base_dir, False).func


def _inside(path: str | None, base_dir: str) -> bool:
    if not path:
        return False
    try:
        return Path(path).resolve().is_relative_to(Path(base_dir).resolve())
    except (OSError, ValueError):
        return False


def confinement_problem(
    reference: str, base_dir: str | None, *, unknown_ok: bool = False
) -> str | None:
    """Why `reference` may not be called by a confined version (None: it may), judged
    without running any code: where its top-level module is (or would be) imported from.
    `unknown_ok`: a module found nowhere here passes (another process's workflows folder
    may have it; that process checks again before calling it)."""
    top = reference.partition(":")[0].split(".")[0]
    loaded = sys.modules.get(top)
    if loaded is not None:
        origin = getattr(loaded, "__file__", None)
    else:
        folder = Path(base_dir) if base_dir else None
        candidates = [folder / top / "__init__.py", folder / f"{top}.py"] if folder else []
        origin = next((str(c) for c in candidates if c.is_file()), None)
        if origin is None:
            try:
                spec = importlib.util.find_spec(top)  # a top-level name: runs no code
            except (ImportError, ValueError):
                spec = None
            if spec is None and unknown_ok:
                return None
            origin = spec.origin if spec is not None else None
    if base_dir is None or not _inside(origin, base_dir):
        return f"{CONFINED}: {top!r} is not a module of it ({reference})"
    return None


def _resolve(reference: str, base_dir: str | None, confined: bool) -> _Target:
    key = (base_dir, reference, confined)
    target = _targets.get(key)
    if target is not None:
        return target
    module_name, _, attr_path = reference.partition(":")
    if not module_name or not attr_path:
        raise ValueError(f"{reference!r} is not of the form module:callable")
    with _lock:
        target = _targets.get(key)
        if target is not None:
            return target
        if confined and (why := confinement_problem(reference, base_dir)):
            raise PermissionError(why)
        if base_dir and base_dir not in sys.path:
            sys.path.insert(0, base_dir)
        obj: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            obj = getattr(obj, part)
        if not callable(obj):
            raise TypeError(f"{reference} is not callable")
        if confined:  # reached through the module, but defined elsewhere (`mod:os.system`)
            home = inspect.getmodule(obj)
            assert base_dir is not None
            if home is None or not _inside(getattr(home, "__file__", None), base_dir):
                raise PermissionError(f"{CONFINED}: {reference} is defined outside it")
        target = _Target(obj, _takes_ctx(obj), _is_async(obj))
        _targets[key] = target
    return target


def import_from(module_name: str, base_dir: str) -> Any:
    """Import `module_name` with `base_dir` on the import path (as `python` steps do)."""
    with _lock:
        if base_dir not in sys.path:
            sys.path.insert(0, base_dir)
        return importlib.import_module(module_name)


def check_call(reference: str, args: Any, base_dir: str) -> list[Problem]:
    """Why calling `reference` with the names of `args` would fail (at load time).

    Imports the module as a run would (`base_dir` on `sys.path`, the same cache),
    so its top-level code runs here: only for files an operator put in a workflows
    folder, never for versions sent over the API."""
    try:
        target = _resolve(reference, base_dir, False)
    except Exception as exc:  # user code: any error is a load error naming the step
        module = reference.partition(":")[0]
        if isinstance(exc, ModuleNotFoundError) and exc.name == module.split(".")[0]:
            return [("function", f"cannot import {module!r} from {base_dir}: {exc}")]
        if isinstance(exc, AttributeError):
            return [("function", f"{reference}: {exc}")]
        return [("function", f"{reference}: {type(exc).__name__}: {exc}")]
    names = [str(name) for name in args] if isinstance(args, dict) else []
    try:
        params = inspect.signature(target.func).parameters
    except (TypeError, ValueError):  # some builtins have no signature: nothing to check
        return []
    problems: list[Problem] = []
    kinds = inspect.Parameter
    by_keyword = {
        n: p
        for n, p in params.items()
        if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
    }
    if not any(p.kind == kinds.VAR_KEYWORD for p in params.values()):
        accepted = ", ".join(n for n in by_keyword if n != "ctx") or "none"
        problems += [
            (f"args.{name}", f"{reference} has no parameter {name!r} (it takes: {accepted})")
            for name in names
            if name not in by_keyword
        ]
    missing = [
        n
        for n, p in params.items()
        if p.default is kinds.empty
        and p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
        and n not in names
        and not (n == "ctx" and target.takes_ctx)
    ]
    if missing:
        listed = ", ".join(missing)
        problems.append(("args", f"{reference} requires {listed}, not given in args"))
    return problems


def _takes_ctx(func: Callable[..., Any]) -> bool:
    try:
        return "ctx" in inspect.signature(func).parameters
    except (TypeError, ValueError):  # some builtins have no signature
        return False


def _is_async(func: Callable[..., Any]) -> bool:
    call = getattr(func, "__call__", None)  # noqa: B004 - async callable instances
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(call)


class PythonStep:
    """`python`: the output is what `with.function` returns when called with `with.args`."""

    name = "python"

    def validate(self, step: StepSpec) -> list[Problem]:
        # The module is not imported here (see `check_code`): a version sent over
        # the API is validated too, and must not run arbitrary modules' code.
        cfg = step.with_
        problems: list[Problem] = []
        extra = sorted(str(key) for key in cfg if key not in ("function", "args"))
        problems += [(key, "unknown key (python steps take function and args)") for key in extra]
        function = cfg.get("function")
        if function is None or function == "":
            problems.insert(0, ("function", "required: module:callable, e.g. my_steps:extract"))
        elif not isinstance(function, str) or not _REFERENCE.match(function):
            problems.insert(0, ("function", f"{function!r} is not of the form module:callable"))
        args = cfg.get("args")
        if args is None:
            return problems
        if not isinstance(args, dict):
            problems.append(("args", "must be a mapping of argument name → value"))
            return problems
        for arg in args:
            if not isinstance(arg, str) or not _IDENTIFIER.match(arg):
                problems.append((f"args.{arg}", "not a valid Python argument name"))
            elif arg == "ctx":
                problems.append(("args.ctx", "ctx is reserved for the step context"))
        return problems

    def check_code(self, step: StepSpec, base_dir: str) -> list[Problem]:
        """For a workflow file in `base_dir`: the callable imports and takes the args."""
        function = step.with_.get("function")
        if not isinstance(function, str):
            return []
        return check_call(function, step.with_.get("args"), base_dir)

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        reference = str(config["function"])
        target = _targets.get((ctx.base_dir, reference, ctx.confined))
        if target is None:  # first call: importing may be slow, keep it off the loop
            target = await asyncio.to_thread(_resolve, reference, ctx.base_dir, ctx.confined)
        kwargs = dict(config.get("args") or {})
        if target.takes_ctx:
            kwargs["ctx"] = ctx
        if target.is_async:
            return await target.func(**kwargs)
        result = await asyncio.to_thread(target.func, **kwargs)
        if inspect.isawaitable(result):  # a sync function that returned a coroutine
            return await result
        return result
