"""CSV read one fixed way, whatever the locale or the engine pandas would pick.

Only an empty field is missing: ``NA``, ``None``, ``null``, ``NaN``, ``#N/A`` are text. A row
with more or fewer fields than the header is an error naming the row; so is text that is
not UTF-8. A leading byte-order mark and CRLF line ends are read like plain files.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from fitcheck.errors import InputError, Location
from fitcheck.io.limits import MAX_COLUMNS, MAX_TABLE_BYTES, check_input_file, decode_text

HEADER_BYTES = 1024 * 1024


class NotANumber(Exception):
    """A column read as numbers holds a value that is not one (read it again as text)."""


def read_text_table(path: Path, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every field as text ('' where empty); ``columns`` must all be present."""
    check_input_file(path, MAX_TABLE_BYTES)
    header = csv_header(path)
    if len(header) > MAX_COLUMNS:
        raise InputError(f"{len(header):,} columns; at most {MAX_COLUMNS} allowed", Location(str(path)))
    names = [h.strip() for h in header]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InputError(
                f"duplicate column {name!r}; each column may appear once", Location(str(path), field=name)
            )
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(
            f"missing column {missing[0]!r} (needs: {', '.join(columns)})",
            Location(str(path), field=missing[0]),
        )
    frame = arrow_csv(path, header, set(), nulls=False).to_pandas()
    frame.columns = names
    return frame.astype(object)


def csv_header(path: Path) -> list[str]:
    """The header's fields, read from the first line (at most 1 MiB)."""
    with open(path, "rb") as fh:
        head = fh.read(HEADER_BYTES)
    if not head.strip():
        raise InputError("the file is empty", Location(str(path)))
    end = head.find(b"\n")
    if end < 0 and len(head) == HEADER_BYTES:
        raise InputError(f"the header line is over {HEADER_BYTES:,} bytes", Location(str(path)))
    line = decode_text(head if end < 0 else head[:end], path).rstrip("\r")
    if "\r" in line:
        raise InputError(
            "a carriage return (CR) inside the header line; lines must end in LF or CRLF",
            Location(str(path), 1),
        )
    try:
        return next(csv.reader([line]), [])
    except csv.Error as err:
        raise InputError(f"cannot read the header line: {err}", Location(str(path), 1)) from None


def arrow_csv(path: Path, header: list[str], numeric: set[str], nulls: bool = True) -> Any:
    """pyarrow's multi-threaded reader with fixed options: ``numeric`` columns as float64,
    the rest as text; an empty field is null (``nulls``) or ''."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    types = {c: (pa.float64() if c in numeric else pa.string()) for c in header}
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""] if nulls else [],
                strings_can_be_null=nulls,
                quoted_strings_can_be_null=nulls,
                true_values=[],
                false_values=[],
            ),
        )
    except pa.ArrowInvalid as err:
        text = str(err)
        if "conversion error to double" in text or "conversion error to float" in text:
            raise NotANumber() from None
        if "invalid UTF8" in text:
            raise InputError("not UTF-8 text", Location(str(path))) from None
        if "Expected" in text and "columns, got" in text:
            raise _ragged(path, len(header)) from None
        first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
        raise InputError(f"cannot read as CSV: {first[:200]}", Location(str(path))) from None


def _ragged(path: Path, width: int) -> InputError:
    """The first data row whose number of fields differs from the header's."""
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        row = 0
        try:
            for fields in reader:
                if not fields:
                    continue
                row += 1
                if len(fields) != width:
                    return InputError(
                        f"{len(fields)} fields where the header has {width}; one field per column is needed",
                        Location(str(path), row=row),
                    )
        except csv.Error as err:
            return InputError(f"cannot read as CSV: {err}", Location(str(path), row=row + 1))
    return InputError(f"a row does not have the header's {width} fields", Location(str(path)))
