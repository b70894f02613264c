"""Safe YAML loading that keeps line numbers (ruamel.yaml round-trip nodes).

The round-trip loader builds only plain mappings, sequences and scalars (no Python
objects); every mapping and sequence remembers the line of each key / item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from fitcheck.errors import InputError, Location


def load_yaml(path: Path) -> Any:
    """Parse ``path``; malformed YAML becomes an InputError with the line."""
    text = read_text(path)
    if not text.strip():
        raise InputError("the file is empty", Location(str(path)))
    yaml = YAML(typ="rt", pure=True)
    try:
        return yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", Location(str(path), line)) from None
    except YAMLError as err:
        raise InputError(f"malformed YAML: {err}", Location(str(path))) from None


def read_text(path: Path) -> str:
    if not path.exists():
        raise InputError("no such file", Location(str(path)))
    if path.is_dir():
        raise InputError("is a folder, expected a file", Location(str(path)))
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start})", Location(str(path))) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", Location(str(path))) from None


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
