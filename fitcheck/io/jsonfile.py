"""JSON input files read with limits: size, nesting depth, finite numbers, bounded integers,
no key given twice. Any breach is one :class:`~fitcheck.errors.InputError` line."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from fitcheck.errors import InputError, Location, shown
from fitcheck.io.limits import MAX_DEPTH, MAX_INT_DIGITS, MAX_JSON_BYTES, decode_text, read_bytes

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def load_json(path: str | Path, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse ``path`` as JSON within the limits; the value, or an InputError naming the file."""
    path = Path(path)
    file = str(path)
    text = decode_text(read_bytes(path, max_bytes), path)
    if not text.strip():
        raise InputError("the file is empty", Location(file))
    _check_depth(text, file)

    def constant(name: str) -> Any:
        raise InputError(f"{name} is not allowed; numbers must be finite", Location(file))

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise InputError(f"{shown(literal)} is not a finite number", Location(file))
        return value

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            raise InputError(
                f"a number with {len(literal.lstrip('-'))} digits; at most {MAX_INT_DIGITS} allowed",
                Location(file),
            )
        return int(literal)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise InputError(f"the key {shown(k)} appears twice in one object", Location(file))
            out[k] = v
        return out

    try:
        return json.loads(
            text,
            parse_constant=constant,
            parse_float=number,
            parse_int=integer,
            object_pairs_hook=no_duplicates,
        )
    except json.JSONDecodeError as err:
        raise InputError(f"malformed JSON: {err.msg}", Location(file, err.lineno)) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise InputError(f"nested more than {MAX_DEPTH} levels deep", Location(file)) from None


def _check_depth(text: str, file: str) -> None:
    """Deepest nesting of [ and { outside strings, counted on the whole text at once."""
    bare = _STRING.sub("", text).encode("utf-8", "replace")
    b = np.frombuffer(bare, dtype=np.uint8)
    step = ((b == ord("[")) | (b == ord("{"))).astype(np.int32) - ((b == ord("]")) | (b == ord("}")))
    if not len(step):
        return
    depth = np.cumsum(step)
    deepest = int(depth.max())
    if deepest > MAX_DEPTH:
        raise InputError(f"nested more than {MAX_DEPTH} levels deep", Location(file))
