"""Read an inventory (YAML, CSV or Parquet) into one validated, normalised table.

YAML entries are validated one by one with the pydantic model (errors carry the line);
CSV/Parquet columns are validated column-wise from the same field table (errors carry
the row), which keeps a million-row job history fast. Both produce the same columns:
:data:`COLUMNS` plus ``_line`` (YAML line) / ``_row`` (data row), used in later messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from fitcheck.core.schema import FIELDS, REQUIRED, FieldSpec, Workload
from fitcheck.errors import InputError, Location, one_of
from fitcheck.io.yamlfile import key_line, load_yaml, node_line, plain

COLUMNS: tuple[str, ...] = tuple(FIELDS)
TOP_LEVEL_KEYS = ("version", "defaults", "workloads")
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def load_inventory(path: str | Path) -> pd.DataFrame:
    """Load and validate ``path``; the format follows from the suffix."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"unknown inventory format {path.suffix or '(no suffix)'!r}; use one of {', '.join(SUFFIXES)}",
            Location(str(path)),
        )
    if not path.exists():
        raise InputError("no such file", Location(str(path)))
    frame = _load_yaml(path) if kind == "yaml" else _load_table(path, kind)
    _check_unique_names(frame, path)
    return frame


# --- YAML ---------------------------------------------------------------------------------


def _load_yaml(path: Path) -> pd.DataFrame:
    doc = load_yaml(path)
    file = str(path)
    if not isinstance(doc, dict):
        raise InputError(
            "expected a mapping with keys version, workloads (and optionally defaults)",
            Location(file, node_line(doc) or 1),
        )
    for key in doc:
        if key not in TOP_LEVEL_KEYS:
            raise InputError(
                f"unknown key {str(key)!r}; allowed: {', '.join(TOP_LEVEL_KEYS)}",
                Location(file, key_line(doc, key), field=str(key)),
            )
    version = doc.get("version", 1)
    if version != 1:
        raise InputError(one_of(version, [1]), Location(file, key_line(doc, "version"), field="version"))
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InputError(
            "expected a mapping of field: value", Location(file, key_line(doc, "defaults"), field="defaults")
        )
    for key in defaults:
        if key not in FIELDS or key == "name":
            raise InputError(
                f"unknown field {str(key)!r}; allowed: {', '.join(k for k in FIELDS if k != 'name')}",
                Location(file, key_line(defaults, key), field=f"defaults.{key}"),
            )
    items = doc.get("workloads")
    if items is None:
        raise InputError("required field is missing", Location(file, 1, field="workloads"))
    if not isinstance(items, list):
        raise InputError(
            "expected a list of workloads", Location(file, key_line(doc, "workloads"), field="workloads")
        )
    if not items:
        raise InputError(
            "the list is empty: add at least one workload",
            Location(file, key_line(doc, "workloads"), field="workloads"),
        )
    base = plain(defaults)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    key_lines: list[dict[str, int | None]] = []
    for i, item in enumerate(items):
        where = f"workloads[{i}]"
        line = key_line(items, i) or 1
        if not isinstance(item, dict):
            raise InputError("expected a mapping of field: value", Location(file, line, field=where))
        merged = {**base, **plain(item)}
        try:
            w = Workload.model_validate(merged)
        except ValidationError as err:
            raise _from_pydantic(err, file, where, item, defaults, line) from None
        record = w.model_dump()
        record["tags"] = json.dumps(record["tags"], sort_keys=True)
        records.append(record)
        lines.append(line)
        key_lines.append({str(k): key_line(item, k) for k in item})
    frame = _normalise(pd.DataFrame.from_records(records, columns=list(COLUMNS)))
    frame["_line"] = lines
    frame["_key_lines"] = key_lines
    return frame


def _from_pydantic(
    err: ValidationError, file: str, where: str, item: Any, defaults: Any, item_line: int
) -> InputError:
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = loc[0] if loc else ""
    in_item = key in item
    node = item if in_item else defaults
    line = key_line(node, key) if (in_item or key in defaults) else item_line
    field = f"{where}.{'.'.join(loc)}" if in_item or key not in defaults else f"defaults.{key}"
    return InputError(_problem(first, FIELDS.get(key)), Location(file, line, field=field))


def _problem(error: Any, spec: FieldSpec | None) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field; allowed: {', '.join(FIELDS)}"
    if kind == "literal_error" and spec is not None:
        return one_of(value, spec.allowed)
    if spec is not None and kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{value!r} is out of range; allowed: {spec.range_text()}"
    if spec is not None and kind.startswith(("int_", "float_", "bool_", "string_", "dict_")):
        expected = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "str": "text",
            "tags": "a mapping of key: value",
            "enum": "text",
        }[spec.kind]
        return f"{value!r} is not {expected}"
    return f"{value!r}: {error['msg']}"


