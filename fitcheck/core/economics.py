"""The fixed economics, vectorised. These formulas are printed in every report.

- hourly = hourly_price_usd or catalog price, x (1 - spot_discount) when spot
- cost_per_run = duration_hours x instance_count x hourly
- cost_per_year = cost_per_run x runs_per_week x 52
- compiled_hours = duration_hours / s + compile_overhead_minutes / 60
- savings_per_run = (duration_hours - compiled_hours) x instance_count x hourly
- savings_per_year = savings_per_run x runs_per_week x 52
- break_even_minutes = compile_overhead_minutes x s / (s - 1), null when s <= 1
"""

from __future__ import annotations

import numpy as np

WEEKS_PER_YEAR = 52

FORMULAS: tuple[tuple[str, str], ...] = (
    ("hourly", "hourly_price_usd if given, else the catalog price; x (1 - spot_discount) when spot"),
    ("cost_per_run", "duration_hours x instance_count x hourly"),
    ("cost_per_year", "cost_per_run x runs_per_week x 52"),
    ("speedup s", "throughput ratio compiled / eager (low, mid, high)"),
    ("compiled_hours", "duration_hours / s + compile_overhead_minutes / 60"),
    ("savings_per_run", "(duration_hours - compiled_hours) x instance_count x hourly"),
    ("savings_per_year", "savings_per_run x runs_per_week x 52"),
    ("break_even_minutes", "compile_overhead_minutes x s / (s - 1); none when s <= 1"),
)


def hourly(
    catalog: np.ndarray, override: np.ndarray, spot: np.ndarray, spot_discount: np.ndarray
) -> np.ndarray:
    base = np.where(np.isnan(override), catalog, override)
    discount = np.where(spot, np.nan_to_num(spot_discount, nan=0.0), 0.0)
    return base * (1.0 - discount)


def cost_per_run(
    duration_hours: np.ndarray, instance_count: np.ndarray, hourly_usd: np.ndarray
) -> np.ndarray:
    return duration_hours * instance_count * hourly_usd


def per_year(per_run: np.ndarray, runs_per_week: np.ndarray) -> np.ndarray:
    return per_run * runs_per_week * WEEKS_PER_YEAR


def compiled_hours(
    duration_hours: np.ndarray, speedup: np.ndarray, overhead_minutes: np.ndarray
) -> np.ndarray:
    return duration_hours / speedup + overhead_minutes / 60.0


def savings_per_run(
    duration_hours: np.ndarray,
    speedup: np.ndarray,
    overhead_minutes: np.ndarray,
    instance_count: np.ndarray,
    hourly_usd: np.ndarray,
) -> np.ndarray:
    saved_hours = duration_hours - compiled_hours(duration_hours, speedup, overhead_minutes)
    return saved_hours * instance_count * hourly_usd


def break_even_minutes(speedup: np.ndarray, overhead_minutes: np.ndarray) -> np.ndarray:
    """Shortest run (minutes) for which the compiled run is cheaper; NaN when s <= 1."""
    s = np.asarray(speedup, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = overhead_minutes * s / (s - 1.0)
    return np.where(s > 1.0, out, np.nan)
