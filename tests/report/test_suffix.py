"""`-o` names the format by its suffix in both commands; `report` defaults to the terminal table."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fitcheck.cli import app
from tests.report.conftest import EXAMPLE

runner = CliRunner(env={"COLUMNS": "100"})


def test_output_suffix_names_the_format(tmp_path: Path) -> None:
    saved = tmp_path / "a.json"
    assert runner.invoke(app, ["analyze", str(EXAMPLE), "-o", str(saved)]).exit_code == 0
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert len(doc["workloads"]) >= 13
    for suffix, start in ((".html", "<!DOCTYPE html>"), (".md", "# fitcheck"), (".csv", '"name"')):
        for cmd in (["analyze", str(EXAMPLE)], ["report", str(saved)]):
            out = tmp_path / f"{cmd[0]}{suffix}"
            res = runner.invoke(app, [*cmd, "-o", str(out)])
            assert res.exit_code == 0, res.output
            assert out.read_text(encoding="utf-8").startswith(start), (cmd[0], suffix)


def test_report_defaults_to_the_terminal_table(tmp_path: Path) -> None:
    saved = tmp_path / "a.json"
    runner.invoke(app, ["analyze", str(EXAMPLE), "-f", "json", "-o", str(saved)])
    res = runner.invoke(app, ["report", str(saved)])
    assert res.exit_code == 0, res.output
    assert "<html" not in res.stdout and "Decision requested:" in res.stdout and "Total: $" in res.stdout
