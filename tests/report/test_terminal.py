"""The terminal table at 80 and 200 columns through the CLI, and --group-by in every format."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fitcheck.cli import app
from tests.report.conftest import EXAMPLE


def _table_rows(lines: list[str]) -> list[str]:
    start = next(i for i, ln in enumerate(lines) if "───" in ln) + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return lines[start:end]


@pytest.mark.parametrize("columns", [80, 200])
def test_table_fits_the_terminal_without_wrapped_rows(columns: int, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": str(columns)})
    result = runner.invoke(app, ["analyze", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(ln) for ln in lines) <= columns
    saved = tmp_path / "a.json"
    runner.invoke(app, ["analyze", str(EXAMPLE), "-f", "json", "-o", str(saved)])
    doc = json.loads(saved.read_text(encoding="utf-8"))
    rows = _table_rows(lines)
    assert len(rows) == len(doc["workloads"])  # one line per workload
    decisions = [re.search(r"  (enable|benchmark|skip) ", r).group(1) for r in rows]  # type: ignore[union-attr]
    n_acting = sum(d != "skip" for d in decisions)
    assert all(d != "skip" for d in decisions[:n_acting]) and all(d == "skip" for d in decisions[n_acting:])
    header = lines[next(i for i, ln in enumerate(lines) if "───" in ln) - 1]
    assert ("Main reason" in header) == (columns >= 150) and "Net 1st yr" in header
    t = doc["totals"]
    text = " ".join(result.stdout.split())
    assert " ".join(t["decision_requested"].split()) in text
    assert "Committed (enable):" in text and "Pending (benchmark):" in text and "Not pursued (skip):" in text
    assert "Total: $" in lines[-1] or "Total: $" in lines[-2]


def test_group_by_team_in_every_format(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "100"})
    saved = tmp_path / "a.json"
    res = runner.invoke(app, ["analyze", str(EXAMPLE), "-f", "json", "-o", str(saved), "--group-by", "team"])
    assert res.exit_code == 0, res.output
    doc = json.loads(saved.read_text(encoding="utf-8"))
    groups = doc["rollup"]
    teams = {w["tags"].get("team") for w in doc["workloads"]}
    assert {g["value"] for g in groups} == teams and len(teams) >= 3
    for line in ("committed", "pending", "not_pursued"):
        assert sum(g[line]["workloads"] for g in groups) == doc["totals"][line]["workloads"]
        assert sum(g[line]["spend_per_year_usd"] for g in groups) == pytest.approx(
            doc["totals"][line]["spend_per_year_usd"]
        )
    for fmt in ("markdown", "table", "html", "csv"):
        res = runner.invoke(app, ["report", str(saved), "-f", fmt, "--group-by", "team"])
        assert res.exit_code == 0, res.output
        out = res.stdout
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(out)))
            assert {r["tag_team"] for r in rows} == {t or "" for t in teams}
            assert {r["line"] for r in rows} <= {"committed", "pending", "not_pursued"}
        else:
            assert "By team" in out, fmt
            for team in teams - {None}:
                assert team in out, (fmt, team)


def test_above_200_workloads_the_actionable_ones_and_a_count() -> None:
    import pandas as pd

    from fitcheck import api
    from fitcheck.core.analysis import Analysis

    base = api.analyze(EXAMPLE)
    copies = []
    for k in range(20):  # 260 workloads
        t = base.with_messages().copy()
        t["name"] = [f"{n}-{k:02d}" for n in t["name"]]
        copies.append(t)
    big = Analysis(pd.concat(copies, ignore_index=True), base.meta)
    acting = int((big.table["decision"] != "skip").sum())
    assert 0 < acting < 200 < len(big.table)
    text = api.render(big, "table", width=100)
    rows = _table_rows(text.splitlines())
    assert len(rows) == 200  # every actionable row, then skipped ones up to 200
    assert all(" skip " not in r for r in rows[:acting])
    assert f"Not listed: 0 more actionable and {len(big.table) - 200:,} skipped" in " ".join(text.split())
