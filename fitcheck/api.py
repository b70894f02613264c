"""The Python API behind every command. Tests and notebooks call these directly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fitcheck import __version__
from fitcheck.core.analysis import Analysis, analyze_inventory, totals
from fitcheck.core.economics import FORMULAS
from fitcheck.core.profile import Profile
from fitcheck.core.records import from_records
from fitcheck.core.rules import RULES
from fitcheck.errors import InputError, Location, closest
from fitcheck.formats.interface import OutputFormat, formatter_for
from fitcheck.io.atomic import atomic_write_text
from fitcheck.io.evidence import evidence_table, load_measurements
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
    measurements = load_measurements(list(bench_paths or []))
    evidence = evidence_table(measurements)
    result = analyze_inventory(frame, profile, now.date(), evidence)
    meta = {
        "fitcheck_version": __version__,
        "generated_at": now.isoformat(timespec="seconds"),
        "inventory": str(inventory),
        "price_catalog": price_summary(result.table, profile, now.date()),
        "totals": totals(result.table),
        "profile": {
            "name": profile.name,
            "sources": profile.sources,
            "thresholds": profile.policy.thresholds.model_dump(),
            "measured_policy": profile.policy.measured.model_dump(),
            "compile_overhead_minutes": profile.policy.compile_overhead_minutes,
            "dynamic_shape_compilations": profile.policy.dynamic_shape_compilations,
            "benchmark": profile.policy.benchmark.model_dump(),
            "rule_weights": profile.policy.rule_weights,
            "priors": [p.model_dump() for p in profile.policy.priors],
        },
        "formulas": [{"name": n, "formula": f} for n, f in FORMULAS],
        "evidence": {
            "bench_files": [str(p) for p in bench_paths or []],
            "measured_workloads": int((result.table["evidence"] == "measured").sum()),
            "measurements": measurements,
        },
        **result.meta,
    }
    return result.with_meta(meta)


def price_summary(table: Any, profile: Profile, today: date) -> dict[str, Any]:
    """Each instance type the inventory uses: its catalog price per hour, source and date
    (inventory overrides are listed as such), and whether the price is stale."""
    used = table[["instance_type", "price_source", "price_date", "price_stale"]].astype(
        {"instance_type": object, "price_source": object, "price_date": object}
    )
    used = used.assign(override=table["hourly_price_override_usd"]).drop_duplicates(
        ["instance_type", "price_source", "price_date", "override"]
    )
    rows = []
    for r in used.itertuples(index=False):
        overridden = r.override == r.override  # not NaN
        catalog = profile.instances.loc[r.instance_type]
        rows.append(
            {
                "instance_type": r.instance_type,
                "price_usd_per_hour": float(r.override if overridden else catalog["price_usd_per_hour"]),
                "price_basis": "inventory override" if overridden else catalog["price_basis"],
                "price_source": r.price_source,
                "price_date": r.price_date or None,
                "stale": bool(r.price_stale),
            }
        )
    return {
        "note": profile.price_note,
        "as_of": today.isoformat(),
        "stale_after_days": profile.policy.thresholds.stale_price_days,
        "instances": sorted(rows, key=lambda x: (x["instance_type"], x["price_usd_per_hour"])),
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


def parse_format(fmt: str) -> OutputFormat:
    try:
        return OutputFormat(fmt.lower())
    except ValueError:
        raise InputError(
            f"{fmt!r} is not one of {', '.join(f.value for f in OutputFormat)}", Location(field="--format")
        ) from None


def render(result: Analysis, fmt: str) -> str:
    return formatter_for(parse_format(fmt)).render(result)


def emit(result: Analysis, fmt: str = "table", output: Path | None = None) -> str:
    """Render and write to ``output`` (atomically) or return the text for the terminal."""
    text = render(result, fmt)
    if output is not None:
        atomic_write_text(output, text)
    return text


def load_analysis(path: Path | str) -> Analysis:
    """A saved ``--format json`` analysis, ready to re-render."""
    path = Path(path)
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(f"malformed JSON: {err.msg}", Location(str(path), err.lineno)) from None
    if not isinstance(doc, dict) or "workloads" not in doc or "totals" not in doc:
        raise InputError(
            "not a fitcheck analysis (expected the output of 'fitcheck analyze --format json')",
            Location(str(path)),
        )
    rule_ids = [r["id"] for r in doc.get("rules") or [{"id": r.id} for r in RULES]]
    table = from_records(doc["workloads"], rule_ids)
    meta = {k: v for k, v in doc.items() if k != "workloads"}
    return Analysis(table, meta)
