"""``fitcheck prices refresh``: on-demand SageMaker training prices from the AWS Price List API.

For each instance type (the bundled catalog's, or an inventory's) one GetProducts query
(client "pricing" in us-east-1, ServiceCode ``AmazonSageMaker``, filters regionCode,
instanceName and component ``Training``) through the GetProducts paginator. The price is read
at ``terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD`` where the unit is hours; its
date is the term's ``effectiveDate`` (else the product's ``publicationDate``).

The result is ``DIR/prices.csv`` with the columns of :data:`PRICE_COLUMNS`, one row per
(instance type, region), written atomically: a failure (offline, access denied, no price at
all) leaves an existing file untouched. A refresh adds to an existing file: the pairs it
fetched replace theirs, every other row (other regions, other instance types) stays, so
``fitcheck prices refresh --region R`` is how a region is added. ``analyze`` prices each
workload in its own region from that file (or the catalog's us-east-1 price), never at
another region's rate.
Parsing (:func:`parse_price_item`, :func:`pick_price`) is pure and tested on realistic
GetProducts responses.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fitcheck.aws.progress import NullReporter, Reporter
from fitcheck.errors import InputError, Location
from fitcheck.io.atomic import atomic_write_text

PRICE_COLUMNS = (
    "instance_type",
    "region",
    "price_usd_per_hour",
    "price_basis",
    "price_source",
    "price_date",
)
SERVICE_CODE = "AmazonSageMaker"
HOUR_UNITS = {"hrs", "hours", "hour", "hr"}
PRICES_FILE = "prices.csv"
FETCHING = "fetching prices"


@dataclass(frozen=True)
class Price:
    """One on-demand training price, with where and when it came from."""

    instance_type: str
    region: str
    usd_per_hour: float
    sku: str
    date: str  # YYYY-MM-DD
    usagetype: str = ""

    def row(self) -> dict[str, str]:
        return {
            "instance_type": self.instance_type,
            "region": self.region,
            "price_usd_per_hour": f"{self.usd_per_hour:g}",
            "price_basis": f"training on-demand {self.region}",
            "price_source": f"AWS Price List API (GetProducts, {SERVICE_CODE}, sku {self.sku})",
            "price_date": self.date,
        }


# --- which instance types ---------------------------------------------------------------------


def instance_types_from_catalog(path: str | Path) -> list[str]:
    """The ``instance_type`` column of an instance catalog CSV, in file order."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read the instance catalog: {err.strerror}", Location(file=str(p))) from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "instance_type" not in reader.fieldnames:
        raise InputError("no 'instance_type' column", Location(file=str(p), row=0))
    out: list[str] = []
    for row in reader:
        name = (row.get("instance_type") or "").strip()
        if name and name not in out:
            out.append(name)
    return out


def default_catalog_path() -> Path:
    """The bundled profile's instance catalog (``instances.csv``), through the profile loader."""
    from fitcheck.io.profiles import default_profile_dir

    path = default_profile_dir() / "instances.csv"
    if not path.is_file():
        raise InputError(
            "the bundled instance catalog is missing: pass --inventory FILE", Location(file=str(path))
        )
    return path


def inventory_types_by_region(path: str | Path) -> dict[str, list[str]]:
    """Per region an inventory's workloads run in: the instance types they use there."""
    from fitcheck.io.inventory import load_inventory

    frame = load_inventory(path)
    pairs = frame[["region", "instance_type"]].astype(str).drop_duplicates()  # in file order
    out: dict[str, list[str]] = {}
    for region, itype in pairs.itertuples(index=False, name=None):
        out.setdefault(region, []).append(itype)
    if not out:
        raise InputError("no workload in the inventory", Location(file=str(path)))
    return out


# --- parsing (pure) ---------------------------------------------------------------------------


def _date(text: str | None) -> str | None:
    if not text:
        return None
    return str(text)[:10]


