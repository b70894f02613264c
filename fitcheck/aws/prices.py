"""``fitcheck prices refresh``: on-demand SageMaker training prices from the AWS Price List API.

For each instance type (the bundled catalog's, or an inventory's) one GetProducts query
(client "pricing" in us-east-1, ServiceCode ``AmazonSageMaker``, filters regionCode,
instanceName and component ``Training``) through the GetProducts paginator. The price is read
at ``terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD`` where the unit is hours; its
date is the term's ``effectiveDate`` (else the product's ``publicationDate``).

The result is ``DIR/prices.csv`` with the columns of :data:`PRICE_COLUMNS`, written atomically:
a failure (offline, access denied, no price at all) leaves an existing file untouched.
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


def instance_types_from_inventory(path: str | Path) -> list[str]:
    """The instance types an inventory uses (through the inventory reader when it exists)."""
    from fitcheck.io.inventory import load_inventory

    frame = load_inventory(path)  # a validated table with an instance_type column
    types = [str(t) for t in frame["instance_type"].tolist()]
    out: list[str] = []
    for t in types:
        if t and t not in out:
            out.append(str(t))
    if not out:
        raise InputError("no instance_type in any workload", Location(file=str(path)))
    return out


def inventory_regions(path: str | Path) -> list[str]:
    """The regions an inventory's workloads run in (through the inventory reader), sorted."""
    from fitcheck.io.inventory import load_inventory

    frame = load_inventory(path)
    return sorted({str(r) for r in frame["region"].tolist() if str(r)})


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
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PRICE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for p in prices:
        writer.writerow(p.row())
    return buf.getvalue()


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh wrote and what it could not price."""

    path: Path
    prices: list[Price]
    missing: list[str]


def refresh_prices(
    region: str | None = None,
    output: Path | str = "prices",
    inventory: Path | str | None = None,
    catalog: Path | str | None = None,
    progress: Reporter | None = None,
    pricing_client: Any = None,
) -> RefreshResult:
    """Fetch live prices and write ``output/prices.csv`` atomically.

    ``pricing_client`` lets a caller pass its own (e.g. a stubbed) client; ``progress``
    reports the queries (None: silent). Raises
    :class:`InputError` for no credentials, access denied, no network, or when no instance
    type got a price (nothing is written then).
    """
    from fitcheck.aws.session import PRICING_REGION, aws_errors, client, make_session

    region_name = region or "us-east-1"
    if inventory is not None:
        types = instance_types_from_inventory(inventory)
        regions = inventory_regions(inventory)
        if region is None and len(regions) == 1:
            region_name = regions[0]
        elif set(regions) != {region_name}:
            # A price file holds one region: never price a workload at another region's rate.
            raise InputError(
                f"the inventory's workloads run in {', '.join(regions)}; a price file holds one region "
                f"({region_name}): refresh with --region REGION for an inventory of that region only",
                Location(file=str(inventory), field="--region"),
            )
    else:
        types = instance_types_from_catalog(catalog or default_catalog_path())
    action = f"query the AWS Price List API ({SERVICE_CODE}, {region_name})"
    with aws_errors(action, PRICING_REGION):
        if pricing_client is None:
            session = make_session(PRICING_REGION)
            from fitcheck.aws.session import resolve_region

            resolve_region(session, region_name, "sagemaker")
            pricing_client = client(session, "pricing", PRICING_REGION)
        reporter: Reporter = progress or NullReporter()
        reporter.start(FETCHING, len(types))
        try:
            prices, missing = fetch_prices(
                pricing_client, types, region_name, on_done=lambda _: reporter.advance(FETCHING)
            )
        finally:
            reporter.finish(FETCHING)
    if not prices:
        raise InputError(
            f"the AWS Price List API returned no on-demand training price in {region_name} for "
            f"any of {len(types)} instance type(s) ({', '.join(types[:5])}...): nothing written",
            Location(field="--region"),
        )
    target = Path(output) / PRICES_FILE
    Path(output).mkdir(exist_ok=True)  # the price folder itself; a missing parent is an error
    atomic_write_text(target, render_prices_csv(prices))
    return RefreshResult(target, prices, missing)
