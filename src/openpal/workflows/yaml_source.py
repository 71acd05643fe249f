"""YAML text → plain data plus the line of every field, so load errors can point at it.

The text is composed into PyYAML's node tree once; the tree gives each field
path (`steps[2].with.function`) its line, and is then constructed into plain
Python data. Duplicate keys are refused here: PyYAML would silently keep the
last one, hiding a mistake.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from openpal.errors import WorkflowLoadError

_LAST_PART = re.compile(r"(\.[^.\[]+|\[\d+\])$")
# Aliases (`*a`) repeat the node they name: a few hundred bytes of nested aliases expand
# to billions of nodes. A workflow is refused past this many nodes once expanded, well
# above what a megabyte of YAML without aliases holds.
MAX_EXPANDED_NODES = 1_000_000


class Source:
    """One workflow file's data and line map; makes errors that say file, field and line."""

    def __init__(self, file: str, data: Any, lines: dict[str, int], raw: dict[str, str]) -> None:
        self.file = file
        self.data = data
        self.lines = lines
        # scalars as written, for values YAML would mangle (`version: 1.10` is 1.1)
        self.raw = raw

    def line(self, field: str) -> int | None:
        """The line of `field`, or of its nearest ancestor that has one."""
        probe = field
        while True:
            if probe in self.lines:
                return self.lines[probe]
            shorter = _LAST_PART.sub("", probe)
            if shorter == probe:
                return None
            probe = shorter

    def error(self, field: str, message: str) -> WorkflowLoadError:
        """A load error about `field` (raise it)."""
        return WorkflowLoadError(self.file, field, message, line=self.line(field))


def parse_yaml(text: str, file: str) -> Source:
    """Parse one YAML document; a syntax error becomes a `WorkflowLoadError` with its line."""
    try:
        loader = yaml.SafeLoader(text)  # refuses control characters before any parsing
    except yaml.YAMLError as exc:
        raise WorkflowLoadError(file, "<root>", f"invalid YAML: {exc}") from None
    try:
        node = loader.get_single_node()
        lines: dict[str, int] = {}
        raw: dict[str, str] = {}
        if node is not None:
            _check_expansion(node, file)
            _map_lines(node, "", lines, raw, file)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise WorkflowLoadError(
            file,
            "<root>",
            f"invalid YAML: {exc.problem or exc.context or exc}",
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise WorkflowLoadError(file, "<root>", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise WorkflowLoadError(file, "<root>", "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return Source(file, data, lines, raw)


def _map_lines(
    node: yaml.Node, path: str, out: dict[str, int], raw: dict[str, str], file: str
) -> None:
    out.setdefault(path or "<root>", node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        raw[path] = node.value
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag.endswith(":merge"):
                continue  # `<<:` merge keys and complex keys have no field path
            line = key.start_mark.line + 1
            child = f"{path}.{key.value}" if path else str(key.value)
            if key.value in seen:
                raise WorkflowLoadError(
                    file, child, f"duplicate key (first on line {seen[key.value]})", line=line
                )
            seen[key.value] = line
            out[child] = line
            _map_lines(value, child, out, raw, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(item, f"{path}[{index}]", out, raw, file)


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a document whose aliases expand past `MAX_EXPANDED_NODES` nodes, or refer
    to themselves; each distinct node is counted once (memoised), so this is cheap."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise WorkflowLoadError(file, "<root>", "invalid YAML: an alias refers to itself")
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        open_nodes.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise WorkflowLoadError(
                file,
                "<root>",
                f"invalid YAML: over {MAX_EXPANDED_NODES:,} values once its aliases are expanded",
                line=node.start_mark.line + 1,
            )
        sizes[key] = total
        return total

    size(root)
