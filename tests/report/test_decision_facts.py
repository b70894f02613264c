"""The policy's remedy for a skip (``unblock``) and where a benchmark plan runs
(``benchmark_plan.where``) reach every output: the typed record, JSON (and back through
``fitcheck report``), CSV, Markdown and HTML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from fitcheck.core.analysis import Analysis
from fitcheck.core.document import AnalysisDocument
from fitcheck.formats.safe import markdown as md
from tests.report.conftest import NOW
from tests.report.page import read

runner = CliRunner()

BASE = {
    "framework": "pytorch",
    "framework_version": "2.3",
    "model": "bert-base-uncased",
    "instance_type": "ml.g5.48xlarge",
    "duration_hours": 6,
    "runs_per_week": 5,
    "precision": "fp16",
    "input_shapes": "static",
    "gpu_utilization": 0.6,  # the warn band: benchmark
}
WORKLOADS = [
    {**BASE, "name": "local-bench", "instance_count": 1},
    {**BASE, "name": "cluster-bench", "instance_count": 4},
    {
        **BASE,
        "name": "tf-bench",
        "framework": "tensorflow",
        "framework_version": "2.14",
        "instance_count": 2,
        "duration_hours": 12,
        "runs_per_week": 7,
    },
    {"name": "trees", "framework": "xgboost", "model": "xgb", "instance_type": "ml.m5.xlarge"}
    | {"duration_hours": 1, "runs_per_week": 7},
    {
        **BASE,
        "name": "tiny-fp32",
        "instance_type": "ml.g5.xlarge",
        "duration_hours": 1,
        "runs_per_week": 1,
        "precision": "fp32",
    },
]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("facts") / "workloads.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "workloads": WORKLOADS}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def analysis(inventory: Path) -> Analysis:
    return api.analyze(inventory, now=NOW)


@pytest.fixture(scope="module")
def records(analysis: Analysis) -> dict[str, dict[str, Any]]:
    doc = AnalysisDocument.model_validate_json(api.render(analysis, "json"))
    return {w.name: w.model_dump() for w in doc.workloads}


def test_the_inventory_covers_every_kind_of_row(records: dict[str, dict[str, Any]]) -> None:
    got = {n: (r["decision"], r["candidate_compiler"]) for n, r in records.items()}
    print(got)
    assert got["local-bench"] == ("benchmark", "torch.compile")
    assert got["cluster-bench"] == ("benchmark", "torch.compile")
    assert got["tf-bench"] == ("benchmark", "tf-xla")
    assert got["trees"][0] == got["tiny-fp32"][0] == "skip"


def test_records_carry_the_policy_remedy_and_the_plan_location(
    analysis: Analysis, records: dict[str, dict[str, Any]]
) -> None:
    table = analysis.table.set_index("name")
    for name, r in records.items():
        if r["decision"] == "skip":
            assert r["unblock"] and r["unblock"] == table.at[name, "unblock"], name
            assert r["benchmark_plan"] is None
        else:
            assert r["unblock"] is None, name
        if r["decision"] == "benchmark":
            assert r["benchmark_plan"]["where"] == table.at[name, "plan_where"], name
    assert "single-GPU sibling" in records["local-bench"]["benchmark_plan"]["where"]
    assert "ml.g5.xlarge" in records["local-bench"]["benchmark_plan"]["where"]
    assert "paired SageMaker jobs" in records["cluster-bench"]["benchmark_plan"]["where"]
    assert "4 x ml.g5.48xlarge" in records["cluster-bench"]["benchmark_plan"]["where"]
    assert "paired SageMaker jobs" in records["tf-bench"]["benchmark_plan"]["where"]
    assert "tree library" in records["trees"]["unblock"]


def test_saved_json_brings_both_back_for_report(analysis: Analysis, tmp_path: Path) -> None:
    saved = tmp_path / "analysis.json"
    api.emit(analysis, "json", saved)
    loaded = api.load_analysis(saved)
    for col in ("unblock", "plan_where"):
        before = analysis.table[col].astype(object).where(analysis.table[col].notna(), None).tolist()
        after = loaded.table[col].astype(object).where(loaded.table[col].notna(), None).tolist()
        assert after == before, col
    for fmt in ("json", "csv", "markdown", "html"):
        assert api.render(loaded, fmt) == api.render(analysis, fmt), fmt


def test_csv_has_both_columns(analysis: Analysis, records: dict[str, dict[str, Any]]) -> None:
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(api.render(analysis, "csv")))}
    header = list(next(iter(rows.values())))
    assert header.index("unblock") == header.index("main_reason") + 1
    assert header.index("plan_where") == header.index("plan_command") - 1
    for name, r in records.items():
        assert rows[name]["unblock"] == (r["unblock"] or ""), name
        plan = r["benchmark_plan"] or {}
        assert rows[name]["plan_where"] == (plan.get("where") or ""), name


def test_markdown_shows_the_remedy_and_where_each_benchmark_runs(
    analysis: Analysis, records: dict[str, dict[str, Any]]
) -> None:
    text = api.render(analysis, "markdown")
    appendix = text[text.index("## Appendix: not pursued") :]
    plans = text[text.index("## Benchmark plans") : text.index("## Appendix: not pursued")]
    for name, r in records.items():
        if r["decision"] == "skip":
            row = next(line for line in appendix.splitlines() if line.startswith(f"| {md(name)} |"))
            assert md(r["main_reason"]) in row and md(r["unblock"]) in row, row
        if r["decision"] == "benchmark":
            row = next(line for line in plans.splitlines() if line.startswith(f"| {md(name)} |"))
            assert md(r["benchmark_plan"]["where"]) in row and md(r["benchmark_plan"]["command"]) in row


def test_html_shows_the_remedy_and_where_each_benchmark_runs(
    analysis: Analysis, records: dict[str, dict[str, Any]]
) -> None:
    page = read(api.render(analysis, "html"))
    shown = {(f.workload, f.field): (json.loads(f.value), f.text) for f in page.figures}
    for name, r in records.items():
        if r["decision"] == "skip":
            assert shown[(name, "unblock")] == (r["unblock"], r["unblock"]), name
            assert shown[(name, "main_reason")][0] == r["main_reason"], name
        if r["decision"] == "benchmark":
            where = r["benchmark_plan"]["where"]
            assert shown[(name, "benchmark_plan.where")] == (where, where), name


def test_the_outputs_render_the_saved_remedy_not_one_derived_again(
    analysis: Analysis, tmp_path: Path
) -> None:
    """A saved analysis is rendered as saved: the remedy comes from the record."""
    saved = tmp_path / "analysis.json"
    api.emit(analysis, "json", saved)
    doc = json.loads(saved.read_text(encoding="utf-8"))
    skip = next(w for w in doc["workloads"] if w["name"] == "trees")
    skip["unblock"] = "Move the job to a reviewed remedy X."
    bench = next(w for w in doc["workloads"] if w["name"] == "local-bench")
    bench["benchmark_plan"]["where"] = "on a reviewed host Y"
    saved.write_text(json.dumps(doc), encoding="utf-8")
    for fmt in ("markdown", "html", "csv"):
        out = tmp_path / f"out.{fmt}"
        res = runner.invoke(app, ["report", str(saved), "-f", fmt, "-o", str(out)])
        assert res.exit_code == 0, res.output
        text = out.read_text(encoding="utf-8")
        assert "reviewed remedy X" in text and "reviewed host Y" in text, fmt


def test_a_trimmed_record_names_the_missing_field(analysis: Analysis, tmp_path: Path) -> None:
    saved = tmp_path / "analysis.json"
    api.emit(analysis, "json", saved)
    doc = json.loads(saved.read_text(encoding="utf-8"))
    doc["workloads"][0].pop("unblock")
    saved.write_text(json.dumps(doc), encoding="utf-8")
    res = runner.invoke(app, ["report", str(saved), "-f", "markdown"])
    assert res.exit_code == 2 and "workloads[0].unblock: required field is missing" in res.stderr
