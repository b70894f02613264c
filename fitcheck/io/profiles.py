"""Load a profile folder: policy.yaml, instances.csv, tested_models.csv.

The bundled default lives in ``profiles/default`` (shipped inside the wheel as
``fitcheck/_bundled_profiles/default``). ``--profile DIR`` points at a copy a reviewer
edited. ``--prices DIR`` overlays live prices written by ``fitcheck prices refresh``.

Prices are per (instance type, region): the catalog's price of an instance type is for its
``price_region`` (us-east-1 in the bundled catalog); a price file may hold several regions
for the same instance type, each pair once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from fitcheck.core.profile import PRICE_TABLE_COLUMNS, Policy, Profile
from fitcheck.core.schema import MAX_HOURLY_PRICE_USD
from fitcheck.errors import InputError, Location, shown
from fitcheck.io.csvfile import read_text_table
from fitcheck.io.yamlfile import key_line, load_yaml, plain

INSTANCE_COLUMNS = (
    "instance_type",
    "accelerator",
    "accelerators",
    "accelerator_memory_gb_total",
    "price_usd_per_hour",
    "price_region",
    "price_basis",
    "price_source",
    "price_date",
    "compute_capability",
    "stc_tested",
    "smddp_supported",
)
TESTED_COLUMNS = (
    "framework",
    "framework_version",
    "transformers_version",
    "domain",
    "model",
    "dataset",
    "instance_type",
    "precision",
    "sequence_length",
    "batch_size_native",
    "batch_size_compiler",
)
# One tested-models row per framework release, model, instance, precision and length.
TESTED_KEY = ("framework", "framework_version", "model", "instance_type", "precision", "sequence_length")
PRICE_COLUMNS = ("instance_type", "region", "price_usd_per_hour", "price_basis", "price_source", "price_date")
# an AWS region code: us-east-1, eu-central-2, ap-southeast-3, us-gov-west-1, cn-north-1
REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


def default_profile_dir() -> Path:
    """The bundled profile: package data of an installed wheel (found with
    :mod:`importlib.resources`), else the ``profiles/`` folder of a source checkout."""
    from importlib.resources import files

    package = files("fitcheck")
    candidates = [package / "_bundled_profiles" / "default", package / ".." / "profiles" / "default"]
    for candidate in candidates:
        if candidate.joinpath("policy.yaml").is_file():
            return Path(str(candidate)).resolve()
    raise InputError("the bundled profile is missing from this installation; reinstall fitcheck")


def load_profile(directory: Path | None = None) -> Profile:
    folder = Path(directory) if directory is not None else default_profile_dir()
    if not folder.is_dir():
        raise InputError("profile folder does not exist", Location(str(folder)))
    policy = _load_policy(folder / "policy.yaml")
    instances = _read_csv(folder / "instances.csv", INSTANCE_COLUMNS)
    for col in ("stc_tested", "smddp_supported"):
        instances[col] = instances[col].str.lower().eq("true")
    for col, bounds in (
        ("accelerators", {"ge": 0.0, "le": 64.0}),
        ("accelerator_memory_gb_total", {"ge": 0.0, "le": 100_000.0}),
        ("price_usd_per_hour", {"gt": 0.0, "le": MAX_HOURLY_PRICE_USD}),
    ):
        instances[col] = _numbers(instances, col, folder / "instances.csv", **bounds)
    _regions(instances, "price_region", folder / "instances.csv")
    _no_duplicates(instances, "instance_type", folder / "instances.csv")
    tested = _read_csv(folder / "tested_models.csv", TESTED_COLUMNS)
    for col in ("sequence_length", "batch_size_native", "batch_size_compiler"):
        tested[col] = pd.to_numeric(tested[col], errors="coerce")
    _no_duplicate_rows(tested, TESTED_KEY, folder / "tested_models.csv")
    return Profile(
        name=folder.name,
        policy=policy,
        instances=instances.set_index("instance_type", drop=False),
        tested_models=tested,
        price_note="bundled dated catalog (no live prices given)",
        sources={"profile": str(folder)},
    )


def read_prices(path: Path) -> pd.DataFrame:
    """A price file (``prices.csv``, columns :data:`PRICE_COLUMNS`), validated: every price a
    number in range, every region an AWS region code, each (instance type, region) pair once."""
    prices = _read_csv(path, PRICE_COLUMNS)
    prices["price_usd_per_hour"] = _numbers(
        prices, "price_usd_per_hour", path, gt=0.0, le=MAX_HOURLY_PRICE_USD
    )
    _regions(prices, "region", path)
    _no_duplicate_pairs(prices, ("instance_type", "region"), path)
    return prices


def apply_prices(profile: Profile, prices_dir: Path) -> Profile:
    """Overlay live prices (``prices.csv`` from ``fitcheck prices refresh``) on the catalog:
    each (instance type, region) pair of the file adds or replaces that pair's price; the
    catalog's other prices stay. Instance types the catalog does not know are not used."""
    path = Path(prices_dir) / "prices.csv"
    if not Path(prices_dir).is_dir():
        raise InputError("price folder does not exist", Location(str(prices_dir)))
    prices = read_prices(path)
    known = prices["instance_type"].isin(profile.instances.index).to_numpy()
    live = prices.loc[known, list(PRICE_TABLE_COLUMNS)].reset_index(drop=True)
    table = pd.concat([profile.price_table(), live], ignore_index=True)
    table = table.drop_duplicates(["instance_type", "region"], keep="last").reset_index(drop=True)
    # the catalog's own columns follow a live price of its own region (the same pair)
    instances = profile.instances.copy()
    same = live[live["region"].to_numpy() == instances.loc[live["instance_type"], "price_region"].to_numpy()]
    same = same.set_index("instance_type")
    for col in ("price_usd_per_hour", "price_basis", "price_source", "price_date"):
        instances.loc[same.index, col] = same[col]
    regions = sorted(set(live["region"]))
    types = live["instance_type"].nunique()
    note = (
        f"live prices from {path} for {types} of {len(instances)} instance types "
        f"in {', '.join(regions) or 'no region'}; other prices from the catalog"
    )
    return Profile(
        profile.name,
        profile.policy,
        instances,
        profile.tested_models,
        note,
        {**profile.sources, "prices": str(path)},
        table,
    )


