"""Writes that never leave a half-written file behind: temporary file, fsync, rename.

The target is checked first (:func:`check_output_path`, called before any analysis): it
must be a regular file or not exist yet, must not be one of the run's input files, and
its folder must exist (no folder is ever created: a mistyped path is an error, not a new
folder) and be writable. An existing report keeps its permissions. A temporary file
is removed when the write fails, is interrupted or the process receives SIGTERM.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from fitcheck.errors import InputError, Location
from fitcheck.io.limits import special_kind


def check_output_path(
    path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = (), option: str = "--output"
) -> Path:
    """Refuse an output path that cannot or must not be replaced; return the path to write.

    A symbolic link is followed (the link stays, the file it points to is replaced).
    """
    target = Path(path)
    where = Location(str(path), field=option)
    if str(path) == "" or target.name in ("", ".", ".."):
        raise InputError("is not a file name", where)
    try:
        info = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as err:
        raise InputError(f"cannot use as output: {err.strerror}", where) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise InputError("is a folder; give a file name", where)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"is {special_kind(info.st_mode)}; the output must be a regular file", where)
        target = target.resolve()
        for source in inputs:
            try:
                same = os.path.samefile(target, source)
            except OSError:
                same = False
            if same:
                raise InputError(
                    f"is also an input of this run ({source}); choose another output file", where
                )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        blocker = _first_not_a_folder(folder)
        if blocker is not None:
            raise InputError(f"{blocker} is not a folder", where)
        raise InputError(f"folder {folder} does not exist; create it first", where)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in {folder}: permission denied", where)
    return target


def _first_not_a_folder(folder: Path) -> Path | None:
    """From the root down, the first part of ``folder`` that exists but is not a folder."""
    for part in reversed([folder, *folder.parents]):
        if os.path.lexists(part) and not part.is_dir():
            return part
    return None


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename.

    A failure part-way leaves whatever was at ``path`` untouched.
    """
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    atomic_write_chunks(path, [data])


def atomic_write_chunks(
    path: str | os.PathLike[str], chunks: Iterable[str | bytes], encoding: str = "utf-8"
) -> None:
    """Write the pieces one after another (memory stays bounded by one piece), atomically."""
    target = check_output_path(path, option="output")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)  # an existing report keeps its permissions
    except FileNotFoundError:
        mode = 0o666 & ~_umask()  # what a plain open() would have given
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with _removed_on_sigterm():
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                for piece in chunks:
                    fh.write(piece.encode(encoding) if isinstance(piece, str) else piece)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class Terminated(SystemExit):
    """SIGTERM arrived during a write (exit status 143, as the shell reports it)."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


@contextmanager
def _removed_on_sigterm() -> Iterator[None]:
    """While writing, SIGTERM raises :class:`Terminated` so the temporary file is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
