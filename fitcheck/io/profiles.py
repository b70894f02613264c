"""Load a profile folder: policy.yaml, instances.csv, tested_models.csv.

The bundled default lives in ``profiles/default`` (shipped inside the wheel as
``fitcheck/_bundled_profiles/default``). ``--profile DIR`` points at a copy a reviewer
edited. ``--prices DIR`` overlays live prices written by ``fitcheck prices refresh``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from fitcheck.core.profile import Policy, Profile
from fitcheck.errors import InputError, Location
from fitcheck.io.yamlfile import key_line, load_yaml, plain

INSTANCE_COLUMNS = (
    "instance_type",
    "accelerator",
    "accelerators",
    "accelerator_memory_gb_total",
    "price_usd_per_hour",
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
PRICE_COLUMNS = ("instance_type", "region", "price_usd_per_hour", "price_basis", "price_source", "price_date")


def default_profile_dir() -> Path:
    """The bundled profile: inside the installed package, else the source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_bundled_profiles" / "default", here.parent / "profiles" / "default"):
        if (candidate / "policy.yaml").exists():
            return candidate
    raise InputError("the bundled profile is missing from this installation; reinstall fitcheck")


def load_profile(directory: Path | None = None) -> Profile:
    folder = Path(directory) if directory is not None else default_profile_dir()
    if not folder.is_dir():
        raise InputError("profile folder does not exist", Location(str(folder)))
    policy = _load_policy(folder / "policy.yaml")
    instances = _read_csv(folder / "instances.csv", INSTANCE_COLUMNS)
    for col in ("stc_tested", "smddp_supported"):
        instances[col] = instances[col].str.lower().eq("true")
    for col in ("accelerators", "accelerator_memory_gb_total", "price_usd_per_hour"):
        instances[col] = _numbers(instances, col, folder / "instances.csv")
    tested = _read_csv(folder / "tested_models.csv", TESTED_COLUMNS)
    for col in ("sequence_length", "batch_size_native", "batch_size_compiler"):
        tested[col] = pd.to_numeric(tested[col], errors="coerce")
    return Profile(
        name=folder.name,
        policy=policy,
        instances=instances.set_index("instance_type", drop=False),
        tested_models=tested,
        price_note="bundled dated catalog (no live prices given)",
        sources={"profile": str(folder)},
    )


def apply_prices(profile: Profile, prices_dir: Path) -> Profile:
    """Overlay live prices (``prices.csv`` from ``fitcheck prices refresh``) on the catalog."""
    path = Path(prices_dir) / "prices.csv"
    if not Path(prices_dir).is_dir():
        raise InputError("price folder does not exist", Location(str(prices_dir)))
    prices = _read_csv(path, PRICE_COLUMNS)
    prices["price_usd_per_hour"] = _numbers(prices, "price_usd_per_hour", path)
    instances = profile.instances.copy()
    live = prices.drop_duplicates("instance_type", keep="last").set_index("instance_type")
    hit = instances.index.intersection(live.index)
    for col in ("price_usd_per_hour", "price_basis", "price_source", "price_date"):
        instances.loc[hit, col] = live.loc[hit, col]
    note = f"live prices from {path} for {len(hit)} of {len(instances)} instance types"
    return Profile(
        profile.name,
        profile.policy,
        instances,
        profile.tested_models,
        note,
        {**profile.sources, "prices": str(path)},
    )


def _load_policy(path: Path) -> Policy:
    doc = load_yaml(path)
    try:
        return Policy.model_validate(plain(doc))
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


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise InputError("no such file", Location(str(path)))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise InputError(f"cannot read as CSV: {err}", Location(str(path))) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column {missing[0]!r} (needs: {', '.join(columns)})",
            Location(str(path), field=missing[0]),
        )
    return frame


def _numbers(frame: pd.DataFrame, col: str, path: Path) -> pd.Series:
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{frame[col].iloc[row]!r} is not a number", Location(str(path), row=row + 1, field=col)
        )
    return values
