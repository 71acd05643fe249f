"""`python` steps of a workflow file are checked at load: the callable imports from the
file's folder and takes the step's arguments; each problem names file, line and field."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from openpal.errors import WorkflowLoadError
from openpal.workflows.loader import load_workflow_dir, load_workflow_file, load_workflow_text

TEST_WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"

FLOW = """name: checked
steps:
  - name: first
    type: transform.set
    with: {{x: 1}}
  - name: call
    type: python
    with:
      function: "{function}"
      args:
{args}
"""

MODULE = """
def greet(name, greeting="hello"):
    return f"{greeting} {name}"

def with_ctx(ctx, note):
    return note

def anything(**kwargs):
    return kwargs

NOT_CALLABLE = 3
"""


def _flow(function: str, args: dict[str, str]) -> str:
    body = "".join(f"        {key}: {value!r}\n" for key, value in args.items())
    if not args:
        return FLOW.format(function=function, args="").replace("      args:\n", "")
    return FLOW.format(function=function, args=body)


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, str]:
    """A workflows folder with a step module of a name no other test uses."""
    module = f"h18_steps_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(MODULE)
    return tmp_path, module


def _load_error(path: Path, text: str) -> WorkflowLoadError:
    path.write_text(text)
    with pytest.raises(WorkflowLoadError) as caught:
        load_workflow_file(path)
    return caught.value


@pytest.mark.parametrize(
    ("function", "args", "field", "line", "words"),
    [
        ("nosuchmod:fn", {}, "steps[1].with.function", 9, "cannot import 'nosuchmod'"),
        ("{mod}:missing", {}, "steps[1].with.function", 9, "no attribute 'missing'"),
        ("{mod}:NOT_CALLABLE", {}, "steps[1].with.function", 9, "not callable"),
        ("{mod}:greet", {"nmae": "x"}, "steps[1].with.args.nmae", 11, "no parameter 'nmae'"),
        ("{mod}:greet", {"greeting": "hi"}, "steps[1].with.args", 10, "requires name"),
        ("{mod}:with_ctx", {}, "steps[1].with.args", 8, "requires note"),  # the line of with:
    ],
)
def test_a_bad_python_step_is_a_load_error_naming_file_line_and_field(
    folder: tuple[Path, str], function: str, args: dict[str, str], field: str, line: int, words: str
) -> None:
    tmp, module = folder
    path = tmp / "checked.yaml"
    error = _load_error(path, _flow(function.format(mod=module), args))
    assert (error.file, error.field, error.line) == (str(path.resolve()), field, line)
    assert words in error.detail
    assert f"{path.resolve()}:{line}: {field}:" in str(error)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("{mod}:greet", {"name": "x"}),
        ("{mod}:greet", {"name": "x", "greeting": "hi"}),
        ("{mod}:with_ctx", {"note": "n"}),  # ctx is given by the step, not by args
        ("{mod}:anything", {"whatever": "1", "else": "2"}),  # **kwargs takes any name
    ],
)
def test_good_python_steps_load(
    folder: tuple[Path, str], function: str, args: dict[str, str]
) -> None:
    tmp, module = folder
    path = tmp / "checked.yaml"
    path.write_text(_flow(function.format(mod=module), args))
    assert load_workflow_file(path).steps[1].type == "python"


def test_a_missing_function_of_the_test_module_is_a_load_error(tmp_path: Path) -> None:
    text = _flow("wf_steps:missing", {})
    with pytest.raises(WorkflowLoadError) as caught:
        load_workflow_text(
            text, source_path="/w/checked.yaml", base_dir=str(TEST_WORKFLOWS), check_code=True
        )
    assert (caught.value.field, caught.value.line) == ("steps[1].with.function", 9)
    assert "missing" in caught.value.detail


def test_a_module_that_raises_on_import_is_a_load_error(tmp_path: Path) -> None:
    module = f"h18_broken_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text("raise RuntimeError('top-level boom')\n")
    error = _load_error(tmp_path / "checked.yaml", _flow(f"{module}:f", {}))
    assert error.field == "steps[1].with.function" and "top-level boom" in error.detail


def test_text_without_a_folder_is_not_imported() -> None:
    """YAML sent over the API (no check_code) names code that is never imported here."""
    wf = load_workflow_text(_flow("nosuchmod:fn", {}), source_path="<yaml>")
    assert wf.steps[1].with_["function"] == "nosuchmod:fn"


def test_the_test_and_example_workflows_still_load() -> None:
    assert len(load_workflow_dir(TEST_WORKFLOWS)) >= 20
