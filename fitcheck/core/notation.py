"""One notation for amounts and ranges, in rule messages, plans and every output format.

Money is whole dollars with thousands separators (a loss is ``-$1,234``); a range is
``$low to $high``, with ``(expected $mid)`` where the midpoint matters; a speedup range is
``1.35x (1.15 to 1.55)``. The formats render values with :func:`money`, :func:`value_range`
and :func:`speedup_range`; rule messages, which are ``str.format`` templates filled per
distinct value, get their placeholders from :func:`money_range_template` and
:func:`speedup_range_template`, so both say the same thing the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

#: the word between the two ends of every range
TO = " to "


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(n: int, noun: str) -> str:
    """``1 workload``, ``3 workloads``, ``1,200 workloads`` (nouns that take an s)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def money(value: Any) -> str:
    """$1,234,567; a loss is shown as -$1,234 (never clipped to zero); n/a when missing."""
    if missing(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def value_range(low: Any, high: Any, fmt: Callable[[Any], str] = money) -> str:
    """``$low to $high`` (or another formatting of the two ends)."""
    return f"{fmt(low)}{TO}{fmt(high)}"


def money_range(low: Any, mid: Any, high: Any) -> str:
    """``$low to $high (expected $mid)``."""
    return f"{value_range(low, high)} (expected {money(mid)})"


def speedup_range(low: Any, mid: Any, high: Any) -> str:
    """``1.35x (1.15 to 1.55)``; n/a when the midpoint is missing."""
    if missing(mid):
        return "n/a"
    return f"{mid:.2f}x ({low:.2f}{TO}{high:.2f})"


def money_range_template(prefix: str, per: str = "") -> str:
    """A message placeholder for the money range held in ``<prefix>_low/_mid/_high``:
    ``${<prefix>_low:,.0f} to ${<prefix>_high:,.0f}<per> (expected ${<prefix>_mid:,.0f})``."""
    return f"${{{prefix}_low:,.0f}}{TO}${{{prefix}_high:,.0f}}{per} (expected ${{{prefix}_mid:,.0f}})"


def speedup_range_template(prefix: str, extra: str = "") -> str:
    """A message placeholder for the speedup in ``<prefix>_low/_mid/_high``:
    ``{<prefix>_mid:.2f}x ({<prefix>_low:.2f} to {<prefix>_high:.2f}<extra>)``."""
    return f"{{{prefix}_mid:.2f}}x ({{{prefix}_low:.2f}}{TO}{{{prefix}_high:.2f}}{extra})"