def parse_price_item(item: str | Mapping[str, Any], region: str) -> list[Price]:
    """The on-demand hourly training prices in one GetProducts ``PriceList`` entry.

    ``item`` is the JSON string the API returns (or its decoded dict). A product counts when
    it is a training product (``component`` "Training" or a ``...-Train:<instance>`` usage
    type, not spot) for an instance; a price counts when its unit is hours and it is positive.
    """
    data = json.loads(item) if isinstance(item, str) else item
    product = data.get("product") or {}
    attrs = product.get("attributes") or {}
    usagetype = str(attrs.get("usagetype", ""))
    instance = attrs.get("instanceName") or attrs.get("instanceType")
    if not instance and "Train:" in usagetype:
        instance = usagetype.split("Train:", 1)[1]
    component = str(attrs.get("component", "")).lower()
    training = component == "training" or "-Train:" in usagetype or usagetype.startswith("Train:")
    if not instance or not training or "spot" in usagetype.lower() or "spot" in component:
        return []
    if attrs.get("regionCode") and attrs["regionCode"] != region:
        return []
    sku = str(product.get("sku") or "")
    out: list[Price] = []
    for term in ((data.get("terms") or {}).get("OnDemand") or {}).values():
        when = _date(term.get("effectiveDate")) or _date(data.get("publicationDate")) or ""
        for dim in (term.get("priceDimensions") or {}).values():
            if str(dim.get("unit", "")).strip().lower() not in HOUR_UNITS:
                continue
            try:
                usd = float((dim.get("pricePerUnit") or {}).get("USD") or "")
            except (TypeError, ValueError):
                continue
            if usd > 0:
                out.append(
                    Price(str(instance), region, usd, sku or str(term.get("sku", "")), when, usagetype)
                )
    return out


def pick_price(instance_type: str, candidates: Sequence[Price]) -> Price | None:
    """The price of ``instance_type`` among ``candidates``: the exact instance, latest date."""
    exact = [p for p in candidates if p.instance_type == instance_type]
    if not exact:
        return None
    # Prefer the plain training usage type (…-Train:ml.x) over variants, then the newest term.
    plain = [p for p in exact if p.usagetype.endswith(f"Train:{instance_type}")] or exact
    return max(plain, key=lambda p: (p.date, -p.usd_per_hour))


# --- the API calls ----------------------------------------------------------------------------


def query_filters(instance_type: str, region: str) -> list[dict[str, str]]:
    """The GetProducts filters for one instance type's training product in ``region``."""
    return [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type},
        {"Type": "TERM_MATCH", "Field": "component", "Value": "Training"},
    ]


def fetch_prices(
    pricing: Any,
    instance_types: Iterable[str],
    region: str,
    on_done: Callable[[str], None] | None = None,
) -> tuple[list[Price], list[str]]:
    """Query the Price List API for each instance type; (prices found, types with none)."""
    found: list[Price] = []
    missing: list[str] = []
    paginator = pricing.get_paginator("get_products")
    for instance in instance_types:
        candidates: list[Price] = []
        for page in paginator.paginate(
            ServiceCode=SERVICE_CODE,
            Filters=query_filters(instance, region),
            FormatVersion="aws_v1",
            PaginationConfig={"PageSize": 100},
        ):
            for item in page.get("PriceList", []):
                candidates.extend(parse_price_item(item, region))
        chosen = pick_price(instance, candidates)
        if chosen is None:
            missing.append(instance)
        else:
            found.append(chosen)
        if on_done:
            on_done(instance)
    return found, missing


def render_prices_csv(prices: Sequence[Price]) -> str:
    """The price file text (columns :data:`PRICE_COLUMNS`)."""
    return render_price_rows([p.row() for p in prices])


def merge_prices(existing: list[dict[str, str]], fetched: Sequence[Price]) -> list[dict[str, str]]:
    """The rows of an existing price file with the fetched prices added: a fetched
    (instance type, region) pair replaces that pair's row; every other row stays, in order."""
    new = [p.row() for p in fetched]
    fresh = {(r["instance_type"], r["region"]) for r in new}
    kept = [r for r in existing if (r["instance_type"], r["region"]) not in fresh]
    return kept + new


