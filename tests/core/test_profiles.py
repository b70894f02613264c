"""A reviewer changes a threshold by editing a file; bad profile files are reported clearly."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from fitcheck.io.profiles import default_profile_dir
from tests.conftest import EXAMPLES, NOW


def _copy(tmp_path):
    target = tmp_path / "myprofile"
    shutil.copytree(default_profile_dir(), target)
    return target


def test_the_catalog_carries_every_reference_row_with_its_source(profile):
    assert len(profile.instances) == 48
    assert profile.instances["instance_type"].is_unique
    for col in ("price_source", "price_date"):
        assert (profile.instances[col].str.strip() != "").all(), col
    assert (profile.instances["price_usd_per_hour"] > 0).all()
    assert profile.instances.loc["ml.p4d.24xlarge", "smddp_supported"]
    assert profile.instances.loc["ml.g5.2xlarge", "stc_tested"]
    assert not profile.instances.loc["ml.g6.2xlarge", "stc_tested"]
    assert len(profile.tested_models) == 235


def test_lowering_the_savings_floor_in_a_file_changes_the_decision(tmp_path):
    base = api.analyze(EXAMPLES / "workloads.yaml", now=NOW)
    before = dict(zip(base.table["name"], base.table["decision"], strict=True))
    assert before["resnet50-defects"] == "skip"
    prof = _copy(tmp_path)
    policy = prof / "policy.yaml"
    policy.write_text(
        policy.read_text().replace("min_annual_savings_usd: 5000", "min_annual_savings_usd: 500")
    )
    after = api.analyze(EXAMPLES / "workloads.yaml", profile_dir=prof, now=NOW)
    decided = dict(zip(after.table["name"], after.table["decision"], strict=True))
    assert decided["distilbert-nightly-eval"] == "skip"  # $76/yr still under $500
    assert decided["resnet50-defects"] == "benchmark"  # $1,035/yr optimistic now clears $500


def test_a_bad_threshold_names_the_file_line_and_field(tmp_path):
    prof = _copy(tmp_path)
    policy = prof / "policy.yaml"
    policy.write_text(policy.read_text().replace("gpu_utilization_min: 0.70", "gpu_utilization_min: 70"))
    result = CliRunner().invoke(app, ["analyze", str(EXAMPLES / "workloads.yaml"), "--profile", str(prof)])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert f"{policy}:" in line and "thresholds.gpu_utilization_min" in line
    assert "less than or equal to 1" in line


def test_prior_entries_must_be_ordered(tmp_path):
    prof = _copy(tmp_path)
    policy = prof / "policy.yaml"
    policy.write_text(
        policy.read_text().replace("speedup: [1.15, 1.35, 1.55]", "speedup: [1.55, 1.35, 1.15]")
    )
    result = CliRunner().invoke(app, ["analyze", str(EXAMPLES / "workloads.yaml"), "--profile", str(prof)])
    assert result.exit_code == 2
    assert "low <= mid <= high" in result.stderr


def test_live_prices_from_prices_refresh_replace_the_catalog(tmp_path):
    """The file 'fitcheck prices refresh' writes is what 'analyze --prices' reads."""
    from fitcheck.aws.prices import Price, render_prices_csv

    folder = tmp_path / "prices"
    folder.mkdir()
    live = Price("ml.g5.48xlarge", "us-east-1", 18.50, "SKU123", "2026-11-01", "USE1-Train:ml.g5.48xlarge")
    (folder / "prices.csv").write_text(render_prices_csv([live]))
    base = api.analyze(EXAMPLES / "workloads.yaml", now=NOW).table.set_index("name")
    after = api.analyze(EXAMPLES / "workloads.yaml", prices_dir=folder, now=NOW)
    row = after.table.set_index("name").loc["bert-doc-classifier"]
    assert row["hourly_price_usd"] == 18.50
    assert "SKU123" in row["price_source"] and row["price_date"] == "2026-11-01"
    assert not row["price_stale"]
    assert row["cost_per_year_usd"] < base.loc["bert-doc-classifier", "cost_per_year_usd"]
    assert "live prices" in after.meta["price_catalog"]["note"]
    # instance types the live file does not price keep the dated catalog price
    assert after.table.set_index("name").loc["resnet50-defects", "price_date"] == "2021-11-29"


def test_a_missing_price_folder_is_bad_input(tmp_path):
    result = CliRunner().invoke(
        app, ["analyze", str(EXAMPLES / "workloads.yaml"), "--prices", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 2
    assert "price folder does not exist" in result.stderr
