"""Fixtures for the report tests: a fixed clock, the example analysis, a benchmark
results file (built with the results model), and an inventory whose names, models and
tags are HTML."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.bench_files import write_bench_results

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "workloads.yaml"
ARTIFACTS = ROOT / "test-artifacts" / "report"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_MODEL = '<img src="https://evil.example/x.png" onerror="alert(2)">'
HOSTILE_TAG = "</td><script>alert(3)</script>"
BIDI_NAME = "invoice\u202egnp.exe"
LONG_NAME = "an-unbroken-workload-name-" * 7


@pytest.fixture
def bench_file(tmp_path: Path) -> Path:
    return write_bench_results(tmp_path / "llm-sft-bench.json", "llm-sft-weekly", (1.21, 1.24, 1.27))


@pytest.fixture
def hostile_inventory(tmp_path: Path) -> Path:
    """One workload whose name, model and tags are markup; a second one that is harmless."""
    doc = {
        "version": 1,
        "workloads": [
            {
                "name": HOSTILE_NAME,
                "framework": "pytorch",
                "framework_version": "2.3",
                "model": HOSTILE_MODEL,
                "instance_type": "ml.g5.48xlarge",
                "instance_count": 2,
                "duration_hours": 6,
                "runs_per_week": 5,
                "precision": "fp16",
                "input_shapes": "static",
                "batch_size": 32,
                "gpu_utilization": 0.93,
                "tags": {"team": HOSTILE_TAG, 'o"wner': "a&b $x$ 'q'"},
            },
            {
                "name": BIDI_NAME,
                "framework": "pytorch",
                "model": "[x](javascript:alert(4)) =HYPERLINK(1) " + LONG_NAME,
                "instance_type": "ml.g5.48xlarge",
                "duration_hours": 6,
                "runs_per_week": 5,
                "precision": "fp16",
                "input_shapes": "static",
                "tags": {"team": "[red]x[/red]|a", "owner": LONG_NAME},
            },
            {
                "name": LONG_NAME,
                "framework": "pytorch",
                "model": "bert-base-uncased",
                "instance_type": "ml.g5.48xlarge",
                "duration_hours": 6,
                "runs_per_week": 1,
            },
            {
                "name": "plain-bert",
                "framework": "pytorch",
                "framework_version": "2.3",
                "model": "bert-base-uncased",
                "instance_type": "ml.g5.48xlarge",
                "instance_count": 2,
                "duration_hours": 6,
                "runs_per_week": 5,
                "precision": "fp16",
                "input_shapes": "static",
                "batch_size": 32,
                "gpu_utilization": 0.93,
            },
        ],
    }
    path = tmp_path / "hostile.yaml"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")  # JSON is valid YAML
    return path


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium. Missing: skipped locally, a failure when CI is set."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = []
    if path is None:
        missing.append("the chromium browser (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if _ci():
            pytest.fail(message + "; CI is set, so this is a failure, not a skip")
        pytest.skip(message)
    assert path is not None
    return path


@pytest.fixture(scope="session")
def inventory_200(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 workloads: the example's workloads repeated with different names, run counts and teams."""
    from ruamel.yaml import YAML

    base = YAML(typ="safe").load(EXAMPLE.read_text(encoding="utf-8"))
    workloads = []
    for i in range(200):
        w = dict(base["workloads"][i % len(base["workloads"])])
        w["name"] = f"{w['name']}-{i:03d}"
        w["runs_per_week"] = float(w["runs_per_week"]) * (0.5 + (i % 7) / 4)
        w["tags"] = {"team": f"team-{i % 9}"}
        workloads.append(w)
    path = tmp_path_factory.mktemp("inv200") / "inventory-200.yaml"
    path.write_text(json.dumps({"version": 1, "workloads": workloads}, indent=1), encoding="utf-8")
    return path
