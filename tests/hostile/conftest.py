"""Helpers of the hostile-input suite: run the CLI, in-process or as a real process, and
check the contract every hostile input must keep (exit 0 or 2, one line, no traceback,
within a time bound)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from fitcheck.cli import app
from tests.conftest import ROOT

TIME_BOUND_S = 20.0  # the contract: every hostile file is settled within 20 s


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float


def cli(*args: str) -> Run:
    """The CLI in this process (typer's CliRunner)."""
    t0 = time.perf_counter()
    result = CliRunner().invoke(app, [str(a) for a in args])
    return Run(result.exit_code, result.stdout, result.stderr, time.perf_counter() - t0)


def process(*args: str, timeout: float = TIME_BOUND_S) -> Run:
    """The CLI as a real process (``python -m fitcheck.cli``), killed at the time bound."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "fitcheck.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    return Run(out.returncode, out.stdout, out.stderr, time.perf_counter() - t0)


def assert_bad_input(run: Run, expected: str | None = None) -> str:
    """Exit 2, exactly one line on stderr starting with 'error: ', no traceback."""
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: "), lines[0]
    if expected is not None:
        assert lines[0] == f"error: {expected}", lines[0]
    assert run.seconds < TIME_BOUND_S, run.seconds
    return lines[0]


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


GOOD_ROW = {
    "name": "a",
    "framework": "pytorch",
    "model": "bert-base-uncased",
    "instance_type": "ml.g5.2xlarge",
    "duration_hours": 6,
    "runs_per_week": 3,
}
GOOD_CSV = ",".join(GOOD_ROW) + "\n" + ",".join(str(v) for v in GOOD_ROW.values()) + "\n"
GOOD_YAML = "version: 1\nworkloads:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in GOOD_ROW.items()) + "\n"
