"""Safe YAML loading that keeps line numbers (ruamel.yaml round-trip nodes).

The round-trip loader builds only plain mappings, sequences and scalars (no Python
objects); every mapping and sequence remembers the line of each key / item.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.parser import RoundTripParser

from fitcheck.errors import InputError, Location
from fitcheck.io.limits import (
    MAX_ANALYSIS_JSON_BYTES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_YAML_BYTES,
    MAX_YAML_VALUES,
    decode_text,
    read_bytes,
)


def load_yaml(path: Path, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse ``path``; malformed or oversized YAML becomes an InputError with the line.

    Every parser event is checked as the composer takes it (nesting depth, integer digits,
    and the size of the document with every alias expanded), and the whole document is
    composed before anything is constructed; so an alias bomb or a list nested thousands
    deep is refused after one linear pass over its text, before it costs memory or a crash.
    """
    hint = " for YAML; write a larger inventory as CSV or Parquet" if max_bytes == MAX_YAML_BYTES else ""
    text = decode_text(read_bytes(Path(path), max_bytes, hint), Path(path))
    if not text.strip():
        raise InputError("the file is empty", Location(str(path)))
    budget = _Budget(str(path))

    class CheckedParser(RoundTripParser):
        def get_event(self) -> Any:
            event = super().get_event()
            budget.see(event)
            return event

    yaml = YAML(typ="rt", pure=True)
    yaml.Parser = CheckedParser
    try:
        return yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", Location(str(path), line)) from None
    except YAMLError as err:
        raise InputError(f"malformed YAML: {err}", Location(str(path))) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise InputError(f"nested more than {MAX_DEPTH} levels deep", Location(str(path))) from None


_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|[0-9_]+)")


class _Budget:
    """Depth, integer digits and the alias-expanded size, from the parser's events alone."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.open_sizes: list[int] = []  # expanded size of each open collection
        self.open_anchors: list[str | None] = []
        self.anchors: dict[str, int] = {}  # anchor -> expanded size of its node
        self.total = 0

    def see(self, ev: Any) -> None:
        size = 0
        if isinstance(ev, MappingStartEvent | SequenceStartEvent):
            if len(self.open_sizes) >= MAX_DEPTH:
                raise self._error(f"nested more than {MAX_DEPTH} levels deep", ev)
            self.open_sizes.append(1)
            self.open_anchors.append(ev.anchor)
            self.total += 1
        elif isinstance(ev, MappingEndEvent | SequenceEndEvent):
            done = self.open_sizes.pop()
            anchor = self.open_anchors.pop()
            if anchor is not None:
                self.anchors[anchor] = done
            size = done
        elif isinstance(ev, ScalarEvent):
            value = ev.value
            if ev.style is None and len(value) > MAX_INT_DIGITS and _INT.fullmatch(value):
                digits = sum(ch.isalnum() for ch in value)
                raise self._error(f"a number with {digits} digits; at most {MAX_INT_DIGITS} allowed", ev)
            if ev.anchor is not None:
                self.anchors[ev.anchor] = 1
            size = 1
            self.total += 1
        elif isinstance(ev, AliasEvent):
            if ev.anchor in self.open_anchors:
                raise self._error(f"alias *{ev.anchor} refers to a node that contains it (a cycle)", ev)
            size = self.anchors.get(ev.anchor, 1)  # an undefined alias is reported by the composer
            self.total += size
        if size and self.open_sizes:
            self.open_sizes[-1] += size
        if self.total > MAX_YAML_VALUES:
            raise self._error(
                f"more than {MAX_YAML_VALUES:,} keys and values (aliases counted expanded); "
                "write a larger inventory as CSV or Parquet",
                ev,
            )

    def _error(self, problem: str, ev: Any) -> InputError:
        mark = getattr(ev, "start_mark", None)
        return InputError(problem, Location(self.file, mark.line + 1 if mark is not None else None))


def read_text(path: Path, max_bytes: int = MAX_ANALYSIS_JSON_BYTES) -> str:
    """A regular UTF-8 text file of at most ``max_bytes`` (BOM dropped, NUL refused)."""
    return decode_text(read_bytes(Path(path), max_bytes), Path(path))


def key_line(node: Any, key: Any) -> int | None:
    """1-based line of ``key`` in a round-trip mapping or of item ``key`` in a sequence."""
    try:
        if isinstance(key, int):
            return int(node.lc.item(key)[0]) + 1
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return node_line(node)


def node_line(node: Any) -> int | None:
    try:
        return int(node.lc.line) + 1
    except AttributeError:
        return None


def plain(node: Any) -> Any:
    """Round-trip containers to plain dict / list / scalars."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if hasattr(node, "value") and type(node).__name__ == "TaggedScalar":
        return str(node.value)
    return node
