"""Charts for the HTML report: matplotlib figures rendered to inline, deterministic SVG.

Uses :class:`matplotlib.figure.Figure` directly (no pyplot, no global backend switch), so
importing this module changes nothing for other code. Every function takes plain records
and returns an :class:`Svg` (markup plus a text alternative); none does I/O.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from fitcheck.core.economics import savings_per_run
from fitcheck.formats.text import money

#: decision -> (fill colour, hatch, edge colour). Hatches keep decisions apart in greyscale.
DECISION_STYLE: dict[str, tuple[str, str, str]] = {
    "enable": ("#1a7f37", "", "#0b3d18"),
    "benchmark": ("#f0b429", "///", "#7a4d00"),
    "skip": ("#c9ced6", "...", "#4a5160"),
}
RC = {
    "svg.hashsalt": "fitcheck",
    "svg.fonttype": "path",
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "hatch.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
MAX_BARS = 30


def _style() -> Any:
    """The report's matplotlib settings, for one block only (nothing global changes)."""
    return matplotlib.rc_context(cast(Any, RC))


@dataclass(frozen=True)
class Svg:
    """An inline SVG chart and the sentence a screen reader reads instead."""

    markup: str
    alt: str
    title: str


def _usd_axis(value: float, _pos: object = None) -> str:
    if abs(value) >= 1_000_000:
        return f"{'-' if value < 0 else ''}${abs(value) / 1e6:,.1f}M"
    if abs(value) >= 10_000:
        return f"{'-' if value < 0 else ''}${abs(value) / 1e3:,.0f}k"
    return money(value)


def _svg(fig: Figure, key: str, alt: str, title: str) -> Svg:
    """Serialise ``fig`` as inline SVG: no XML prolog, no metadata, ids unique per chart."""
    buf = io.StringIO()
    with _style():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r"<style[^>]*>.*?</style>\s*", "", text, flags=re.S)
    # ids must be unique in the whole page: glyphs and clip paths repeat between charts
    text = re.sub(r'\bid="([^"]+)"', rf'id="{key}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{key}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{key}-\1)", text)
    # scale with the page; the viewBox keeps the proportions
    text = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", text, count=1)
    label = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("<svg", f'<svg role="img" aria-label="{label}" class="chart"', 1)
    return Svg(text.strip(), alt, title)


def _figure(width: float, height: float) -> Figure:
    with _style():
        return Figure(figsize=(width, height), layout="constrained")


def savings_by_workload(records: list[dict[str, Any]]) -> Svg | None:
    """Expected savings per year per workload (mid) with the low-high range as an error bar."""
    rows = [
        r for r in records if any((r["savings_per_year_usd"][k] or 0) != 0 for k in ("low", "mid", "high"))
    ]
    if not rows:
        return None
    rows.sort(key=lambda r: (-(r["savings_per_year_usd"]["mid"] or 0), r["name"]))
    shown = rows[:MAX_BARS]
    with _style():
        fig = _figure(7.6, 0.9 + 0.32 * len(shown))
        ax = fig.add_subplot()
        y = np.arange(len(shown))[::-1]
        for yi, r in zip(y, shown, strict=True):
            s = r["savings_per_year_usd"]
            fill, hatch, edge = DECISION_STYLE[r["decision"]]
            ax.barh(yi, s["mid"] or 0, color=fill, hatch=hatch, edgecolor=edge, linewidth=0.8, height=0.62)
            ax.plot([s["low"], s["high"]], [yi, yi], color="#111111", linewidth=1.4)
            ax.plot([s["low"], s["low"]], [yi - 0.18, yi + 0.18], color="#111111", linewidth=1.4)
            ax.plot([s["high"], s["high"]], [yi - 0.18, yi + 0.18], color="#111111", linewidth=1.4)
        ax.set_yticks(y, [f"{r['name']} ({r['decision']})" for r in shown])
        ax.axvline(0, color="#111111", linewidth=0.8)
        ax.xaxis.set_major_formatter(FuncFormatter(_usd_axis))
        ax.set_xlabel("Savings per year (USD); bar = expected, whisker = low to high")
        more = f" (largest {len(shown)} of {len(rows)})" if len(rows) > len(shown) else ""
        title = f"Projected savings per workload{more}"
        ax.set_title(title)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        _decision_legend(ax, {r["decision"] for r in shown})
    top = ", ".join(
        f"{r['name']} {money(r['savings_per_year_usd']['mid'])} "
        f"({money(r['savings_per_year_usd']['low'])} to "
        f"{money(r['savings_per_year_usd']['high'])})"
        for r in shown[:3]
    )
    alt = (
        f"Horizontal bar chart of expected savings per year for {len(shown)} workloads with "
        f"low-to-high ranges. Largest: {top}."
    )
    return _svg(fig, "savings", alt, title)


def _decision_legend(ax: Any, decisions: set[str]) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(
            facecolor=DECISION_STYLE[d][0],
            hatch=DECISION_STYLE[d][1],
            edgecolor=DECISION_STYLE[d][2],
            label=d,
        )
        for d in ("enable", "benchmark", "skip")
        if d in decisions
    ]
    ax.legend(handles=handles, loc="lower right", frameon=True, fontsize=9)