# --- CSV / Parquet ------------------------------------------------------------------------

TEXT_DTYPES = {n: str for n, s in FIELDS.items() if s.kind in ("str", "enum", "tags")}
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f", ""}


def _read_csv(path: Path) -> pd.DataFrame:
    """pyarrow's multi-threaded reader; pandas' own C reader where pyarrow refuses a column
    (e.g. a whole-number column with gaps), so the row-level checks can say what is wrong."""
    try:
        return pd.read_csv(path, dtype=TEXT_DTYPES, engine="pyarrow")
    except (ValueError, TypeError, pd.errors.ParserError):
        return pd.read_csv(path, dtype=TEXT_DTYPES, keep_default_na=False, na_values=[""])


def _load_table(path: Path, kind: str) -> pd.DataFrame:
    file = str(path)
    try:
        if kind == "csv":
            # Text fields stay text ("2.10" is a version, not 2.1); numbers and booleans are
            # parsed by the reader and only re-checked when a bad value made them text.
            raw = _read_csv(path)
        else:
            raw = pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", Location(file)) from None
    except (pd.errors.ParserError, ValueError, OSError) as err:
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"cannot read as {kind.upper()}: {text}", Location(file)) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    unknown = [c for c in raw.columns if c not in FIELDS]
    if unknown:
        raise InputError(
            f"unknown column {unknown[0]!r}; allowed: {', '.join(FIELDS)}", Location(file, field=unknown[0])
        )
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(
            f"missing required column {missing[0]!r} (required: {', '.join(REQUIRED)})",
            Location(file, field=missing[0]),
        )
    if raw.empty:
        raise InputError("no data rows", Location(file))
    out = {
        name: _column(raw[name] if name in raw.columns else None, spec, len(raw), file)
        for name, spec in FIELDS.items()
    }
    columns = {
        k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v
        for k, v in out.items()
    }
    frame = _normalise(pd.DataFrame(columns))
    frame["_row"] = np.arange(1, len(frame) + 1)
    return frame


def _column(col: pd.Series | None, spec: FieldSpec, n: int, file: str) -> Any:
    """Validate and convert one column; raise on the first bad row.

    Text is checked on its distinct values (a job history repeats the same framework,
    instance type and precision a million times), then mapped back to the rows.
    """
    if col is None:
        return _default_column(spec, n)
    if col.dtype == bool and spec.kind == "bool":
        return col.to_numpy()
    if col.dtype.kind in "fiu" and spec.kind in ("int", "float"):
        return _numbers(col.astype("float64"), col, col.isna().to_numpy(), spec, file)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    raw_uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    cleaned = raw_uniques.astype(str).str.strip()
    u_missing = (raw_uniques.isna() | (cleaned == "")).to_numpy()
    missing = np.where(codes < 0, True, np.append(u_missing, True)[codes])

    def rows_where(u_mask: np.ndarray) -> np.ndarray:
        return np.append(u_mask, False)[codes]

    if spec.required and missing.any():
        _bad(file, missing, col, spec, "required field is missing")
    if spec.kind in ("str", "enum"):
        if spec.kind == "enum":
            bad_u = ~cleaned.isin(spec.allowed).to_numpy() & ~u_missing
            if bad_u.any():
                _bad(file, rows_where(bad_u), col, spec, None)
        fill_value = spec.default if spec.kind == "enum" else None
        lookup = np.append(np.where(u_missing, fill_value, cleaned.to_numpy(dtype=object)), fill_value)
        return lookup[codes]
    if spec.kind == "bool":
        low = cleaned.str.lower()
        bad_u = ~low.isin(TRUE | FALSE).to_numpy()
        if bad_u.any():
            _bad(file, rows_where(bad_u), col, spec, "is not true or false")
        return np.append(low.isin(TRUE).to_numpy(), bool(spec.default))[codes]
    if spec.kind == "tags":
        return _tags_column(cleaned, codes, u_missing, col, file, spec)
    numbers_u = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
    bad_u = np.isnan(numbers_u) & ~u_missing
    if bad_u.any():
        _bad(
            file,
            rows_where(bad_u),
            col,
            spec,
            "is not a whole number" if spec.kind == "int" else "is not a number",
        )
    numbers = pd.Series(np.append(numbers_u, np.nan)[codes])
    return _numbers(numbers, col, missing, spec, file)