def _load_policy(path: Path) -> Policy:
    doc = load_yaml(path)
    try:
        policy = Policy.model_validate(plain(doc))
    except ValidationError as err:
        first = err.errors()[0]
        loc = [p for p in first["loc"]]
        node, line = doc, None
        for part in loc:
            try:
                line = key_line(node, part)
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        msg = first["msg"].removeprefix("Value error, ")
        raise InputError(msg, Location(str(path), line, field=field or None)) from None
    _known_rules(policy, doc, path)
    return policy


def _known_rules(policy: Policy, doc: Any, path: Path) -> None:
    """Every rule_weights key must name a rule (a typo would silently weigh 1)."""
    from fitcheck.core.rules import RULES

    ids = [r.id for r in RULES]
    for key in policy.rule_weights:
        if key not in ids:
            line = key_line(doc.get("rule_weights"), key) if hasattr(doc, "get") else None
            raise InputError(
                f"{shown(key)} is not a rule; rules are {', '.join(ids)}",
                Location(str(path), line, field=f"rule_weights.{key}"),
            )


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Every field as text; only an empty field is empty (``NA`` stays ``NA``); a row with
    more or fewer fields than the header is an error."""
    return read_text_table(path, columns)


def _numbers(
    frame: pd.DataFrame,
    col: str,
    path: Path,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> pd.Series:
    """A numeric column: every value a finite number within the bounds."""
    values = pd.to_numeric(frame[col].str.strip(), errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{shown(frame[col].iloc[row])} is not a number", Location(str(path), row=row + 1, field=col)
        )
    v = values.to_numpy(dtype=float)
    out = ~np.isfinite(v)
    allowed = []
    if gt is not None:
        out |= v <= gt
        allowed.append(f"> {gt:g}")
    if ge is not None:
        out |= v < ge
        allowed.append(f">= {ge:g}")
    if le is not None:
        out |= v > le
        allowed.append(f"<= {le:g}")
    if out.any():
        row = int(out.nonzero()[0][0])
        what = f"is out of range; allowed: {' and '.join(allowed)}" if allowed else "is not a finite number"
        raise InputError(f"{shown(frame[col].iloc[row])} {what}", Location(str(path), row=row + 1, field=col))
    return values


def _no_duplicates(frame: pd.DataFrame, col: str, path: Path) -> None:
    dup = frame[col].duplicated().to_numpy().nonzero()[0]
    if len(dup):
        row = int(dup[0])
        first = int((frame[col] == frame[col].iloc[row]).to_numpy().nonzero()[0][0])
        raise InputError(
            f"{shown(frame[col].iloc[row])} appears twice (first at row {first + 1}); each may appear once",
            Location(str(path), row=row + 1, field=col),
        )


def _regions(frame: pd.DataFrame, col: str, path: Path) -> None:
    """Every value of ``col`` an AWS region code (us-east-1, eu-west-1, ...)."""
    values = frame[col].to_numpy(dtype=object)
    distinct = pd.unique(values)
    bad = {v for v in distinct if not REGION_CODE.fullmatch(str(v))}
    if bad:
        row = int(np.isin(values, list(bad)).nonzero()[0][0])
        raise InputError(
            f"{shown(values[row])} is not an AWS region code; allowed: a code such as us-east-1 or eu-west-1",
            Location(str(path), row=row + 1, field=col),
        )


def _no_duplicate_pairs(frame: pd.DataFrame, key: tuple[str, str], path: Path) -> None:
    """Each (``key[0]``, ``key[1]``) pair once, e.g. one price per instance type and region."""
    dup = frame.duplicated(list(key)).to_numpy().nonzero()[0]
    if len(dup):
        row = int(dup[0])
        a, b = (frame[k].iloc[row] for k in key)
        same = (frame[key[0]] == a) & (frame[key[1]] == b)
        first = int(same.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{shown(a)} in {key[1]} {shown(b)} appears twice (first at row {first + 1}); "
            f"each ({key[0]}, {key[1]}) pair may appear once",
            Location(str(path), row=row + 1, field=key[0]),
        )


def _no_duplicate_rows(frame: pd.DataFrame, key: tuple[str, ...], path: Path) -> None:
    dup = frame.duplicated(list(key)).to_numpy().nonzero()[0]
    if len(dup):
        row = int(dup[0])
        raise InputError(
            f"duplicate row: {', '.join(f'{k}={shown(frame[k].iloc[row])}' for k in key[:4])} "
            f"appears twice; each ({', '.join(key)}) may appear once",
            Location(str(path), row=row + 1, field="model"),
        )