def render_price_rows(rows: Sequence[Mapping[str, str]]) -> str:
    """A price file's text from its rows (columns :data:`PRICE_COLUMNS`)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PRICE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row[c] for c in PRICE_COLUMNS})
    return buf.getvalue()


def existing_prices(path: Path) -> list[dict[str, str]]:
    """The rows of an existing price file, validated as ``analyze --prices`` reads it (a
    damaged file is bad input naming its row, before any AWS call); none when absent."""
    if not path.exists():
        return []
    from fitcheck.io.csvfile import read_text_table
    from fitcheck.io.profiles import read_prices

    read_prices(path)  # validated; the rows are kept as written
    text = read_text_table(path, PRICE_COLUMNS)[list(PRICE_COLUMNS)]
    return [dict(zip(PRICE_COLUMNS, row, strict=True)) for row in text.itertuples(index=False, name=None)]


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh wrote and what it could not price (``missing``: instance types; with
    several regions fetched, "TYPE in REGION")."""

    path: Path
    prices: list[Price]
    missing: list[str]
    regions: tuple[str, ...] = ()
    kept: int = 0  # rows of the existing file kept (other regions or instance types)


def refresh_prices(
    region: str | None = None,
    output: Path | str = "prices",
    inventory: Path | str | None = None,
    catalog: Path | str | None = None,
    progress: Reporter | None = None,
    pricing_client: Any = None,
) -> RefreshResult:
    """Fetch live prices and add them to ``output/prices.csv`` (written atomically).

    Which prices: with ``region``, that region (for the inventory's instance types, else the
    catalog's); without it, every region the inventory's workloads run in (the instance types
    used there), else us-east-1 for the catalog. Rows of an existing file for other pairs stay
    (:func:`merge_prices`). ``pricing_client`` lets a caller pass its own (e.g. a stubbed)
    client; ``progress`` reports the queries (None: silent). Raises :class:`InputError` for
    a damaged existing file, no credentials, access denied, no network, or when no instance
    type got a price (nothing is written then).
    """
    from fitcheck.aws.session import PRICING_REGION, aws_errors, client, make_session

    if inventory is not None:
        used = inventory_types_by_region(inventory)
        if region is not None:  # asked for: the inventory's instance types in that region
            used = {region: list(dict.fromkeys(t for types in used.values() for t in types))}
    else:
        used = {region or "us-east-1": instance_types_from_catalog(catalog or default_catalog_path())}
    target = Path(output) / PRICES_FILE
    existing = existing_prices(target)  # checked before any AWS call
    regions = tuple(used)
    action = f"query the AWS Price List API ({SERVICE_CODE}, {', '.join(regions)})"
    prices: list[Price] = []
    missing: list[str] = []
    with aws_errors(action, PRICING_REGION):
        if pricing_client is None:
            session = make_session(PRICING_REGION)
            from fitcheck.aws.session import resolve_region

            for name in regions:
                resolve_region(session, name, "sagemaker")
            pricing_client = client(session, "pricing", PRICING_REGION)
        reporter: Reporter = progress or NullReporter()
        reporter.start(FETCHING, sum(len(t) for t in used.values()))
        try:
            for name, types in used.items():
                found, lacking = fetch_prices(
                    pricing_client, types, name, on_done=lambda _: reporter.advance(FETCHING)
                )
                prices.extend(found)
                missing.extend(lacking if len(used) == 1 else [f"{t} in {name}" for t in lacking])
        finally:
            reporter.finish(FETCHING)
    if not prices:
        asked = [t for types in used.values() for t in types]
        raise InputError(
            f"the AWS Price List API returned no on-demand training price in {', '.join(regions)} for "
            f"any of {len(asked)} instance type(s) ({', '.join(asked[:5])}...): nothing written",
            Location(field="--region"),
        )
    rows = merge_prices(existing, prices)
    Path(output).mkdir(exist_ok=True)  # the price folder itself; a missing parent is an error
    atomic_write_text(target, render_price_rows(rows))
    return RefreshResult(target, prices, missing, regions, len(rows) - len(prices))
