"""Live prices: GetProducts parsing on realistic responses (botocore Stubber; moto has no
Price List API), the price file, and failures that leave an existing file untouched."""

from __future__ import annotations

import csv
import json

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from fitcheck.aws.prices import (
    PRICE_COLUMNS,
    instance_types_from_catalog,
    parse_price_item,
    query_filters,
    refresh_prices,
)
from fitcheck.cli import app
from fitcheck.errors import InputError

from .conftest import isolate_aws_env


def price_item(
    instance,
    usd,
    sku,
    *,
    usagetype=None,
    unit="Hrs",
    effective="2025-06-01T00:00:00Z",
    component="Training",
    region="us-east-1",
):
    """One PriceList entry as GetProducts returns it (a JSON string)."""
    term = f"{sku}.JRTCKXETXF"
    return json.dumps(
        {
            "product": {
                "productFamily": "ML Instance",
                "attributes": {
                    "regionCode": region,
                    "servicecode": "AmazonSageMaker",
                    "usagetype": usagetype or f"USE1-Train:{instance}",
                    "locationType": "AWS Region",
                    "location": "US East (N. Virginia)",
                    "servicename": "Amazon SageMaker",
                    "instanceName": instance,
                    "operation": "RunInstance",
                    "component": component,
                    "vCpu": "8",
                    "memory": "32 GiB",
                },
                "sku": sku,
            },
            "serviceCode": "AmazonSageMaker",
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": {
                            f"{term}.6YS6EN2CT7": {
                                "unit": unit,
                                "endRange": "Inf",
                                "description": f"${usd} per Hour for Train:{instance}",
                                "appliesTo": [],
                                "rateCode": f"{term}.6YS6EN2CT7",
                                "beginRange": "0",
                                "pricePerUnit": {"USD": f"{usd:.10f}"},
                            }
                        },
                        "sku": sku,
                        "effectiveDate": effective,
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20250601000000",
            "publicationDate": "2025-06-02T18:01:05Z",
        }
    )


# an existing price file (as an earlier refresh wrote it)
PREVIOUS = (
    ",".join(PRICE_COLUMNS) + "\n"
    "ml.g5.2xlarge,us-east-1,1.5,training on-demand us-east-1,AWS Price List API (sku OLD),2026-01-01\n"
    "ml.p5.48xlarge,us-east-1,55.04,training on-demand us-east-1,AWS Price List API (sku P5),2026-01-01\n"
)


def test_parse_price_item():
    (p,) = parse_price_item(price_item("ml.g5.2xlarge", 1.515, "ABC123"), "us-east-1")
    assert (p.instance_type, p.usd_per_hour, p.sku, p.date) == (
        "ml.g5.2xlarge",
        1.515,
        "ABC123",
        "2025-06-01",
    )
    row = p.row()
    assert row["price_source"] == "AWS Price List API (GetProducts, AmazonSageMaker, sku ABC123)"
    assert row["price_basis"] == "training on-demand us-east-1"


@pytest.mark.parametrize(
    "item",
    [
        price_item("ml.g5.2xlarge", 1.5, "S1", usagetype="USE1-Train:ml.g5.2xlarge-Spot"),
        price_item("ml.g5.2xlarge", 1.5, "S2", component="Hosting", usagetype="USE1-Host:ml.g5.2xlarge"),
        price_item("ml.g5.2xlarge", 0.2, "S3", unit="GB-Mo"),
        price_item("ml.g5.2xlarge", 0.0, "S4"),
        price_item("ml.g5.2xlarge", 1.5, "S5", region="eu-west-1"),
    ],
)
def test_not_an_on_demand_hourly_training_price(item):
    assert parse_price_item(item, "us-east-1") == []


def _pricing(stub_responses, region="us-east-1"):
    """A stubbed pricing client: one GetProducts answer per (instance, items[, region])."""
    client = boto3.Session().client("pricing", region_name="us-east-1")
    stub = Stubber(client)
    for instance, items, *where in stub_responses:
        stub.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": items},
            {
                "ServiceCode": "AmazonSageMaker",
                "Filters": query_filters(instance, where[0] if where else region),
                "FormatVersion": "aws_v1",
                "MaxResults": 100,
            },
        )
    return client, stub


