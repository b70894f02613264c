"""The Python API behind every command. Tests and notebooks call these directly."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from fitcheck import __version__
from fitcheck.core.analysis import (
    FINANCE_FORMULAS,
    Analysis,
    analyze_inventory,
    net_columns,
    rollup,
    totals,
)
from fitcheck.core.context import has_price, price_facts
from fitcheck.core.document import AnalysisDocument
from fitcheck.core.economics import FORMULAS
from fitcheck.core.profile import Finance, Profile
from fitcheck.core.records import from_records
from fitcheck.core.rules import RULES
from fitcheck.errors import InputError, Location, closest, shown
from fitcheck.formats.interface import OutputFormat, formatter_for
from fitcheck.io.atomic import atomic_write_chunks
from fitcheck.io.evidence import evidence_table, load_evidence
from fitcheck.io.inventory import load_inventory, source_location
from fitcheck.io.profiles import apply_prices, load_profile
from fitcheck.io.yamlfile import read_text


def analyze(
    inventory: Path | str,
    profile_dir: Path | None = None,
    bench_paths: list[Path] | None = None,
    prices_dir: Path | None = None,
    now: datetime | None = None,
) -> Analysis:
    """Load, validate, analyze. Raises :class:`InputError` for any bad input."""
    now = now or datetime.now(UTC)
    profile = load_profile(profile_dir)
    if prices_dir is not None:
        profile = apply_prices(profile, prices_dir)
    frame = load_inventory(inventory)
    _check_instances(frame, profile, str(inventory))
    _check_prices(frame, profile, str(inventory))
    ceilings: list[dict[str, Any]] = []
    measurements, unusable = load_evidence(list(bench_paths or []), ceilings)
    evidence = evidence_table(measurements, ceilings)
    result = analyze_inventory(frame, profile, now.date(), evidence)
    finance = profile.policy.finance
    result = Analysis(result.table.assign(**net_columns(result.table, finance)), result.meta, result.outputs)
    meta = {
        "fitcheck_version": __version__,
        "generated_at": now.isoformat(timespec="seconds"),
        "inventory": str(inventory),
        "provenance": provenance(inventory, profile),
        "price_catalog": price_summary(result.table, profile, now.date()),
        "totals": totals(result.table, finance, now.date()),
        "profile": profile_summary(profile),
        "formulas": [{"name": n, "formula": f} for n, f in (*FORMULAS, *FINANCE_FORMULAS)],
        "evidence": {
            "bench_files": [str(p) for p in bench_paths or []],
            "measured_workloads": int((result.table["evidence"] == "measured").sum()),
            "measurements": measurements,
        },
        **result.meta,
        "unmatched_bench_results": [*unusable, *result.meta.get("unmatched_bench_results", [])],
    }
    return result.with_meta(meta)


#: policy sections whose name in the JSON ``profile`` differs from policy.yaml's
PROFILE_KEYS = {"measured": "measured_policy"}


def profile_summary(profile: Profile) -> dict[str, Any]:
    """The profile as used: its name, the files it came from and every section of its policy
    (each threshold, version range, dynamic-shape model, prior, weight and finance setting), so
    a reviewer sees every number the decisions read."""
    policy = profile.policy.model_dump()
    return {
        "name": profile.name,
        "sources": profile.sources,
        **{PROFILE_KEYS.get(k, k): v for k, v in policy.items()},
    }


def provenance(inventory: Path | str, profile: Profile) -> dict[str, Any]:
    """SHA-256 of the inventory file and of the profile as used (policy, instance catalog
    with any live prices, tested models), the profile's name and fitcheck's version."""
    digest = hashlib.sha256()
    with open(inventory, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    prof = hashlib.sha256(profile.policy.model_dump_json().encode())
    prof.update(profile.instances.to_csv().encode())
    if profile.prices is not None:  # live prices: every (instance type, region) price used
        prof.update(profile.prices.to_csv().encode())
    prof.update(profile.tested_models.to_csv().encode())
    return {
        "inventory_sha256": digest.hexdigest(),
        "profile_name": profile.name,
        "profile_sha256": prof.hexdigest(),
        "fitcheck_version": __version__,
    }


def price_summary(table: Any, profile: Profile, today: date) -> dict[str, Any]:
    """Each (instance type, region) price the inventory uses: its price per hour, basis (which
    names the region), source and date (inventory overrides are listed as such, without a
    region), and whether the price is stale."""
    override = table["hourly_price_override_usd"].to_numpy(dtype=float)
    region = table["region"].astype(object).where(np.isnan(override), "")  # an override has none
    used = table[["instance_type", "price_source", "price_date", "price_stale"]].astype(
        {"instance_type": object, "price_source": object, "price_date": object}
    )
    used = used.assign(override=override, region=region.to_numpy(dtype=object)).drop_duplicates(
        ["instance_type", "region", "price_source", "price_date", "override"]
    )
    prices = price_facts(profile, today)
    rows = []
    for r in used.itertuples(index=False):
        overridden = r.override == r.override  # not NaN
        if overridden:
            usd, basis = float(r.override), "inventory override"
        else:
            catalog = prices.loc[(r.instance_type, r.region)]
            usd, basis = float(catalog["catalog_price_usd"]), catalog["price_basis"]
        rows.append(
            {
                "instance_type": r.instance_type,
                "price_usd_per_hour": usd,
                "price_basis": basis,
                "price_source": r.price_source,
                "price_date": r.price_date or None,
                "stale": bool(r.price_stale),
            }
        )
    return {
        "note": profile.price_note,
        # the newest price date among the prices used (never the generation date)
        "as_of": max((r["price_date"] for r in rows if r["price_date"]), default=None),
        "stale_after_days": profile.policy.thresholds.stale_price_days,
        "instances": sorted(
            rows, key=lambda x: (x["instance_type"], x["price_usd_per_hour"], x["price_basis"] or "")
        ),
    }


def _check_instances(frame: Any, profile: Any, path: str) -> None:
    known = profile.instances.index
    bad = (~frame["instance_type"].isin(known)).to_numpy().nonzero()[0]
    if len(bad):
        pos = int(bad[0])
        value = frame["instance_type"].iloc[pos]
        near = closest(str(value), known)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise InputError(
            f"unknown instance type {value!r}{hint} Known: {', '.join(known)}",
            source_location(frame, pos, path, "instance_type"),
        )


def _check_prices(frame: Any, profile: Profile, path: str) -> None:
    """Every workload has a price in its own region (or its own ``hourly_price_usd``): a
    missing one is one input error naming the workload, instance type and region, the
    regions that do have a price and the fix. Never another region's price."""
    priced = has_price(frame["instance_type"], frame["region"], profile)
    override = frame["hourly_price_usd"].to_numpy(dtype=float)
    lacking = (~priced & np.isnan(override)).nonzero()[0]
    if not len(lacking):
        return
    pos = int(lacking[0])
    name, itype, region = (frame[c].iloc[pos] for c in ("name", "instance_type", "region"))
    table = profile.price_table()
    have = sorted(set(table.loc[table["instance_type"] == itype, "region"].astype(str)))
    others = len(lacking) - 1
    more = f"; {others} more workload{'s lack' if others > 1 else ' lacks'} a price in its region"
    more = more if others else ""
    raise InputError(
        f"workload {shown(name)} ({itype}) runs in region {shown(region)}, where no price for {itype} "
        f"is known (prices for it: {', '.join(have) or 'none'}{more}); fetch that region's prices with "
        f"'fitcheck prices refresh --region {_region_arg(region)}' and pass the folder with --prices, or set "
        "hourly_price_usd for the workload",
        source_location(frame, pos, path, "region"),
    )