def spend_by_decision(totals: dict[str, Any]) -> Svg | None:
    """Annual spend in scope split by decision, as money and as share of the total."""
    spend = totals["spend_by_decision_usd"]
    total = sum(spend.values())
    if total <= 0:
        return None
    order = ["enable", "benchmark", "skip"]
    with _style():
        fig = _figure(7.6, 2.3)
        ax = fig.add_subplot()
        y = np.arange(len(order))[::-1]
        for yi, d in zip(y, order, strict=True):
            fill, hatch, edge = DECISION_STYLE[d]
            ax.barh(yi, spend[d], color=fill, hatch=hatch, edgecolor=edge, linewidth=0.8, height=0.6)
            ax.annotate(
                f"{money(spend[d])} ({spend[d] / total:.0%})",
                (spend[d], yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
            )
        ax.set_yticks(y, [f"{d} ({totals['decisions'][d]})" for d in order])
        ax.set_xlim(0, max(spend.values()) * 1.35)
        ax.xaxis.set_major_formatter(FuncFormatter(_usd_axis))
        ax.set_xlabel("Training spend per year (USD)")
        title = "Spend in scope by decision (number of workloads in brackets)"
        ax.set_title(title)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    alt = (
        "Bar chart of annual training spend by decision: "
        + "; ".join(
            f"{d} {money(spend[d])} ({spend[d] / total:.0%}, {totals['decisions'][d]} workloads)"
            for d in order
        )
        + "."
    )
    return _svg(fig, "spend", alt, title)


def _duration_label(hours: float) -> str:
    return f"{hours * 60:.0f} min" if hours < 2 else f"{hours:g} h"


def savings_vs_duration(record: dict[str, Any], key: str) -> Svg:
    """Savings per run as a function of run length, with break-even and the actual run marked."""
    inp = record["inputs"]
    s = record["expected_speedup"]
    overhead = float(record["compile_overhead_minutes"] or 0.0)
    actual_h = float(inp["duration_hours"])
    be_min = record["break_even_minutes"]
    be_h = None if be_min is None else be_min / 60
    span = max(actual_h * 1.35, (be_h or 0) * 3, 0.75)
    hours = np.linspace(0, span, 301)
    count = float(inp["instance_count"])
    hourly = float(record["hourly_price_usd"])
    curve = {
        k: savings_per_run(hours, *np.asarray([float(s[k]), overhead, count, hourly]))
        for k in ("low", "mid", "high")
    }
    scale, unit = (60.0, "minutes") if span < 2 else (1.0, "hours")
    x = hours * scale
    with _style():
        fig = _figure(5.4, 3.3)
        ax = fig.add_subplot()
        ax.fill_between(
            x,
            curve["low"],
            curve["high"],
            color="#9ecae1",
            alpha=0.6,
            label=f"range ({s['low']:.2f}x to {s['high']:.2f}x)",
        )
        ax.plot(x, curve["mid"], color="#08519c", linewidth=2, label=f"expected ({s['mid']:.2f}x)")
        ax.axhline(0, color="#111111", linewidth=0.8)
        top = float(np.nanmax(curve["high"]))
        if be_h is not None:
            ax.axvline(be_h * scale, color="#b2182b", linestyle="--", linewidth=1.4, label="break-even")
            ax.annotate(
                f"break-even\n{_duration_label(be_h)}",
                (be_h * scale, top * 0.55),
                xytext=(5, 0),
                textcoords="offset points",
                fontsize=8,
                color="#8e0f1f",
            )
        ax.axvline(actual_h * scale, color="#111111", linestyle=":", linewidth=1.8, label="actual run")
        ax.annotate(
            f"actual run\n{_duration_label(actual_h)}",
            (actual_h * scale, top * 0.1),
            xytext=(-5, 0),
            textcoords="offset points",
            fontsize=8,
            ha="right",
            color="#111111",
        )
        ax.yaxis.set_major_formatter(FuncFormatter(_usd_axis))
        ax.set_xlim(0, span * scale)
        ax.set_xlabel(f"Run length ({unit})")
        ax.set_ylabel("Savings per run (USD)")
        title = f"{record['name']}: {record['decision']} {record['compiler']}"
        ax.set_title(title, fontsize=10)
        ax.grid(color="#e5e5e5", linewidth=0.6)
        ax.legend(loc="upper left", fontsize=8, frameon=True)
    sr = record["savings_per_run_usd"]
    be = f"breaks even at {_duration_label(be_h)}" if be_h is not None else "never breaks even"
    alt = (
        f"Line chart for {record['name']}: savings per run against run length. The "
        f"expected case {be}; the actual run of {_duration_label(actual_h)} saves "
        f"{money(sr['mid'])} per run ({money(sr['low'])} to {money(sr['high'])})."
    )
    return _svg(fig, key, alt, title)


def measured_speedups(measurements: list[dict[str, Any]], policy: dict[str, Any]) -> Svg | None:
    """Measured speedup per workload and backend with its confidence interval."""
    if not measurements:
        return None
    rows = sorted(measurements, key=lambda m: (m["workload"], m["candidate"], m["file"]))
    enable = float(policy.get("enable_min_speedup", 1.2))
    skip = float(policy.get("skip_below_speedup", 1.1))
    with _style():
        fig = _figure(7.6, 1.7 + 0.4 * len(rows))
        ax = fig.add_subplot()
        y = np.arange(len(rows))[::-1]
        for yi, m in zip(y, rows, strict=True):
            sp = m["speedup"]
            ax.errorbar(
                sp["mid"],
                yi,
                xerr=[[sp["mid"] - sp["low"]], [sp["high"] - sp["mid"]]],
                fmt="o",
                color="#08519c",
                ecolor="#111111",
                capsize=4,
                markersize=6,
            )
            ax.annotate(
                f"{sp['mid']:.2f}x [{sp['low']:.2f}, {sp['high']:.2f}]",
                (sp["high"], yi),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        ax.axvline(1.0, color="#111111", linewidth=0.8, label="no change (1.00x)")
        ax.axvline(skip, color="#b2182b", linestyle=":", linewidth=1.4, label=f"leave off below {skip:.2f}x")
        ax.axvline(enable, color="#1a7f37", linestyle="--", linewidth=1.4, label=f"enable at {enable:.2f}x")
        ax.set_yticks(y, [f"{m['workload']}: {m['candidate']} vs {m['baseline']}" for m in rows])
        lo = min(min(m["speedup"]["low"] for m in rows), 0.95)
        hi = max(max(m["speedup"]["high"] for m in rows), enable)
        ax.set_xlim(lo - 0.05, hi + (hi - lo) * 0.45 + 0.05)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel("Measured speedup (throughput ratio, x); whisker = confidence interval")
        title = "Measured speedup per backend"
        ax.set_title(title)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        fig.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    alt = (
        "Dot plot of measured speedups with confidence intervals: "
        + "; ".join(
            f"{m['workload']} {m['candidate']} {m['speedup']['mid']:.2f}x "
            f"({m['speedup']['low']:.2f} to {m['speedup']['high']:.2f})"
            for m in rows
        )
        + "."
    )
    return _svg(fig, "measured", alt, title)
