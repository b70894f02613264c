"""Prices per (instance type, region): a workload is priced in its own region, never at another
region's rate; a missing region price is one input error naming the workload, the instance
type, the region, the regions that have a price and the fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from fitcheck.core.context import categorical, has_price, lookup_pairs, price_facts, unpriced
from fitcheck.errors import InputError
from fitcheck.io.profiles import PRICE_COLUMNS, default_profile_dir, load_profile
from tests.conftest import EXAMPLES, NOW, TODAY
from tests.core.test_expert_cases import SEED

G5 = "ml.g5.2xlarge"
G5_US_EAST_1 = 1.515  # the bundled catalog's price (profiles/default/instances.csv)


def _inventory(path: Path, *workloads: dict) -> Path:
    """A YAML inventory, one workload per line (line 3 is workloads[0])."""
    lines = ["version: 1", "workloads:"]
    for w in workloads:
        fields = {
            "framework": "pytorch",
            "framework_version": "2.3",
            "model": "bert-base-uncased",
            "instance_type": G5,
            "duration_hours": 4,
            "runs_per_week": 2,
            **w,
        }
        lines.append("  - {" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _prices(folder: Path, *rows: tuple[str, str, float, str]) -> Path:
    """A price folder: rows of (instance type, region, $/h, basis)."""
    folder.mkdir(exist_ok=True)
    body = "".join(f"{t},{r},{usd},{basis},test source {r},2026-11-01\n" for t, r, usd, basis in rows)
    (folder / "prices.csv").write_text(",".join(PRICE_COLUMNS) + "\n" + body)
    return folder


def _cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


# --- the same instance type in several regions ------------------------------------------------


def test_the_same_instance_type_is_priced_in_each_workloads_region(tmp_path):
    inv = _inventory(
        tmp_path / "w.yaml",
        {"name": "w-us", "region": "us-east-1"},
        {"name": "w-eu", "region": "eu-west-1"},
        {"name": "w-tokyo", "region": "ap-northeast-1", "instance_count": 2},
    )
    prices = _prices(
        tmp_path / "prices",
        (G5, "eu-west-1", 1.69, "training on-demand eu-west-1"),
        (G5, "ap-northeast-1", 1.97, "training on-demand ap-northeast-1"),
    )
    result = api.analyze(inv, prices_dir=prices, now=NOW)
    t = result.table.set_index("name")
    hourly = t["hourly_price_usd"].to_dict()
    print("hourly price per workload:", hourly)
    assert hourly == {"w-us": G5_US_EAST_1, "w-eu": 1.69, "w-tokyo": 1.97}
    # the whole cost follows: duration x instances x the region's price
    assert t.loc["w-eu", "cost_per_run_usd"] == pytest.approx(4 * 1 * 1.69)
    assert t.loc["w-tokyo", "cost_per_run_usd"] == pytest.approx(4 * 2 * 1.97)
    assert t.loc["w-us", "cost_per_run_usd"] == pytest.approx(4 * 1 * G5_US_EAST_1)
    assert t.loc["w-eu", "price_source"] == "test source eu-west-1"
    # the price catalog lists each (instance type, region) used; the basis names the region
    rows = result.meta["price_catalog"]["instances"]
    assert [(r["instance_type"], r["price_usd_per_hour"], r["price_basis"]) for r in rows] == [
        (G5, G5_US_EAST_1, "training on-demand us-east-1"),
        (G5, 1.69, "training on-demand eu-west-1"),
        (G5, 1.97, "training on-demand ap-northeast-1"),
    ]
    assert "eu-west-1" in result.meta["price_catalog"]["note"]


def test_a_live_price_of_another_region_never_prices_a_workload(tmp_path):
    """A live eu-west-1 price does not replace the us-east-1 price of a us-east-1 workload."""
    inv = _inventory(tmp_path / "w.yaml", {"name": "w-us", "region": "us-east-1"})
    prices = _prices(tmp_path / "prices", (G5, "eu-west-1", 9.99, "training on-demand eu-west-1"))
    t = api.analyze(inv, prices_dir=prices, now=NOW).table
    assert t["hourly_price_usd"].tolist() == [G5_US_EAST_1]
    assert t["price_date"].tolist() == ["2026-08-20"]  # the catalog's date, not the live file's


def test_a_live_price_of_the_same_region_replaces_the_catalogs(tmp_path):
    inv = _inventory(tmp_path / "w.yaml", {"name": "w-us"})  # region defaults to us-east-1
    prices = _prices(tmp_path / "prices", (G5, "us-east-1", 1.40, "training on-demand us-east-1"))
    t = api.analyze(inv, prices_dir=prices, now=NOW).table
    assert t["hourly_price_usd"].tolist() == [1.40]
    assert t["price_source"].tolist() == ["test source us-east-1"]


def test_a_basis_that_omits_the_region_shows_it(tmp_path):
    inv = _inventory(tmp_path / "w.yaml", {"name": "w-eu", "region": "eu-west-1"})
    prices = _prices(tmp_path / "prices", (G5, "eu-west-1", 1.69, "on-demand"))
    rows = api.analyze(inv, prices_dir=prices, now=NOW).meta["price_catalog"]["instances"]
    assert [r["price_basis"] for r in rows] == ["on-demand (eu-west-1)"]


def test_the_json_output_carries_the_region_with_the_price(tmp_path):
    inv = _inventory(tmp_path / "w.yaml", {"name": "w-eu", "region": "eu-west-1"})
    prices = _prices(tmp_path / "prices", (G5, "eu-west-1", 1.69, "training on-demand eu-west-1"))
    out = tmp_path / "a.json"
    res = _cli("analyze", inv, "--prices", prices, "--format", "json", "--output", out)
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    (w,) = doc["workloads"]
    assert (w["inputs"]["region"], w["hourly_price_usd"], w["price_source"]) == (
        "eu-west-1",
        1.69,
        "test source eu-west-1",
    )
    assert doc["price_catalog"]["instances"][0]["price_basis"] == "training on-demand eu-west-1"


# --- a region without a price -----------------------------------------------------------------


def test_a_missing_region_price_is_one_input_error_naming_region_and_fix(tmp_path):
    inv = _inventory(
        tmp_path / "w.yaml",
        {"name": "w-us", "region": "us-east-1"},
        {"name": "w-frankfurt", "region": "eu-central-1"},
        {"name": "w-frankfurt-2", "region": "eu-central-1"},
    )
    prices = _prices(tmp_path / "prices", (G5, "eu-west-1", 1.69, "training on-demand eu-west-1"))
    out = tmp_path / "a.json"
    res = _cli("analyze", inv, "--prices", prices, "--format", "json", "--output", out)
    assert res.exit_code == 2
    print(res.stderr)
    assert res.stderr == (
        f"error: {inv}:4: workloads[1].region: workload 'w-frankfurt' (ml.g5.2xlarge) runs in region "
        "'eu-central-1', where no price for ml.g5.2xlarge is known (prices for it: eu-west-1, us-east-1; "
        "1 more workload lacks a price in its region); fetch that region's prices with "
        "'fitcheck prices refresh --region eu-central-1' and pass the folder with --prices, or set "
        "hourly_price_usd for the workload\n"
    )
    assert not out.exists()


def test_without_live_prices_only_the_catalog_region_is_priced(tmp_path):
    inv = _inventory(tmp_path / "w.yaml", {"name": "w-eu", "region": "eu-west-1"})
    res = _cli("analyze", inv)
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {inv}:3: workloads[0].region: workload 'w-eu' (ml.g5.2xlarge)")
    assert "(prices for it: us-east-1)" in res.stderr
    assert "'fitcheck prices refresh --region eu-west-1'" in res.stderr
    assert len(res.stderr.splitlines()) == 1 and "Traceback" not in res.output


def test_a_csv_inventory_names_the_row(tmp_path):
    inv = tmp_path / "w.csv"
    inv.write_text(
        "name,framework,model,instance_type,duration_hours,runs_per_week,region\n"
        f"a,pytorch,bert-base-uncased,{G5},1,1,us-east-1\n"
        f"b,pytorch,bert-base-uncased,{G5},1,1,sa-east-1\n"
    )
    res = _cli("analyze", inv)
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {inv}: row 2: region: workload 'b' (ml.g5.2xlarge) runs in region")


def test_the_check_runs_before_any_analysis(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("analysis ran on an unpriced inventory")

    monkeypatch.setattr(api, "analyze_inventory", never)
    inv = _inventory(tmp_path / "w.yaml", {"name": "w-eu", "region": "eu-west-1"})
    with pytest.raises(InputError, match="no price for ml.g5.2xlarge is known"):
        api.analyze(inv, now=NOW)


def test_a_hostile_region_stays_inert_in_the_message(tmp_path):
    inv = tmp_path / "w.yaml"
    inv.write_text(
        "version: 1\nworkloads:\n"
        f"  - {{name: w, framework: pytorch, model: m, instance_type: {G5}, duration_hours: 1, "
        'runs_per_week: 1, region: "eu\\e[31m-x"}\n'
    )
    res = _cli("analyze", inv)
    assert res.exit_code == 2
    assert "\x1b" not in res.stderr and "\\x1b[31m" in res.stderr
    assert len(res.stderr.splitlines()) == 1


def test_the_suggested_command_never_carries_the_users_region_text(tmp_path):
    """A region that is not a region code is shown quoted but never pasted into the command."""
    inv = _inventory(tmp_path / "w.yaml", {"name": "w", "region": '"eu-west-1; rm -rf ~"'})
    res = _cli("analyze", inv)
    assert res.exit_code == 2
    assert "region 'eu-west-1; rm -rf ~'" in res.stderr
    assert "'fitcheck prices refresh --region REGION'" in res.stderr
    ok = _inventory(tmp_path / "v.yaml", {"name": "v", "region": "ap-south-1"})
    assert "'fitcheck prices refresh --region ap-south-1'" in _cli("analyze", ok).stderr


# --- an inventory override needs no region price ----------------------------------------------


def test_an_override_wins_with_or_without_a_region_price(tmp_path):
    inv = _inventory(
        tmp_path / "w.yaml",
        {"name": "w-frankfurt", "region": "eu-central-1", "hourly_price_usd": 3.25},
        {"name": "w-eu", "region": "eu-west-1", "hourly_price_usd": 2.5},
    )
    # no eu-central-1 price anywhere; an eu-west-1 price the override beats
    prices = _prices(tmp_path / "prices", (G5, "eu-west-1", 1.69, "training on-demand eu-west-1"))
    for extra in ({}, {"prices_dir": prices}):
        result = api.analyze(inv, now=NOW, **extra)
        t = result.table.set_index("name")
        assert t["hourly_price_usd"].to_dict() == {"w-frankfurt": 3.25, "w-eu": 2.5}
        assert set(t["price_source"]) == {"inventory override (hourly_price_usd)"}
        rows = result.meta["price_catalog"]["instances"]
        assert [(r["price_usd_per_hour"], r["price_basis"]) for r in rows] == [
            (2.5, "inventory override"),
            (3.25, "inventory override"),
        ]


# --- the price file ---------------------------------------------------------------------------


def test_a_duplicate_pair_in_the_price_file_is_exit_2_with_file_row_and_values(tmp_path):
    inv = _inventory(tmp_path / "w.yaml", {"name": "w-eu", "region": "eu-west-1"})
    prices = _prices(
        tmp_path / "prices",
        (G5, "eu-west-1", 1.69, "training on-demand eu-west-1"),
        (G5, "us-east-1", 1.52, "training on-demand us-east-1"),
        (G5, "eu-west-1", 1.70, "training on-demand eu-west-1"),
    )
    res = _cli("analyze", inv, "--prices", prices)
    assert res.exit_code == 2
    assert res.stderr == (
        f"error: {prices / 'prices.csv'}: row 3: instance_type: 'ml.g5.2xlarge' in region 'eu-west-1' "
        "appears twice (first at row 1); each (instance_type, region) pair may appear once\n"
    )


def test_a_price_file_region_must_be_a_region_code(tmp_path):
    inv = _inventory(tmp_path / "w.yaml", {"name": "w"})
    prices = _prices(tmp_path / "prices", (G5, "Europe (Ireland)", 1.69, "on-demand"))
    res = _cli("analyze", inv, "--prices", prices)
    assert res.exit_code == 2
    assert res.stderr == (
        f"error: {prices / 'prices.csv'}: row 1: region: 'Europe (Ireland)' is not an AWS region code; "
        "allowed: a code such as us-east-1 or eu-west-1\n"
    )


def test_the_catalog_states_its_price_region(tmp_path, profile):
    assert set(profile.instances["price_region"]) == {"us-east-1"}
    assert all("us-east-1" in b for b in profile.instances["price_basis"])
    table = profile.price_table()
    assert not table.duplicated(["instance_type", "region"]).any() and len(table) == len(profile.instances)
    target = tmp_path / "myprofile"
    shutil.copytree(default_profile_dir(), target)
    catalog = target / "instances.csv"
    text = catalog.read_text()
    catalog.write_text(text.replace(",us-east-1,", ",east,", 1))
    res = _cli("analyze", EXAMPLES / "workloads.yaml", "--profile", target)
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {catalog}: row 1: price_region: 'east' is not an AWS region code")


def test_refresh_output_with_two_regions_is_what_analyze_reads(tmp_path):
    from fitcheck.aws.prices import Price, render_prices_csv

    folder = tmp_path / "prices"
    folder.mkdir()
    live = [
        Price(G5, "us-east-1", 1.52, "SKU-US", "2026-11-01", f"USE1-Train:{G5}"),
        Price(G5, "eu-west-1", 1.69, "SKU-EU", "2026-11-01", f"EU-Train:{G5}"),
    ]
    (folder / "prices.csv").write_text(render_prices_csv(live))
    inv = _inventory(tmp_path / "w.yaml", {"name": "a"}, {"name": "b", "region": "eu-west-1"})
    t = api.analyze(inv, prices_dir=folder, now=NOW).table.set_index("name")
    assert t["hourly_price_usd"].to_dict() == {"a": 1.52, "b": 1.69}
    assert "SKU-EU" in t.loc["b", "price_source"] and "SKU-US" in t.loc["a", "price_source"]


# --- the bundled catalog prices us-east-1 as before ---------------------------------------------


def test_the_seed_scenario_is_unchanged():
    from fitcheck.core.analysis import analyze_inventory
    from tests.conftest import inventory_frame

    row = analyze_inventory(inventory_frame(SEED), load_profile(), TODAY).table.iloc[0]
    print(f"seed: {row['decision']} {row['compiler']} ${row['savings_per_year_usd_mid']:,.2f}/year (mid)")
    assert (row["decision"], row["compiler"]) == ("enable", "torch.compile")
    assert round(row["savings_per_year_usd_mid"]) == 34_303
    assert row["hourly_price_usd"] == 20.36


def test_every_us_east_1_example_is_priced_at_the_catalog_price(profile):
    t = api.analyze(EXAMPLES / "workloads.yaml", now=NOW).table
    catalog = t["instance_type"].astype(str).map(profile.instances["price_usd_per_hour"])
    plain = t["hourly_price_override_usd"].isna() & ~t["spot"].astype(bool)
    assert plain.sum() >= 10 and set(t["region"]) == {"us-east-1"}
    assert np.array_equal(t.loc[plain, "hourly_price_usd"].to_numpy(float), catalog[plain].to_numpy(float))


# --- the join at scale: codes, not a per-row loop ------------------------------------------------


def test_the_pair_join_on_200k_rows_matches_a_merge(profile):
    rng = np.random.default_rng(11)
    n = 200_000
    types = list(profile.instances.index)
    regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "sa-east-1"]
    # live prices for a random 60 % of the (type, region) pairs outside us-east-1
    pairs = [(t, r) for t in types for r in regions[1:] if rng.random() < 0.6]
    live = pd.DataFrame(
        {
            "instance_type": [t for t, _ in pairs],
            "region": [r for _, r in pairs],
            "price_usd_per_hour": np.round(rng.uniform(0.2, 90, len(pairs)), 4),
            "price_basis": [f"training on-demand {r}" for _, r in pairs],
            "price_source": [f"src {t} {r}" for t, r in pairs],
            "price_date": "2026-11-01",
        }
    )
    from fitcheck.core.profile import Profile

    prof = Profile(
        profile.name,
        profile.policy,
        profile.instances,
        profile.tested_models,
        prices=pd.concat([profile.price_table(), live], ignore_index=True),
    )
    frame = pd.DataFrame(
        {
            "instance_type": rng.choice(np.array(types, dtype=object), n),
            "region": rng.choice(np.array(regions, dtype=object), n),
        }
    )
    facts = price_facts(prof, TODAY)
    got = lookup_pairs(categorical(frame["instance_type"]), categorical(frame["region"]), facts)
    want = frame.merge(facts.reset_index(), how="left", on=["instance_type", "region"])
    assert len(want) == n
    np.testing.assert_array_equal(got["catalog_price_usd"].to_numpy(float), want["catalog_price_usd"])
    for col in ("price_source", "price_basis", "price_date"):  # a missing pair: no text
        assert got[col].astype(object).fillna("<none>").tolist() == want[col].fillna("<none>").tolist(), col
    missing = unpriced(got["catalog_price_usd"].to_numpy(float), np.full(n, np.nan))
    priced_pairs = set(zip(facts.index.get_level_values(0), facts.index.get_level_values(1), strict=True))
    expected = ~pd.Series(list(zip(frame["instance_type"], frame["region"], strict=True))).isin(priced_pairs)
    np.testing.assert_array_equal(missing, expected.to_numpy())
    # the check before the analysis agrees with the join
    np.testing.assert_array_equal(has_price(frame["instance_type"], frame["region"], prof), ~missing)
    print(f"200k rows: {int(missing.sum())} unpriced, {len(facts)} priced pairs")
    assert 0 < missing.sum() < n
    # text columns come back categorical: shared strings, not one per row
    assert isinstance(got["price_source"].dtype, pd.CategoricalDtype)


def test_a_missing_key_joins_to_nothing():
    table = pd.DataFrame(
        {"v": [1.0, 2.0], "s": ["x", "y"]},
        index=pd.MultiIndex.from_tuples([("a", "r1"), ("b", "r2")]),
    )
    first = categorical(pd.Series(["a", None, "b", "b"], dtype=object))
    second = categorical(pd.Series(["r1", "r1", None, "r2"], dtype=object))
    got = lookup_pairs(first, second, table)
    np.testing.assert_array_equal(got["v"].to_numpy(), [1.0, np.nan, np.nan, 2.0])
    assert got["s"].astype(object).tolist()[0] == "x"
    assert got["s"].isna().tolist() == [False, True, True, False]


def test_the_csv_output_carries_the_region_with_the_price(tmp_path):
    import csv

    inv = _inventory(tmp_path / "w.yaml", {"name": "w-eu", "region": "eu-west-1"}, {"name": "w-us"})
    prices = _prices(tmp_path / "prices", (G5, "eu-west-1", 1.69, "training on-demand eu-west-1"))
    out = tmp_path / "a.csv"
    res = _cli("analyze", inv, "--prices", prices, "--output", out)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    assert [(r["name"], r["region"], r["hourly_price_usd"], r["price_source"]) for r in rows] == [
        ("w-eu", "eu-west-1", "1.69", "test source eu-west-1"),
        ("w-us", "us-east-1", "1.52", "Price List API get-products usagetype USE1-Train:ml.g5.2xlarge"),
    ]


def test_the_generated_multi_region_inventory_needs_its_region_prices():
    """The scale generator's inventory runs in five regions: without prices for four of them it
    is refused; with the synthetic price file each row is priced in its own region."""
    from tests.conftest import ROOT

    inv = ROOT / "tests" / "scale_outputs" / "wide_inventory.csv"
    with pytest.raises(InputError, match="fitcheck prices refresh --region"):
        api.analyze(inv, now=NOW)
    t = api.analyze(inv, prices_dir=ROOT / "tests" / "scale_outputs" / "prices", now=NOW).table
    region = t["region"].astype(str)
    own = t["hourly_price_override_usd"].notna()
    synthetic = t["price_source"].astype(str).str.startswith("synthetic test price")
    print(region.value_counts().to_dict(), f"{int(own.sum())} overrides")
    assert (synthetic == ((region != "us-east-1") & ~own)).all()
    assert region.nunique() == 5


# --- a local benchmark's single-GPU sibling is priced in the workload's region -----------------


def test_the_benchmark_sibling_is_priced_in_the_workloads_region():
    from fitcheck.core.plan import single_gpu_siblings

    profile = load_profile()
    catalog = profile.price_table()
    extra = pd.DataFrame(
        [
            ("ml.g5.xlarge", "eu-west-1", 1.41, "training on-demand eu-west-1", "test", "2026-11-01"),
            ("ml.g5.12xlarge", "eu-west-1", 7.09, "training on-demand eu-west-1", "test", "2026-11-01"),
        ],
        columns=list(catalog.columns),
    )
    prices = pd.concat([catalog, extra], ignore_index=True)
    us = float(
        catalog.set_index(["instance_type", "region"]).loc[
            ("ml.g5.xlarge", "us-east-1"), "price_usd_per_hour"
        ]
    )
    got = single_gpu_siblings(
        profile.instances,
        prices,
        [
            ("ml.g5.12xlarge", "eu-west-1"),
            ("ml.g5.12xlarge", "us-east-1"),
            ("ml.g5.12xlarge", "ap-south-1"),
            ("ml.p4d.24xlarge", "us-east-1"),
        ],
    )
    assert got[("ml.g5.12xlarge", "eu-west-1")] == ("ml.g5.xlarge", 1.41)
    assert got[("ml.g5.12xlarge", "us-east-1")] == ("ml.g5.xlarge", us)
    # no price for any one-GPU A10G in ap-south-1: the job's own instance, priced as the job is
    name, price = got[("ml.g5.12xlarge", "ap-south-1")]
    assert name == "ml.g5.12xlarge" and np.isnan(price)
    name, price = got[("ml.p4d.24xlarge", "us-east-1")]  # no single-GPU A100 instance exists
    assert name == "ml.p4d.24xlarge" and np.isnan(price)


def test_the_reports_stale_price_warning_tells_regions_apart():
    from types import SimpleNamespace

    from fitcheck.formats.html import _stale_prices

    prices = [
        SimpleNamespace(instance_type=G5, price_basis="training on-demand us-east-1", stale=True),
        SimpleNamespace(instance_type=G5, price_basis="training on-demand eu-west-1", stale=True),
        SimpleNamespace(
            instance_type="ml.p3.2xlarge", price_basis="training on-demand us-east-1", stale=True
        ),
        SimpleNamespace(
            instance_type="ml.p4d.24xlarge", price_basis="training on-demand us-east-1", stale=False
        ),
    ]
    assert _stale_prices(prices) == [
        f"{G5} (training on-demand us-east-1)",
        f"{G5} (training on-demand eu-west-1)",
        "ml.p3.2xlarge",
    ]
