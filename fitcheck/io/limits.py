"""Bounds every input file is checked against before it is parsed or used.

A limit turns a hostile or broken file (an alias bomb, a 10 GB CSV, a list nested ten
thousand deep, a 5,000-digit number) into one :class:`~fitcheck.errors.InputError` line,
raised before the cost is paid. The numbers are generous for real inventories: the
largest documented use is a 1,000,000-row job history (about 300 MB of CSV).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fitcheck.errors import InputError, Location

MiB = 1024 * 1024

MAX_YAML_BYTES = 1 * MiB  # YAML is parsed in pure Python (with lines): slow, so kept small
MAX_TABLE_BYTES = 2048 * MiB  # CSV / Parquet inventories and profile tables
MAX_JSON_BYTES = 64 * MiB  # benchmark results files
MAX_ANALYSIS_JSON_BYTES = 4096 * MiB  # a saved analysis (one record per workload)
MAX_DEPTH = 32  # nested lists / mappings in YAML and JSON (an inventory needs 4)
MAX_YAML_VALUES = 60_000  # keys and values in a YAML document, every alias expanded (~2,500 workloads)
MAX_INT_DIGITS = 30  # digits of an integer literal
MAX_COLUMNS = 64  # columns of a CSV / Parquet table


def check_input_file(path: Path, max_bytes: int, hint: str = "") -> int:
    """Refuse a missing path, a folder, a FIFO or device, or a file over ``max_bytes``.

    Returns the size in bytes. Reading a FIFO or ``/dev/zero`` would hang or never end.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", Location(str(path))) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", Location(str(path))) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, expected a file", Location(str(path)))
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"is {special_kind(info.st_mode)}, expected a regular file", Location(str(path)))
    if info.st_size > max_bytes:
        raise InputError(
            f"file is {info.st_size:,} bytes; at most {max_bytes:,} allowed{hint}", Location(str(path))
        )
    return info.st_size


def read_bytes(path: Path, max_bytes: int, hint: str = "") -> bytes:
    """The file's bytes, after :func:`check_input_file` (a file that grows meanwhile is cut off)."""
    check_input_file(path, max_bytes, hint)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", Location(str(path))) from None
    if len(data) > max_bytes:
        raise InputError(f"file is over {max_bytes:,} bytes", Location(str(path)))
    return data


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (a leading byte-order mark is dropped); NUL bytes are refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start})", Location(str(path))) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InputError("contains a NUL byte; expected text", Location(str(path), line))
    return text


def special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"
