"""Read an inventory (YAML, CSV or Parquet) into one validated, normalised table.

YAML entries are validated one by one with the pydantic model (errors carry the line);
CSV/Parquet columns are validated column-wise from the same field table (errors carry
the row), which keeps a million-row job history fast. Both produce the same columns:
:data:`COLUMNS` plus ``_line`` (YAML line) / ``_row`` (data row), used in later messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from fitcheck.core.schema import (
    FIELDS,
    MAX_INSTANCE_HOURS_PER_YEAR,
    REQUIRED,
    FieldSpec,
    Workload,
    value_adapter,
)
from fitcheck.errors import InputError, Location, did_you_mean, one_of, shown
from fitcheck.io.csvfile import NotANumber, arrow_csv, csv_header
from fitcheck.io.limits import MAX_COLUMNS, MAX_TABLE_BYTES, check_input_file
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
    if kind != "yaml":
        _release_arrow_memory()
    _check_unique_names(frame, path)
    _check_spend(frame, path)
    return frame


def _release_arrow_memory() -> None:
    """pyarrow's allocator keeps the freed buffers of the file as read (about the file's size)
    for pyarrow alone; the table is validated and converted, so give them back before the
    analysis needs the memory."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _check_spend(frame: pd.DataFrame, path: Path) -> None:
    """Each factor is bounded; so is their product, the instance-hours a year every dollar
    figure is a multiple of."""
    hours = (
        frame["duration_hours"].to_numpy()
        * frame["instance_count"].to_numpy()
        * frame["runs_per_week"].to_numpy()
        * 52
    )
    over = np.flatnonzero(hours > MAX_INSTANCE_HOURS_PER_YEAR)
    if len(over):
        pos = int(over[0])
        raise InputError(
            f"duration_hours x instance_count x runs_per_week x 52 = {hours[pos]:.3g} instance-hours a year; "
            f"at most {MAX_INSTANCE_HOURS_PER_YEAR:.3g} allowed",
            source_location(frame, pos, str(path), "duration_hours"),
        )


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
                f"unknown key {str(key)!r}; {did_you_mean(key, TOP_LEVEL_KEYS)}"
                f"allowed: {', '.join(TOP_LEVEL_KEYS)}",
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
            shared = [k for k in FIELDS if k != "name"]
            raise InputError(
                f"unknown field {str(key)!r}; {did_you_mean(key, shared)}allowed: {', '.join(shared)}",
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
        _check_keys(item, base, file, where, line)
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


def _check_keys(item: dict[Any, Any], base: dict[str, Any], file: str, where: str, line: int) -> None:
    """An unknown key is named first, with the closest field, and with any required field that is
    missing too: a misspelt ``modle`` is one message, not "model is missing"."""
    unknown = [k for k in item if str(k) not in FIELDS]
    if unknown:
        key = unknown[0]
        missing = [f for f in REQUIRED if f not in item and f not in base]
        raise InputError(
            unknown_field(str(key), missing, "field"),
            Location(file, key_line(item, key) or line, field=f"{where}.{key}"),
        )


def unknown_field(key: str, missing: list[str], noun: str) -> str:
    """``unknown field; did you mean model? required field missing too: model; allowed: ...``."""
    also = (
        f"required {noun}{'s' if len(missing) > 1 else ''} missing too: {', '.join(missing)}; "
        if missing
        else ""
    )
    return f"unknown {noun}; {did_you_mean(key, FIELDS)}{also}allowed: {', '.join(FIELDS)}"


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
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field; allowed: {', '.join(FIELDS)}"
    if kind == "literal_error" and spec is not None:
        return one_of(value, spec.allowed)
    if spec is not None and kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{shown(value)} is out of range; allowed: {spec.range_text()}"
    if kind == "finite_number":
        return f"{shown(value)} is not a finite number"
    if kind == "string_pattern_mismatch":
        return f"{shown(value)} contains a control character (newline, tab, NUL, ...); text must be printable"
    if kind == "string_too_long":
        return f"{shown(value)} is too long; at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "int_from_float":
        return f"{shown(value)} is not a whole number"
    if spec is not None and kind.startswith(("int_", "float_", "bool_", "string_", "dict_")):
        expected = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "str": "text",
            "tags": "a mapping of key: value",
            "enum": "text",
        }[spec.kind]
        return f"{shown(value)} is not {expected}"
    return f"{shown(value)}: {error['msg']}"


# --- CSV / Parquet ------------------------------------------------------------------------

TEXT_KINDS = ("str", "enum", "bool", "tags")
MAX_ROWS = 20_000_000
MAX_NUMBER_CHARS = 40
TAGS_CHUNK = 50_000


def _load_table(path: Path, kind: str) -> pd.DataFrame:
    file = str(path)
    check_input_file(path, MAX_TABLE_BYTES)
    raw = _read_csv(path) if kind == "csv" else _read_parquet(path)
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