def _region_arg(region: object) -> str:
    """The region as a shell argument in a suggested command: a region code as it is, anything
    else as the placeholder (the user's text is never pasted into a command)."""
    text = str(region)
    return text if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}", text) else "REGION"


def parse_format(fmt: str) -> OutputFormat:
    try:
        return OutputFormat(fmt.lower())
    except ValueError:
        raise InputError(
            f"{fmt!r} is not one of {', '.join(f.value for f in OutputFormat)}", Location(field="--format")
        ) from None


def format_for_output(fmt: str | None, output: Path | None, default: str = "table") -> str:
    """The format asked for, or the one ``output``'s suffix names, or ``default``."""
    if fmt:
        return fmt
    if output is not None:
        for f in OutputFormat:
            if output.suffix.lower() in formatter_for(f).suffixes:
                return f.value
    return default


def grouped(result: Analysis, group_by: str | None) -> Analysis:
    """The analysis with the three lines per value of the tag ``group_by`` (``rollup``)."""
    if not group_by:
        return result
    finance = Finance.model_validate(result.meta["profile"]["finance"])
    return result.with_meta({**result.meta, "rollup": rollup(result.table, finance, group_by)})


def render(result: Analysis, fmt: str, group_by: str | None = None, width: int | None = None) -> str:
    return "".join(chunks(result, fmt, group_by, width))


