"""Errors a person can act on.

Every expected failure is a :class:`FitcheckError`: it carries its exit code, and the
command line prints it as one line (``error: ...``) and exits with that code, whatever the
command. Every problem with user input is raised as :class:`InputError` (exit code 2). Its
text names the
file, the line (YAML) or row (CSV/Parquet), the field path, the bad value and what is
allowed, e.g.::

    workloads.yaml:14: workloads[2].precision: 'half' is not one of fp32, fp16, bf16, tf32, unknown

The CLI prints that one line to stderr and exits with :data:`EXIT_INPUT`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BUG_REPORT_HINT = (
    "this is a bug in fitcheck, not a problem with your input; please report it with the command "
    "line and, if you can, the input file"
)
MAX_SHOWN = 80  # characters of a bad value quoted in a message

EXIT_OK = 0
EXIT_FAILURE = 1  # something went wrong that is not the user's input (a backend crashed, ...)
EXIT_INPUT = 2  # bad input: file, field, value, option
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (128 + SIGINT), as a shell reports it


@dataclass(frozen=True)
class Location:
    """Where in an input a problem sits. All parts are optional."""

    file: str | None = None
    line: int | None = None  # 1-based line in a text file (YAML, JSON)
    row: int | None = None  # 1-based data row in a table (CSV/Parquet; header not counted)
    field: str | None = None  # field path, e.g. workloads[2].precision

    def prefix(self) -> str:
        parts: list[str] = []
        head = self.file or ""
        if self.line is not None:
            head = f"{head}:{self.line}" if head else f"line {self.line}"
        elif self.row is not None:
            head = f"{head}: row {self.row}" if head else f"row {self.row}"
        if head:
            parts.append(head)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)


class FitcheckError(Exception):
    """An expected failure: ``str(err)`` is the one line shown to the user, :attr:`exit_code`
    the exit status. ``details`` are lines printed before it (e.g. what a stopped import kept).
    """

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, exit_code: int | None = None, details: Iterable[str] = ()) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
        self.details = tuple(details)


class InputError(FitcheckError):
    """Bad input (exit code 2). ``str(err)`` is the one-line message shown to the user."""

    exit_code = EXIT_INPUT

    def __init__(self, problem: str, location: Location | None = None) -> None:
        self.problem = problem
        self.location = location or Location()
        super().__init__(self.render())

    def render(self) -> str:
        prefix = self.location.prefix()
        return one_line(f"{prefix}: {self.problem}" if prefix else self.problem)


def one_line(text: str) -> str:
    """``text`` with every control or separator character (newline, NUL, escape, U+2028, ...)
    written as an escape, so a message is always exactly one inert line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def shown(value: object) -> str:
    """A bad value as quoted in a message: its repr, cut to :data:`MAX_SHOWN` characters."""
    text = repr(value)
    if len(text) > MAX_SHOWN:
        text = f"{text[: MAX_SHOWN - 14]}... ({len(text)} characters)"
    return text


def internal_error(err: BaseException) -> str:
    """The one line printed for a fault that is not the input's (exit code 1)."""
    detail = one_line(str(err))[:200]
    return f"internal error: {type(err).__name__}: {detail} ({BUG_REPORT_HINT})"


def one_of(value: object, allowed: Iterable[object]) -> str:
    """The standard wording for an enum violation."""
    return f"{shown(value)} is not one of {', '.join(str(a) for a in allowed)}"


def closest(value: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Closest known names to a misspelt one (for 'did you mean')."""
    import difflib

    return difflib.get_close_matches(value, list(candidates), n=n, cutoff=0.6)


def did_you_mean(value: object, candidates: Iterable[str], n: int = 1) -> str:
    """``"did you mean precision? "`` for a near miss, else ``""`` (a prefix for "allowed: ...")."""
    near = closest(str(value), candidates, n=n)
    return f"did you mean {' or '.join(near)}? " if near else ""