def _check_header(names: list[str], file: str) -> list[str]:
    """Column names: bounded in number, unique, each a documented field."""
    if len(names) > MAX_COLUMNS:
        raise InputError(f"{len(names):,} columns; at most {MAX_COLUMNS} allowed", Location(file))
    clean = [str(c).strip() for c in names]
    seen: set[str] = set()
    for c in clean:
        if c in seen:
            raise InputError(f"duplicate column {c!r}; each column may appear once", Location(file, field=c))
        seen.add(c)
    unknown = [c for c in clean if c not in FIELDS]
    if unknown:
        missing = [c for c in REQUIRED if c not in clean]
        raise InputError(unknown_field(unknown[0], missing, "column"), Location(file, field=unknown[0]))
    return clean


def _read_csv(path: Path) -> pd.DataFrame:
    """One fixed reading: only an empty field is missing (``NA``, ``None``, ``null`` are text),
    whatever the locale or engine. Numbers are parsed by pyarrow; when a value is not a
    number, the file is read again as text so the row-level checks can say where."""
    file = str(path)
    header = csv_header(path)
    names = _check_header(header, file)
    numeric = {raw for raw, name in zip(header, names, strict=True) if FIELDS[name].kind in ("int", "float")}
    try:
        table = arrow_csv(path, header, numeric)
        if _first_not_finite(table, numeric) is not None:  # 'inf', '1e999': reported from the text
            raise NotANumber()
    except NotANumber:
        table = arrow_csv(path, header, set())
    if table.num_columns != len(header):  # pragma: no cover - pyarrow checks every row
        raise InputError("the header and the rows disagree on the number of columns", Location(file))
    frame = table.to_pandas()
    frame.columns = names
    return frame


def _first_not_finite(table: Any, columns: Iterable[str]) -> tuple[str, int] | None:
    """The first (column, position) holding NaN or an infinity in a float column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in columns:
        col = table.column(name)
        if not pa.types.is_floating(col.type):
            continue
        finite = pc.fill_null(pc.is_finite(col), True)  # null is missing, not NaN
        if pc.all(finite).as_py() is False:
            pos = int(np.flatnonzero(~finite.to_numpy(zero_copy_only=False).astype(bool))[0])
            return name, pos
    return None


ALLOWED_PARQUET = "text, a number or true/false"


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    from pyarrow import parquet as pq

    file = str(path)
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        rows = pf.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"cannot read as Parquet: {first[:200]}", Location(file)) from None
    names = _check_header(list(schema.names), file)
    for name, field in zip(names, schema, strict=True):
        t = field.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        ok = (
            pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_boolean(t)
            or pa.types.is_null(t)
            or (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t))
        )
        if not ok:
            raise InputError(
                f"column of type {t}; expected {ALLOWED_PARQUET} (tags as JSON text or key=value;...)",
                Location(file, field=name),
            )
    if rows > MAX_ROWS:
        raise InputError(f"{rows:,} rows; at most {MAX_ROWS:,} allowed", Location(file))
    try:
        table = pf.read()
    except (pa.ArrowException, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"cannot read as Parquet: {first[:200]}", Location(file)) from None
    bad = _first_not_finite(table, table.column_names)
    if bad is not None:  # a NaN is not a missing value: only null is
        name, pos = bad
        value = table.column(name)[pos].as_py()
        raise InputError(
            f"{shown(value)} is not a finite number",
            Location(file, row=pos + 1, field=names[list(schema.names).index(name)]),
        )
    frame = table.to_pandas()
    frame.columns = names
    return frame


def _column(col: pd.Series | None, spec: FieldSpec, n: int, file: str) -> Any:
    """Validate and convert one column; raise on the first bad row.

    Numbers are checked as arrays against the model's bounds. Text, choices, booleans and
    tags are checked on their distinct values by the model's own validator (a job history
    repeats the same framework, instance type and precision a million times), then mapped
    back to the rows.
    """
    if col is None:
        return _default_column(spec, n)
    if spec.kind == "tags":
        return _tags_column(col, spec, file)
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
    if spec.kind in TEXT_KINDS:
        present = np.flatnonzero(~u_missing)
        values = cleaned.iloc[present].tolist()
        try:
            checked = value_adapter(spec.name).validate_python(values)
        except ValidationError as err:
            first = err.errors()[0]
            u = int(present[int(first["loc"][0])])
            pos = int(np.flatnonzero(codes == u)[0])
            raise InputError(_problem(first, spec), Location(file, row=pos + 1, field=spec.name)) from None
        fill: Any = spec.default
        lookup = np.full(len(cleaned) + 1, fill, dtype=object)
        lookup[present] = np.asarray(checked, dtype=object) if checked else lookup[present]
        out = lookup[codes]
        return out.astype(bool) if spec.kind == "bool" else out
    too_long = (cleaned.str.len() > MAX_NUMBER_CHARS).to_numpy()
    if too_long.any():
        _bad(file, rows_where(too_long), col, spec, f"is not a number (over {MAX_NUMBER_CHARS} characters)")
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


def _tags_column(col: pd.Series, spec: FieldSpec, file: str) -> np.ndarray:
    """The tags column as canonical JSON text, checked by the model's validator.

    Read ``TAGS_CHUNK`` rows at a time: an import gives every workload its own tag set, so
    the column is as large as the file's text and is never copied whole (a text already
    canonical is kept as the very same string). Repeated tag sets are parsed once."""
    n = len(col)
    out = np.empty(n, dtype=object)
    known: dict[str, str] = {}
    for start in range(0, n, TAGS_CHUNK):
        texts = col.iloc[start : start + TAGS_CHUNK].to_numpy(dtype=object, na_value=None)
        todo: dict[str, int] = {}  # distinct new texts of this chunk -> first position
        for j, raw in enumerate(texts.tolist()):
            text = "" if raw is None else str(raw).strip()
            if text and text not in known and text not in todo:
                todo[text] = start + j
        items = list(todo.items())
        canonical = [_canonical_tags(text) for text, _ in items]
        parsed = [
            _parse_tags(text, file, spec, partial(_only, pos, n)) if fast is None else fast
            for (text, pos), fast in zip(items, canonical, strict=True)
        ]
        try:
            valid = value_adapter(spec.name).validate_python(parsed)
        except ValidationError as err:
            first = err.errors()[0]
            pos = items[int(first["loc"][0])][1]
            raise InputError(_problem(first, spec), Location(file, row=pos + 1, field=spec.name)) from None
        for (text, _), fast, tags in zip(items, canonical, valid, strict=True):
            if fast is not None and tags == fast:  # already canonical, and valid as it is
                known[text] = text
            else:
                dumped = json.dumps(tags, sort_keys=True)
                known[text] = text if dumped == text else dumped
        for j, raw in enumerate(texts.tolist()):
            text = "" if raw is None else str(raw).strip()
            out[start + j] = known[text] if text else "{}"
        if len(known) > TAGS_CHUNK:  # a cache for repeated tag sets, not a copy of the column
            known.clear()
    return out


def _canonical_tags(text: str) -> dict[str, str] | None:
    """The tags of ``text`` when it is already canonical JSON text (sorted keys, text values,
    as an import writes it): parsed in C, no key can repeat. Else None (the full parse)."""
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if type(value) is not dict or not all(type(v) is str for v in value.values()):
        return None
    return value if json.dumps(value, sort_keys=True) == text else None


def _only(i: int, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[i] = True
    return mask


def _numbers(numbers: pd.Series, col: pd.Series, missing: np.ndarray, spec: FieldSpec, file: str) -> Any:
    """Finite, whole where it must be, within the model's bounds: checked on the whole array."""
    if spec.required and missing.any():
        _bad(file, missing, col, spec, "required field is missing")
    values = numbers.to_numpy(dtype=float)
    present = ~missing
    infinite = ~np.isfinite(values) & present
    if infinite.any():
        _bad(file, infinite, col, spec, "is not a finite number")
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


