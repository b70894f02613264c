"""YAML, CSV and Parquet inventories read to the same table and the same decisions."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitcheck import api
from fitcheck.io.inventory import load_inventory
from tests.conftest import EXAMPLES, NOW, TODAY


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


# --- one validator: the same inventory as YAML, CSV and Parquet gives the same analysis -------

_TEXT = (
    st.text(
        alphabet=st.characters(categories=("L", "N", "P", "S"), max_codepoint=0x2FFF) | st.just(" "),
        min_size=1,
        max_size=24,
    )
    .map(str.strip)
    .filter(bool)
)
_MODELS = st.sampled_from(["bert-base-uncased", "gpt2", "resnet50", "t5-small", "xgboost ranker"]) | _TEXT


@st.composite
def _workload(draw, name: str, instance_types: list[str]) -> dict:
    w = {
        "name": name,
        "framework": draw(st.sampled_from(["pytorch", "tensorflow", "jax", "xgboost", "other"])),
        "framework_version": draw(st.none() | st.sampled_from(["2.3", "1.13.1", "2.10", "1.12.0", "NA"])),
        "model": draw(_MODELS),
        "instance_type": draw(st.sampled_from(instance_types)),
        "instance_count": draw(st.none() | st.integers(1, 64)),
        "duration_hours": draw(st.floats(0.01, 200, allow_nan=False)),
        "runs_per_week": draw(st.floats(0.05, 50, allow_nan=False)),
        "precision": draw(st.none() | st.sampled_from(["fp32", "fp16", "bf16", "tf32", "unknown"])),
        "input_shapes": draw(st.none() | st.sampled_from(["static", "dynamic", "unknown"])),
        "batch_size": draw(st.none() | st.integers(1, 4096)),
        "distribution": draw(st.none() | st.sampled_from(["none", "ddp", "fsdp", "smddp"])),
        "gpu_utilization": draw(st.none() | st.floats(0, 1)),
        "debugger": draw(st.none() | st.booleans()),
        "spot": draw(st.none() | st.booleans()),
        "spot_discount": draw(st.none() | st.floats(0, 0.9)),
        "hourly_price_usd": draw(st.none() | st.floats(0.01, 500)),
        "tags": draw(st.dictionaries(_TEXT, _TEXT | st.just(""), max_size=3)),
    }
    return w


@st.composite
def _inventory(draw, instance_types: list[str], min_size: int = 1, max_size: int = 6) -> list[dict]:
    names = draw(st.lists(_TEXT, min_size=min_size, max_size=max_size, unique=True))
    return [draw(_workload(n, instance_types)) for n in names]


def _write_all(workloads: list[dict], folder) -> list:
    from ruamel.yaml import YAML

    yaml_doc = {
        "version": 1,
        "workloads": [{k: v for k, v in w.items() if v is not None and v != {}} for w in workloads],
    }
    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style = False
    with open(folder / "w.yaml", "w", encoding="utf-8") as fh:
        writer.dump(yaml_doc, fh)
    rows = [{**w, "tags": json.dumps(w["tags"]) if w["tags"] else None} for w in workloads]
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / "w.csv", index=False)
    frame.to_parquet(folder / "w.parquet")
    return [folder / "w.yaml", folder / "w.csv", folder / "w.parquet"]


@pytest.fixture(scope="module")
def instance_types(profile):
    return list(profile.instances.index)


def _source_free(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if not c.startswith("_")]].reset_index(drop=True)


def test_the_same_inventory_as_yaml_csv_and_parquet_loads_to_the_same_table(instance_types, tmp_path_factory):
    @settings(max_examples=100, deadline=timedelta(seconds=10), derandomize=True, database=None)
    @given(_inventory(instance_types))
    def check(workloads):
        folder = tmp_path_factory.mktemp("same")
        frames = [_source_free(load_inventory(p)) for p in _write_all(workloads, folder)]
        assert frames[0]["name"].tolist() == [w["name"] for w in workloads]
        assert frames[0]["tags"].tolist() == [json.dumps(w["tags"], sort_keys=True) for w in workloads]
        pd.testing.assert_frame_equal(frames[0], frames[1])
        pd.testing.assert_frame_equal(frames[0], frames[2])

    check()


def test_the_same_inventory_as_yaml_csv_and_parquet_gives_the_same_analysis(
    profile, instance_types, tmp_path_factory
):
    from fitcheck.core.analysis import analyze_inventory

    @settings(
        max_examples=5,
        deadline=timedelta(seconds=30),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
        database=None,
    )
    @given(_inventory(instance_types, min_size=5, max_size=25))
    def check(workloads):
        folder = tmp_path_factory.mktemp("same")
        tables = [
            _source_free(analyze_inventory(load_inventory(p), profile, TODAY).table)
            for p in _write_all(workloads, folder)
        ]
        assert tables[0]["name"].tolist() == [w["name"] for w in workloads]
        pd.testing.assert_frame_equal(tables[0], tables[1])
        pd.testing.assert_frame_equal(tables[0], tables[2])

    check()
