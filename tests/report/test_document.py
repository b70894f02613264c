"""The typed document: every JSON output reads back through AnalysisDocument, and a
trimmed or hand-edited file is one line naming the file and the field, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from fitcheck.core.document import AnalysisDocument
from tests.report.conftest import EXAMPLE, NOW

runner = CliRunner()


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("doc") / "analysis.json"
    api.emit(api.analyze(EXAMPLE, now=NOW), "json", path)
    return path


def test_the_json_output_is_the_document_model(saved: Path) -> None:
    text = saved.read_text(encoding="utf-8")
    doc = AnalysisDocument.model_validate_json(text)
    assert len(doc.workloads) == len(api.analyze(EXAMPLE, now=NOW).table) >= 13
    assert json.loads(doc.model_dump_json(exclude_none=False)) | {"rollup": None} == json.loads(text) | {
        "rollup": None
    }  # nothing outside the model
    t = doc.totals
    assert t.not_pursued.savings_per_year_usd is None and t.not_pursued.net_first_year_usd is None
    assert doc.provenance is not None and len(doc.provenance.inventory_sha256 or "") == 64


def test_saved_analysis_re_renders_identically(saved: Path) -> None:
    again = api.render(api.load_analysis(saved), "json")
    assert again == saved.read_text(encoding="utf-8")


def _edit(saved: Path, tmp_path: Path, change: object) -> Path:
    doc = json.loads(saved.read_text(encoding="utf-8"))
    change(doc)  # type: ignore[operator]
    out = tmp_path / "edited.json"
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


CASES = [
    (lambda d: d.pop("totals"), "totals: required field is missing"),
    (lambda d: d["workloads"][2].pop("decision"), "workloads[2].decision: required field is missing"),
    (
        lambda d: d["workloads"][1].update(cost_per_year_usd="lots"),
        "workloads[1].cost_per_year_usd: input should be a valid number",
    ),
    (lambda d: d["workloads"][0].update(decision="maybe"), "workloads[0].decision: input should be"),
    (
        lambda d: d["workloads"][0]["inputs"].update(duration_hours=1e300),
        "workloads[0].inputs.duration_hours",
    ),
    (
        lambda d: d["totals"]["committed"].update(extra=1),
        "totals.committed.extra: extra inputs are not permitted",
    ),
    (lambda d: d["workloads"][0].update(score=101), "workloads[0].score: input should be less than or equal"),
]


@pytest.mark.parametrize(("change", "message"), CASES)
def test_hand_edited_file_is_one_line_naming_the_field(
    saved: Path, tmp_path: Path, change: object, message: str
) -> None:
    path = _edit(saved, tmp_path, change)
    result = runner.invoke(app, ["report", str(path), "-f", "markdown"])
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in result.output
    assert str(path) in err and message in err, err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"workloads": [', "malformed JSON"),
        ("[1, 2]", "not a fitcheck analysis"),
        ('{"a": NaN}', ""),
    ],
)
def test_not_an_analysis_is_bad_input(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["report", str(path), "-f", "json"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(path) in result.stderr and message in result.stderr


def test_non_finite_numbers_are_refused(saved: Path, tmp_path: Path) -> None:
    text = saved.read_text(encoding="utf-8")
    doc = json.loads(text)
    value = doc["workloads"][0]["cost_per_year_usd"]
    bad = text.replace(f'"cost_per_year_usd": {json.dumps(value)}', '"cost_per_year_usd": Infinity', 1)
    assert bad != text
    path = tmp_path / "inf.json"
    path.write_text(bad, encoding="utf-8")
    result = runner.invoke(app, ["report", str(path), "-f", "json"])
    assert result.exit_code == 2, result.output
    assert "workloads[0].cost_per_year_usd" in result.stderr


def test_json_is_written_in_bounded_pieces(tmp_path: Path) -> None:
    """12,000 workloads: the JSON comes out a chunk of records at a time (memory bounded by
    one chunk, not by the inventory) and reads back through the model."""
    import pandas as pd

    from fitcheck.core.analysis import Analysis
    from fitcheck.core.records import CHUNK
    from fitcheck.formats.json_format import JsonFormatter

    base = api.analyze(EXAMPLE, now=NOW)
    one = base.with_messages()
    copies = -(-12_000 // len(one))
    frames = [one.assign(name=[f"{n}-{k}" for n in one["name"]]) for k in range(copies)]
    big = Analysis(pd.concat(frames, ignore_index=True), base.meta)
    pieces = list(JsonFormatter().stream(big))
    record_pieces = [p for p in pieces if '{"name": ' in p]
    assert len(record_pieces) == -(-len(big.table) // CHUNK) >= 3
    biggest = max(len(p) for p in pieces)
    assert biggest < len("".join(pieces)) / 2  # no piece holds the document
    doc = AnalysisDocument.model_validate_json("".join(pieces))
    assert [w.name for w in doc.workloads] == list(big.table["name"])


def test_many_distinct_price_overrides_and_groups_still_render_json(tmp_path: Path) -> None:
    """Every distinct override price is its own price-catalog row, and every distinct tag value
    its own group: 10,001 of each is a valid document, not an internal fault."""
    n = 10_001
    rows = ["name,framework,model,instance_type,duration_hours,runs_per_week,hourly_price_usd,tags"]
    rows += [
        f"job-{i},pytorch,bert-base-uncased,ml.g5.2xlarge,2,1,{1 + i / 10_000:.4f},team=t{i}"
        for i in range(n)
    ]
    inventory = tmp_path / "many.csv"
    inventory.write_text("\n".join(rows) + "\n")
    out = tmp_path / "many.json"
    result = CliRunner().invoke(
        app, ["analyze", str(inventory), "-f", "json", "-o", str(out), "--group-by", "team"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert len(doc["price_catalog"]["instances"]) == n
    assert len(doc["rollup"]) >= n