TAGS_HELP = 'write {"key": "value"} or key=value;key2=value2'


def _parse_tags(text: str, file: str, spec: FieldSpec, rows: Callable[[], np.ndarray]) -> dict[str, str]:
    """CSV tags: a JSON object ('{"team": "nlp"}') or 'team=nlp;owner=ana'. A key given twice
    or a nested value is an error, not silently resolved. ``rows()``: the rows holding
    ``text`` (computed only for the message)."""

    def bad(problem: str) -> InputError:
        pos = int(np.flatnonzero(rows())[0])
        return InputError(f"{shown(text)} {problem}", Location(file, row=pos + 1, field=spec.name))

    if text.startswith("{"):

        def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            keys = [k for k, _ in pairs]
            for k in keys:
                if keys.count(k) > 1:
                    raise bad(f"has the key {shown(k)} twice")
            return dict(pairs)

        try:
            value = json.loads(text, object_pairs_hook=no_duplicates)
        except (json.JSONDecodeError, RecursionError):
            raise bad(f"is not tags; {TAGS_HELP}") from None
        if not isinstance(value, dict):
            raise bad(f"is not tags; {TAGS_HELP}")
        for k, v in value.items():
            if isinstance(v, dict | list):
                raise bad(f"has a nested value under {shown(k)}; tag values are text")
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise bad(f"is not tags; {TAGS_HELP}")
        k, v = part.split("=", 1)
        if k.strip() in out:
            raise bad(f"has the key {shown(k.strip())} twice")
        out[k.strip()] = v.strip()
    return out


def _bad(file: str, mask: Any, col: pd.Series, spec: FieldSpec, problem: str | None) -> None:
    pos = int(np.flatnonzero(np.asarray(mask))[0])
    value = col.iloc[pos]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    shown_value = None if (value is None or (isinstance(value, float) and np.isnan(value))) else value
    text = (
        problem
        if problem and problem.startswith("required")
        else (one_of(shown_value, spec.allowed) if problem is None else f"{shown(shown_value)} {problem}")
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