@pytest.fixture
def env(monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFITCHECKDUMMY0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")


def test_refresh_writes_the_price_file(env, tmp_path):
    catalog = tmp_path / "instances.csv"
    catalog.write_text(
        "instance_type,price_usd_per_hour\nml.g5.2xlarge,1.515\nml.p5.48xlarge,63.296\nml.zz.nano,1\n"
    )
    client, stub = _pricing(
        [
            (
                "ml.g5.2xlarge",
                [
                    price_item("ml.g5.2xlarge", 1.515, "G5SKU"),
                    price_item("ml.g5.2xlarge", 1.1, "G5SPOT", usagetype="USE1-Train:ml.g5.2xlarge-Spot"),
                ],
            ),
            (
                "ml.p5.48xlarge",
                [
                    price_item("ml.p5.48xlarge", 63.296, "P5OLD", effective="2024-01-01T00:00:00Z"),
                    price_item("ml.p5.48xlarge", 55.04, "P5NEW", effective="2025-06-01T00:00:00Z"),
                ],
            ),
            ("ml.zz.nano", []),
        ]
    )
    with stub:
        result = refresh_prices(output=tmp_path / "prices", catalog=catalog, pricing_client=client)
        stub.assert_no_pending_responses()
    assert result.missing == ["ml.zz.nano"]
    rows = list(csv.DictReader((tmp_path / "prices" / "prices.csv").open()))
    assert tuple(rows[0]) == PRICE_COLUMNS
    assert [(r["instance_type"], r["price_usd_per_hour"], r["price_date"]) for r in rows] == [
        ("ml.g5.2xlarge", "1.515", "2025-06-01"),
        ("ml.p5.48xlarge", "55.04", "2025-06-01"),  # the newest term wins
    ]
    assert rows[1]["price_source"].endswith("sku P5NEW)")


def test_no_price_at_all_writes_nothing(env, tmp_path):
    catalog = tmp_path / "instances.csv"
    catalog.write_text("instance_type\nml.g5.2xlarge\n")
    target = tmp_path / "prices" / "prices.csv"
    target.parent.mkdir()
    target.write_text(PREVIOUS)
    client, stub = _pricing([("ml.g5.2xlarge", [])])
    with stub, pytest.raises(InputError, match="returned no on-demand training price"):
        refresh_prices(output=target.parent, catalog=catalog, pricing_client=client)
    assert target.read_text() == PREVIOUS


def test_catalog_column_is_read_from_the_shared_data_layout(tmp_path):
    catalog = tmp_path / "c.csv"
    catalog.write_text("instance_type,accelerator\nml.g5.xlarge,A10G\nml.g5.xlarge,A10G\nml.m5.xlarge,none\n")
    assert instance_types_from_catalog(catalog) == ["ml.g5.xlarge", "ml.m5.xlarge"]
    bad = tmp_path / "bad.csv"
    bad.write_text("type\nml.g5.xlarge\n")
    with pytest.raises(InputError, match="no 'instance_type' column"):
        instance_types_from_catalog(bad)


def test_offline_fails_clearly_and_keeps_the_old_file(env, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on port 9
    out = tmp_path / "prices"
    out.mkdir()
    (out / "prices.csv").write_text(PREVIOUS)
    res = CliRunner().invoke(app, ["prices", "refresh", "--output", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: cannot reach the AWS API to query the AWS Price List API")
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    assert (out / "prices.csv").read_text() == PREVIOUS
    assert [p.name for p in out.iterdir()] == ["prices.csv"]  # no temporary file left behind


def _inventory(path, regions):
    rows = "".join(
        f"  - {{name: w{i}, framework: pytorch, model: bert-base-uncased, instance_type: ml.g5.2xlarge,"
        f" duration_hours: 1, runs_per_week: 1, region: {r}}}\n"
        for i, r in enumerate(regions)
    )
    path.write_text("version: 1\nworkloads:\n" + rows)
    return path


def test_an_inventory_is_priced_in_its_own_region(env, tmp_path):
    inv = _inventory(tmp_path / "w.yaml", ["eu-west-1", "eu-west-1"])
    client, stub = _pricing(
        [("ml.g5.2xlarge", [price_item("ml.g5.2xlarge", 1.69, "EUSKU", region="eu-west-1")])], "eu-west-1"
    )
    with stub:
        result = refresh_prices(output=tmp_path / "prices", inventory=inv, pricing_client=client)
        stub.assert_no_pending_responses()
    assert [(p.instance_type, p.region, p.usd_per_hour) for p in result.prices] == [
        ("ml.g5.2xlarge", "eu-west-1", 1.69)
    ]
    rows = list(csv.DictReader((tmp_path / "prices" / "prices.csv").open()))
    assert rows[0]["region"] == "eu-west-1" and rows[0]["price_basis"] == "training on-demand eu-west-1"


def test_an_inventory_in_two_regions_is_priced_in_each(env, tmp_path):
    inv = _inventory(tmp_path / "w.yaml", ["eu-west-1", "us-east-1"])
    client, stub = _pricing(
        [
            ("ml.g5.2xlarge", [price_item("ml.g5.2xlarge", 1.69, "EUSKU", region="eu-west-1")], "eu-west-1"),
            ("ml.g5.2xlarge", [price_item("ml.g5.2xlarge", 1.515, "USSKU")], "us-east-1"),
        ]
    )
    with stub:
        result = refresh_prices(output=tmp_path / "prices", inventory=inv, pricing_client=client)
        stub.assert_no_pending_responses()
    assert result.regions == ("eu-west-1", "us-east-1")
    rows = list(csv.DictReader((tmp_path / "prices" / "prices.csv").open()))
    assert [(r["instance_type"], r["region"], r["price_usd_per_hour"]) for r in rows] == [
        ("ml.g5.2xlarge", "eu-west-1", "1.69"),
        ("ml.g5.2xlarge", "us-east-1", "1.515"),
    ]


def test_refresh_with_a_region_adds_it_and_keeps_the_others(env, tmp_path):
    """`fitcheck prices refresh --region R` adds region R to an existing price file; a second
    refresh of a region replaces that region's rows only; analyze prices each workload from it."""
    from fitcheck import api

    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "prices.csv").write_text(PREVIOUS)  # us-east-1 (and a p5 row no refresh touches)
    catalog = tmp_path / "instances.csv"
    catalog.write_text("instance_type\nml.g5.2xlarge\n")
    client, stub = _pricing(
        [("ml.g5.2xlarge", [price_item("ml.g5.2xlarge", 1.69, "EUSKU", region="eu-west-1")])], "eu-west-1"
    )
    with stub:
        result = refresh_prices(region="eu-west-1", output=folder, catalog=catalog, pricing_client=client)
    assert (result.regions, result.kept) == (("eu-west-1",), 2)
    rows = list(csv.DictReader((folder / "prices.csv").open()))
    assert [(r["instance_type"], r["region"], r["price_usd_per_hour"]) for r in rows] == [
        ("ml.g5.2xlarge", "us-east-1", "1.5"),
        ("ml.p5.48xlarge", "us-east-1", "55.04"),
        ("ml.g5.2xlarge", "eu-west-1", "1.69"),
    ]
    client, stub = _pricing([("ml.g5.2xlarge", [price_item("ml.g5.2xlarge", 1.515, "USNEW")])])
    with stub:
        refresh_prices(region="us-east-1", output=folder, catalog=catalog, pricing_client=client)
    rows = list(csv.DictReader((folder / "prices.csv").open()))
    assert [(r["instance_type"], r["region"], r["price_usd_per_hour"]) for r in rows] == [
        ("ml.p5.48xlarge", "us-east-1", "55.04"),
        ("ml.g5.2xlarge", "eu-west-1", "1.69"),
        ("ml.g5.2xlarge", "us-east-1", "1.515"),
    ]
    inv = _inventory(tmp_path / "w.yaml", ["eu-west-1", "us-east-1"])
    table = api.analyze(inv, prices_dir=folder).table.set_index("name")
    assert table["hourly_price_usd"].to_dict() == {"w0": 1.69, "w1": 1.515}


def test_a_damaged_price_file_is_refused_before_any_call(env, tmp_path):
    folder = tmp_path / "prices"
    folder.mkdir()
    damaged = PREVIOUS + "ml.g5.2xlarge,us-east-1,1.6,training on-demand us-east-1,x,2026-01-01\n"
    (folder / "prices.csv").write_text(damaged)
    catalog = tmp_path / "instances.csv"
    catalog.write_text("instance_type\nml.g5.2xlarge\n")
    with pytest.raises(InputError) as info:  # object(): any AWS call would fail differently
        refresh_prices(region="eu-west-1", output=folder, catalog=catalog, pricing_client=object())
    assert str(info.value) == (
        f"{folder / 'prices.csv'}: row 3: instance_type: 'ml.g5.2xlarge' in region 'us-east-1' appears "
        "twice (first at row 1); each (instance_type, region) pair may appear once"
    )
    assert (folder / "prices.csv").read_text() == damaged


def test_the_command_says_which_regions_it_wrote_and_what_it_kept(env, tmp_path, monkeypatch):
    from fitcheck.aws import session

    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "prices.csv").write_text(PREVIOUS)
    inv = _inventory(tmp_path / "w.yaml", ["eu-west-1"])
    client, stub = _pricing(
        [("ml.g5.2xlarge", [price_item("ml.g5.2xlarge", 1.69, "EUSKU", region="eu-west-1")])], "eu-west-1"
    )
    monkeypatch.setattr(session, "client", lambda *args, **kwargs: client)
    with stub:
        res = CliRunner().invoke(
            app,
            [
                "prices",
                "refresh",
                "--region",
                "eu-west-1",
                "--inventory",
                str(inv),
                "-o",
                str(folder),
                "--no-progress",
            ],
        )
    assert res.exit_code == 0, res.output
    assert res.output == (
        f"1 price(s) for eu-west-1 written to {folder / 'prices.csv'} "
        "(price dates 2025-06-01 to 2025-06-01; 2 earlier row(s) kept)\n"
    )