def _numbers(numbers: pd.Series, col: pd.Series, missing: np.ndarray, spec: FieldSpec, file: str) -> Any:
    """Range and whole-number checks on an already numeric column."""
    if spec.required and missing.any():
        _bad(file, missing, col, spec, "required field is missing")
    values = numbers.to_numpy(dtype=float)
    present = ~missing
    if spec.kind == "int":
        bad = (np.mod(values, 1) != 0) & present
        if bad.any():
            _bad(file, bad, col, spec, "is not a whole number")
    out_of_range = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if spec.gt is not None:
            out_of_range |= values <= spec.gt
        if spec.ge is not None:
            out_of_range |= values < spec.ge
        if spec.lt is not None:
            out_of_range |= values >= spec.lt
        if spec.le is not None:
            out_of_range |= values > spec.le
    out_of_range &= present
    if out_of_range.any():
        _bad(file, out_of_range, col, spec, f"is out of range; allowed: {spec.range_text()}")
    if spec.default is not None:
        values = np.where(missing, float(spec.default), values)
    return values


def _tags_column(
    cleaned: pd.Series, codes: np.ndarray, u_missing: np.ndarray, col: pd.Series, file: str, spec: FieldSpec
) -> Any:
    """CSV tags: a JSON object ('{"team": "nlp"}') or 'team=nlp;owner=ana'."""
    canonical = np.full(len(cleaned) + 1, "{}", dtype=object)
    for i, raw in enumerate(cleaned):
        if u_missing[i]:
            continue
        tags = _parse_tags(raw)
        if tags is None:
            _bad(file, codes == i, col, spec, 'is not tags; write {"key": "value"} or key=value;key2=value2')
        canonical[i] = json.dumps(tags, sort_keys=True)
    return canonical[codes]


def _parse_tags(text: str) -> dict[str, str] | None:
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        if not isinstance(value, dict):
            return None
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            return None
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _bad(file: str, mask: pd.Series, col: pd.Series, spec: FieldSpec, problem: str | None) -> None:
    pos = int(np.flatnonzero(np.asarray(mask))[0])
    value = col.iloc[pos]
    if isinstance(value, np.generic):
        value = value.item()
    shown = None if (value is None or (isinstance(value, float) and np.isnan(value))) else value
    text = (
        problem
        if problem and problem.startswith("required")
        else (one_of(shown, spec.allowed) if problem is None else f"{shown!r} {problem}")
    )
    raise InputError(text, Location(file, row=pos + 1, field=spec.name))


def _default_column(spec: FieldSpec, n: int) -> Any:
    if spec.kind == "tags":
        return ["{}"] * n
    if spec.kind == "bool":
        return np.full(n, bool(spec.default))
    if spec.kind in ("int", "float"):
        return np.full(n, np.nan if spec.default is None else float(spec.default))
    return [spec.default] * n


# --- both ---------------------------------------------------------------------------------


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """One set of dtypes whatever the source (tags: canonical JSON text)."""
    for name, spec in FIELDS.items():
        if spec.kind in ("int", "float"):
            frame[name] = pd.to_numeric(frame[name]).astype("float64")
        elif spec.kind == "bool":
            frame[name] = frame[name].astype(bool)
        else:
            frame[name] = frame[name].astype(object)
    frame["framework_version"] = frame["framework_version"].fillna("").astype(object)
    frame["model_family"] = frame["model_family"].fillna("").astype(object)
    return frame


def _check_unique_names(frame: pd.DataFrame, path: Path) -> None:
    dup = frame["name"].duplicated()
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        name = frame["name"].iloc[pos]
        first = int(np.flatnonzero((frame["name"] == name).to_numpy())[0])
        if "_line" in frame:
            loc = source_location(frame, pos, str(path), "name")
            was = f"line {source_location(frame, first, str(path), 'name').line}"
        else:
            loc = Location(str(path), row=pos + 1, field="name")
            was = f"row {first + 1}"
        raise InputError(f"duplicate name {name!r} (first used at {was}); names must be unique", loc)


def source_location(frame: pd.DataFrame, pos: int, path: str, field: str) -> Location:
    """Where row ``pos`` of a loaded inventory came from (for later checks)."""
    if "_line" in frame:
        line = frame["_key_lines"].iloc[pos].get(field) or int(frame["_line"].iloc[pos])
        return Location(path, line, field=f"workloads[{pos}].{field}")
    return Location(path, row=pos + 1, field=field)