def chunks(
    result: Analysis,
    fmt: str,
    group_by: str | None = None,
    width: int | None = None,
    color: bool = False,
) -> Iterator[str]:
    formatter = formatter_for(parse_format(fmt))
    if width is not None and hasattr(formatter, "width"):
        formatter.width = width
    if color and hasattr(formatter, "color"):
        formatter.color = True
    return formatter.stream(grouped(result, group_by))


def emit(
    result: Analysis,
    fmt: str | None = "table",
    output: Path | None = None,
    group_by: str | None = None,
    width: int | None = None,
) -> str:
    """Render and write to ``output`` (atomically, piece by piece: memory stays bounded) or
    return the text for the terminal. Without ``fmt`` the output's suffix names the format."""
    fmt = format_for_output(fmt, output)
    if output is None:
        if fmt == "table" and width is None:  # fit the terminal (COLUMNS, else the tty, else 100)
            import shutil

            width = shutil.get_terminal_size((100, 24)).columns
        color = fmt == "table" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        return "".join(chunks(result, fmt, group_by, width, color))
    atomic_write_chunks(output, chunks(result, fmt, group_by, width))
    return ""


def load_analysis(path: Path | str) -> Analysis:
    """A saved ``--format json`` analysis, read back through :class:`AnalysisDocument`
    (a trimmed or hand-edited file is bad input naming the field), ready to re-render."""
    from pydantic import ValidationError

    path = Path(path)
    text = read_text(path)
    try:
        doc = AnalysisDocument.model_validate_json(text)
    except ValidationError as err:
        raise InputError(_first_error(err), Location(str(path))) from None
    rule_ids = [r.id for r in doc.rules] or [r.id for r in RULES]
    table = from_records([w.model_dump() for w in doc.workloads], rule_ids)
    return Analysis(table, doc.model_dump(exclude={"workloads"}))


def _first_error(err: Any) -> str:
    """One line for a pydantic error on a saved analysis: field path, problem, value."""
    errors = err.errors(include_url=False)
    e0 = errors[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e0["loc"]).lstrip(".")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    if e0["type"] == "json_invalid":
        return f"malformed JSON: {e0['msg'].removeprefix('Invalid JSON: ')}"
    if e0["type"] == "model_type" and not e0["loc"]:
        return "not a fitcheck analysis (expected the output of 'fitcheck analyze --format json')"
    if e0["type"] == "missing":
        hint = (
            "; not a fitcheck analysis? (expected the output of 'fitcheck analyze --format json')"
            if len(e0["loc"]) == 1
            else ""
        )
        return f"{loc}: required field is missing{hint}{more}"
    value = e0.get("input")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    if len(shown) > 60:
        shown = shown[:50] + "..."
    return f"{loc}: {e0['msg'][:1].lower()}{e0['msg'][1:]} (got {shown}){more}"
