"""The one results model: written by the producers, read back by ``analyze --bench`` through it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from fitcheck.core.analysis import EVIDENCE_COLUMNS
from fitcheck.core.benchresult import BenchResults, Comparison
from fitcheck.errors import InputError
from fitcheck.io.evidence import evidence_table, load_bench_results, load_evidence
from tests.bench_files import write_bench_results
from tests.conftest import EXAMPLES, NOW

INVENTORY = EXAMPLES / "workloads.yaml"
WORKLOAD = "llm-sft-weekly"
ROOT = Path(__file__).resolve().parents[2]


def _analyze(*bench: Path) -> tuple[int, str]:
    args = ["analyze", str(INVENTORY), "-f", "json"]
    for b in bench:
        args += ["--bench", str(b)]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def _edited(tmp_path: Path, edit) -> Path:
    good = write_bench_results(tmp_path / "good.json", WORKLOAD, (1.25, 1.30, 1.35))
    doc = json.loads(good.read_text())
    edit(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    return bad


def test_written_file_reads_back_equal(tmp_path: Path) -> None:
    path = write_bench_results(tmp_path / "r.json", WORKLOAD, (1.25, 1.30, 1.35))
    loaded = load_bench_results(path)
    assert loaded == BenchResults.model_validate_json(path.read_text())
    assert loaded.comparisons[0].measurement == "interval"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["comparisons"][0].pop("measurement"), "comparisons[0].measurement: missing"),
        (lambda d: d["comparisons"][0].update(speedup_pct=30), "comparisons[0].speedup_pct: unknown field"),
        (lambda d: d["host"].update(gpu="A100"), "host.gpu: unknown field"),
        (lambda d: d["comparisons"][0]["speedup"].update(mid="fast"), "comparisons[0].speedup.mid: 'fast'"),
        (
            lambda d: d["comparisons"][0].update(blocks=3),
            "comparisons[0]: an interval needs at least 10 paired blocks, got 3",
        ),
        (lambda d: d["comparisons"][0].update(compiler="tvm"), "comparisons[0].compiler: 'tvm'"),
        (lambda d: d["comparisons"][0].update(candidate="ghost"), "names backend 'ghost'"),
        (
            lambda d: d["backends"]["eager"].update(step_seconds=[-1.0]),
            "backends.eager.step_seconds[0]: -1.0",
        ),
    ],
)
def test_trimmed_or_hand_edited_file_is_a_field_error_exit_2(tmp_path: Path, edit, message: str) -> None:
    code, out = _analyze(_edited(tmp_path, edit))
    assert code == 2, out
    assert "bad.json" in out and message in out, out
    assert "Traceback" not in out


def test_non_finite_numbers_are_refused(tmp_path: Path) -> None:
    good = write_bench_results(tmp_path / "good.json", WORKLOAD, (1.25, 1.30, 1.35))
    bad = tmp_path / "bad.json"
    bad.write_text(good.read_text().replace('"compile_seconds": 95.0', '"compile_seconds": Infinity', 1))
    code, out = _analyze(bad)
    assert code == 2 and "bad.json" in out and "Traceback" not in out, out
    with pytest.raises(
        InputError, match=r"bad\.json: backends\.inductor\.compile_seconds: inf: Input should be a finite"
    ):
        load_bench_results(bad)


def test_an_insufficient_result_is_no_measurement_and_says_why(tmp_path: Path) -> None:
    path = write_bench_results(
        tmp_path / "short.json", WORKLOAD, (1.5, 1.5, 1.5), blocks=2, stopped_because="max_seconds"
    )
    result = api.analyze(INVENTORY, bench_paths=[path], now=NOW)
    row = result.table.set_index("name").loc[WORKLOAD]
    assert row["evidence"] == "prior" and row["decision"] == "benchmark"
    unmatched = result.meta["unmatched_bench_results"]
    assert len(unmatched) == 1 and unmatched[0]["workload"] == WORKLOAD
    assert "insufficient: 2 paired blocks" in unmatched[0]["why"] and "max_seconds" in unmatched[0]["why"]
    assert result.meta["evidence"]["measurements"] == []


def test_a_single_run_and_a_failed_candidate_are_no_measurement(tmp_path: Path) -> None:
    path = write_bench_results(tmp_path / "r.json", WORKLOAD, (1.25, 1.30, 1.35))
    doc = json.loads(path.read_text())
    single = {**doc["comparisons"][0], "measurement": "single-run", "speedup": None, "blocks": 0}
    failed = {**doc["comparisons"][0], "measurement": "failed", "speedup": None, "stopped_because": "failed"}
    doc["comparisons"] = [single, failed]
    path.write_text(json.dumps(doc))
    usable, unusable = load_evidence([path])
    assert usable == []
    whys = [u["why"] for u in unusable]
    assert "single pair of runs" in whys[0] and "failed" in whys[1]


def test_a_measurement_keeps_the_evidence_columns_first(tmp_path: Path) -> None:
    path = write_bench_results(tmp_path / "r.json", WORKLOAD, (1.25, 1.30, 1.35))
    usable, unusable = load_evidence([path])
    table = evidence_table(usable)
    assert list(table.columns[: len(EVIDENCE_COLUMNS)]) == list(EVIDENCE_COLUMNS)
    assert table.loc[0, "measurement"] == "interval" and table.loc[0, "blocks"] == 30
    assert unusable == []


def test_a_speedup_without_an_interval_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="carries no speedup interval"):
        Comparison.model_validate(
            {
                "baseline": "eager",
                "candidate": "inductor",
                "compiler": "torch.compile",
                "measurement": "insufficient",
                "speedup": {"low": 1.0, "mid": 1.1, "high": 1.2},
                "speedup_basis": "x",
                "blocks": 3,
                "stopped_because": "max_seconds",
            }
        )


def test_the_model_and_the_reader_import_no_torch() -> None:
    code = (
        "import sys, fitcheck.core.benchresult, fitcheck.io.evidence, fitcheck.bench.results;"
        "bad = [m for m in ('torch', 'fitcheck.bench.runner') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
