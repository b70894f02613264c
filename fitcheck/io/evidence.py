"""Read benchmark results files (``fitcheck bench``, local or on SageMaker) into evidence.

Each file is validated once, by the results model of the core
(:class:`fitcheck.core.benchresult.BenchResults`, ``model_validate_json``): a trimmed or
hand-edited file is an :class:`~fitcheck.errors.InputError` naming the file and the field.
A comparison becomes a measurement only when it carries an interval (see
:func:`~fitcheck.core.benchresult.usable_as_measurement`); the others (insufficient blocks, a
single pair of runs, a failed candidate) are returned apart, with why, so that ``analyze``
lists them among the unmatched results.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from fitcheck.core.analysis import EVIDENCE_COLUMNS
from fitcheck.core.benchresult import RESULTS_KIND, BenchResults, parity_ok, usable_as_measurement
from fitcheck.errors import InputError, Location
from fitcheck.io.limits import decode_text, read_bytes

# A results file of a long run with raw step times is a few MB; far larger is not one.
MAX_RESULTS_BYTES = 256 * 1024 * 1024
# Columns added after the analysis's own (EVIDENCE_COLUMNS), for readers of the table.
EXTRA_COLUMNS = ("measurement", "blocks", "file")


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def parse_bench_results(text: str, name: str) -> BenchResults:
    """Validate the JSON text of a results file named ``name`` (for messages)."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise InputError("nested too deeply: not a results file", Location(file=name)) from None
    except _DuplicateKey as err:
        raise InputError(f"duplicate key {err.key!r}", Location(file=name)) from None
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg}", Location(file=name, line=err.lineno)) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object (a 'fitcheck bench' results file)", Location(file=name))
    kind = data.get("kind")
    if kind != RESULTS_KIND:
        raise InputError(
            f"{kind!r} is not {RESULTS_KIND!r}: not a 'fitcheck bench' results file",
            Location(file=name, field="kind"),
        )
    version = data.get("format_version")
    if version != 2:
        raise InputError(
            f"{version!r} is not 2: written by an older fitcheck bench; run the benchmark again",
            Location(file=name, field="format_version"),
        )
    try:
        return BenchResults.model_validate_json(text)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        field = _field_path(tuple(first["loc"]))
        if first["type"] == "missing":
            shown = "missing"
        elif first["type"] == "extra_forbidden":
            shown = "unknown field (not part of a fitcheck bench results file)"
        else:
            value = first.get("input")
            msg = str(first["msg"]).removeprefix("Value error, ")
            if isinstance(value, (dict, list)):
                shown = msg
            else:
                text_value = repr(value)
                if len(text_value) > 80:
                    text_value = text_value[:77] + "..."
                shown = f"{text_value}: {msg}"
        raise InputError(shown, Location(file=name, field=field or None)) from None


def load_bench_results(path: str | Path) -> BenchResults:
    """Read and validate a results file.

    Raises :class:`~fitcheck.errors.InputError` naming the file and the field for a file that
    is missing, too large, not JSON, not a bench results file, or has a bad field.
    """
    p = Path(path)
    name = str(path)
    # the guarded reader: a FIFO or device is refused (reading one would hang), the size is bounded
    text = decode_text(read_bytes(p, MAX_RESULTS_BYTES), p)
    return parse_bench_results(text, name)


def load_evidence(
    paths: list[Path], ceilings: list[dict[str, Any]] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The usable measurements of the results files, and the comparisons not usable, with why.

    The second list has the form of the analysis's ``unmatched_bench_results`` entries
    (``source``, ``workload``, ``compiler``, ``why``). Each file's MFU ceiling (``workload``,
    ``speedup_ceiling``, ``source``) is appended to ``ceilings`` when given, whether or not
    its comparisons are usable: a benchmark too short for an interval still measured the
    baseline step's MFU, which caps the workload's prior.
    """
    out: list[dict[str, Any]] = []
    unusable: list[dict[str, str]] = []
    for path in paths:
        results = load_bench_results(path)
        host = results.host.model_dump(mode="json")
        ceiling = results.ceiling.speedup_ceiling if results.ceiling is not None else None
        if ceilings is not None and ceiling is not None and results.workload:
            ceilings.append({"workload": results.workload, "speedup_ceiling": ceiling, "source": str(path)})
        device = host.get("device_name") or host.get("device") or "?"
        for comp in results.comparisons:
            source = f"{path} ({comp.candidate} vs {comp.baseline}, {device})"
            ok, why = usable_as_measurement(comp)
            if not ok or comp.speedup is None:
                unusable.append(
                    {
                        "source": source,
                        "workload": results.workload or "",
                        "compiler": comp.compiler,
                        "why": why,
                    }
                )
                continue
            out.append(
                {
                    "workload": results.workload or "",
                    "compiler": comp.compiler,
                    "candidate": comp.candidate,
                    "baseline": comp.baseline,
                    "measurement": comp.measurement,
                    "speedup": comp.speedup.model_dump(),
                    "speedup_basis": comp.speedup_basis,
                    "confidence": comp.confidence,
                    "blocks": comp.blocks,
                    "compile_seconds": comp.compile_seconds,
                    "compile_seconds_warm": comp.compile_seconds_warm,
                    "speedup_ceiling": ceiling,
                    # a gradient-parity fail counts as a loss-parity fail
                    "loss_parity_ok": parity_ok(comp),
                    "stopped_because": comp.stopped_because,
                    "host": host,
                    "file": str(path),
                    "source": source,
                }
            )
    return out, unusable


def load_measurements(paths: list[Path]) -> list[dict[str, Any]]:
    """Every usable comparison in the results files, with its host and source."""
    return load_evidence(paths)[0]


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def evidence_table(
    measurements: list[dict[str, Any]], ceilings: list[dict[str, Any]] | None = None
) -> pd.DataFrame:
    """The columns the analysis consumes (``EVIDENCE_COLUMNS``), then :data:`EXTRA_COLUMNS`.

    ``ceilings`` (see :func:`load_evidence`) add rows with a ceiling and no speedup: they cap
    priors and are no measurement."""
    rows = [
        {
            "workload": m["workload"],
            "compiler": m["compiler"],
            "speedup_low": m["speedup"]["low"],
            "speedup_mid": m["speedup"]["mid"],
            "speedup_high": m["speedup"]["high"],
            "compile_seconds": math.nan if m["compile_seconds"] is None else float(m["compile_seconds"]),
            "loss_parity_ok": m["loss_parity_ok"],
            "stopped_because": m["stopped_because"],
            "source": m["source"],
            "compile_seconds_warm": _number(m.get("compile_seconds_warm")),
            "speedup_ceiling": _number(m.get("speedup_ceiling")),
            "measurement": m["measurement"],
            "blocks": m["blocks"],
            "file": m["file"],
        }
        for m in measurements
    ]
    rows += [
        {
            "workload": c["workload"],
            "compiler": "",
            "speedup_low": math.nan,
            "speedup_mid": math.nan,
            "speedup_high": math.nan,
            "compile_seconds": math.nan,
            "loss_parity_ok": None,
            "stopped_because": "",
            "source": c["source"],
            "compile_seconds_warm": math.nan,
            "speedup_ceiling": float(c["speedup_ceiling"]),
            "measurement": "ceiling",
            "blocks": 0,
            "file": c["source"],
        }
        for c in ceilings or []
    ]
    columns = [*EVIDENCE_COLUMNS, *(c for c in EXTRA_COLUMNS if c not in EVIDENCE_COLUMNS)]
    return pd.DataFrame(rows, columns=columns)
