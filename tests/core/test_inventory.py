"""YAML, CSV and Parquet inventories read to the same table and the same decisions."""

from __future__ import annotations

import pandas as pd
import pytest

from fitcheck import api
from fitcheck.io.inventory import load_inventory
from tests.conftest import EXAMPLES, NOW


@pytest.fixture(scope="module")
def yaml_table():
    return load_inventory(EXAMPLES / "workloads.yaml")


def test_defaults_apply_and_types_are_normalised(yaml_table):
    assert set(yaml_table["region"]) == {"us-east-1"}
    assert yaml_table["framework_version"].iloc[0] == "2.3"
    assert yaml_table["instance_count"].dtype == "float64"


def test_csv_and_parquet_give_the_same_decisions_as_yaml(tmp_path):
    from fitcheck.core.records import to_records

    base = api.analyze(EXAMPLES / "workloads.yaml", now=NOW)
    records = to_records(base)
    rows = []
    for r in records:
        row = {"name": r["name"], **{k: v for k, v in r["inputs"].items() if v is not None}}
        row["tags"] = ";".join(f"{k}={v}" for k, v in r["tags"].items())
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "w.csv", index=False)
    frame.to_parquet(tmp_path / "w.parquet")
    for path in (tmp_path / "w.csv", tmp_path / "w.parquet"):
        other = api.analyze(path, now=NOW)
        cols = ["name", "decision", "compiler", "score", "savings_per_year_usd_mid", "tags"]
        pd.testing.assert_frame_equal(base.table[cols], other.table[cols])


def test_csv_tags_accept_json_objects(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(
        "name,framework,model,instance_type,duration_hours,runs_per_week,tags\n"
        'a,pytorch,gpt2,ml.g5.2xlarge,6,3,"{""team"": ""nlp""}"\n'
    )
    assert load_inventory(path)["tags"].iloc[0] == '{"team": "nlp"}'
