"""HTML: the finance report, one self-contained file to open, read and print.

Rendered by jinja2 from ``templates/report.html.j2`` and ``templates/report.css`` (package
data, read with :mod:`importlib.resources`) with autoescape on. One escaping path: every
value printed goes through :func:`fitcheck.formats.safe.plain` (control and bidi override
characters removed) and then jinja2's HTML escaping; user names are also wrapped in
``<bdi>``. The first two printed pages are the summary (decision requested, the three
lines, the waterfall and sensitivity charts, the largest actionable workloads); the
appendix starts on a new page. Charts are inline SVG with real text. Every figure taken
from the records carries ``data-field``/``data-value`` attributes so tests can check the
page against the JSON. Apart from the generation time the output is deterministic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from fitcheck.core.analysis import Analysis
from fitcheck.core.document import Head, WorkloadRecord
from fitcheck.formats.safe import plain
from fitcheck.formats.text import (
    minutes,
    missing,
    money,
    sensitivity_rows,
    short_money,
    speedup,
    unblock,
    view,
)

TITLE = "fitcheck: training-compiler decisions and savings"
SUMMARY_ROWS = 12  # actionable rows on the summary's second page
MAX_GROUPS = 8
MAX_ROWS = 2_000  # appendix A rows
MAX_DETAILS = 300  # per-workload articles
LABEL_CHARS = 30


def _finalize(value: Any) -> Any:
    from markupsafe import Markup

    if isinstance(value, Markup) or value is None:
        return "" if value is None else value
    if isinstance(value, str):
        return plain(value)
    return value


def _raw_json(value: Any) -> str:
    return "null" if missing(value) else json.dumps(value)


def _css_string(value: str) -> Any:
    """A CSS string literal whose every character outside [A-Za-z0-9 ._:-] is a hex escape."""
    from markupsafe import Markup

    out = "".join(
        c if c.isascii() and (c.isalnum() or c in " ._:-") else f"\\{ord(c):x} " for c in plain(value)
    )
    return Markup(f'"{out}"')


def _g(v: Any) -> str:
    if missing(v):
        return "n/a"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _weeks(v: Any) -> str:
    return "never" if missing(v) else f"{max(1, math.ceil(v))} weeks"


def _setting(value: Any, nested: bool = False) -> Any:
    """A profile setting as one cell: lists joined with '/', tables as 'key: value' pairs
    separated by ';' (a table inside a table: 'key=value' pairs separated by ',')."""
    if isinstance(value, dict):
        if nested:
            return ", ".join(f"{k}={_setting(v, True)}" for k, v in value.items())
        return "; ".join(f"{k}: {_setting(v, True)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "/".join(_g(v) for v in value)
    return value


def dynamic_shape_settings(prof: Any) -> list[tuple[str, Any]]:
    """The dynamic-shape model as the profile states it: for the compilers that compile once per
    distinct shape, the distinct shapes assumed per run; per compiler, its compilations per
    run, steady-state slowdown and recompile limit."""
    per_shape = [c for c, d in prof.dynamic_shapes.items() if d.compilations is None]
    rows: list[tuple[str, Any]] = []
    if per_shape:
        rows.append(
            (
                f"dynamic shapes: distinct shapes per run, unpadded (compilers that compile once per "
                f"distinct shape: {', '.join(per_shape)})",
                prof.dynamic_shape_compilations,
            )
        )
    for c, d in prof.dynamic_shapes.items():
        compilations = (
            f"one per distinct shape ({_g(prof.dynamic_shape_compilations)})"
            if d.compilations is None
            else d.compilations
        )
        rows.append((f"dynamic shapes, {c}: compilations per run", compilations))
        rows.append((f"dynamic shapes, {c}: steady-state speed vs static shapes", d.slowdown))
        if d.recompile_limit is not None:
            rows.append((f"dynamic shapes, {c}: recompiles before falling back to eager", d.recompile_limit))
    return rows


def _prior_match(p: Any) -> str:
    return (
        ", ".join(f"{k}={'/'.join(v) if isinstance(v, list) else v}" for k, v in p.match.items())
        or "anything"
    )


@cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=money,
        minutes=minutes,
        weeks=_weeks,
        speedup=speedup,
        raw_json=_raw_json,
        css_string=_css_string,
        hourly=lambda v: "n/a" if missing(v) else f"${v:,.2f}",
        g=_g,
        pct=lambda v: "unknown" if missing(v) else f"{v:.0%}",
        unblock=unblock,
        prior_match=_prior_match,
    )
    return env


def _template(name: str) -> str:
    return resources.files("fitcheck.formats").joinpath("templates", name).read_text(encoding="utf-8")


def _truncate(text: str, n: int = LABEL_CHARS) -> str:
    text = plain(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _axis(lo: float, hi: float, x0: float, x1: float) -> tuple[Any, list[dict[str, Any]]]:
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo <= 0:
        hi = lo + 1.0
    step = 10 ** math.floor(math.log10((hi - lo) / 4))
    for m in (1, 2, 2.5, 5, 10):
        if (hi - lo) / (step * m) <= 5:
            step *= m
            break
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step

    def sx(v: float) -> float:
        return round(x0 + (v - lo) / (hi - lo) * (x1 - x0), 1)

    ticks, v = [], lo
    while v <= hi + step / 2:
        ticks.append({"x": sx(v), "label": short_money(v)})
        v += step
    return sx, ticks


def _bars(
    title: str,
    caption: str,
    alt: str,
    items: list[tuple[str, float, float, str, str]],
    base: float | None = None,
) -> dict[str, Any]:
    """Horizontal bars from ``start`` to ``end`` (label, start, end, css class, value text)."""
    width, left, right, row, top = 640, 190, 530, 30, 10
    values = [v for _, a, b, _, _ in items for v in (a, b)] or [0.0]
    sx, ticks = _axis(min(values), max(values), left, right)
    bars = []
    for i, (label, a, b, cls, text) in enumerate(items):
        x, x2 = sorted((sx(a), sx(b)))
        y = top + i * row
        end = max(sx(a), sx(b))
        bars.append(
            {
                "x": x,
                "y": y,
                "w": max(x2 - x, 1.0),
                "h": row - 10,
                "cls": cls,
                "label": _truncate(label),
                "title": f"{plain(label)}: {text}",
                "value": text,
                "value_x": min(end + 4, width - 2),
                "anchor": "start",
                "extra": None,
            }
        )
        if base is not None and a < base < b:  # a tornado row: below the base red, above green
            bars[-1].update(w=max(sx(base) - x, 1.0), cls="b-low")
            bars[-1]["extra"] = {"x": sx(base), "w": max(x2 - sx(base), 1.0), "cls": "b-high"}
    bottom = top + len(items) * row
    axes = [{"x": sx(0.0)}] + ([{"x": sx(base)}] if base is not None else [])
    return {
        "title": title,
        "caption": caption,
        "alt": alt,
        "width": width,
        "height": bottom + 22,
        "top": top,
        "bottom": bottom,
        "label_x": left - 6,
        "bars": bars,
        "grid": ticks,
        "axes": axes,
    }


def waterfall(head: Head) -> dict[str, Any]:
    t = head.totals
    c, p = t.committed, t.pending
    cs = c.savings_per_year_usd.mid if c.savings_per_year_usd else 0.0
    ps = p.savings_per_year_usd.mid if p.savings_per_year_usd else 0.0
    pn = p.net_first_year_usd.mid if p.net_first_year_usd else 0.0
    cs, ps, pn = cs or 0.0, ps or 0.0, pn or 0.0
    delay = ps - pn - p.one_time_cost_usd
    steps = [
        ("Committed savings / year", cs, "b-committed"),
        ("Pending savings (if confirmed)", ps, "b-pending"),
        ("Pending: wait for results", -delay, "b-cost"),
        ("One-time cost, committed", -c.one_time_cost_usd, "b-cost"),
        ("One-time cost, pending", -p.one_time_cost_usd, "b-cost"),
    ]
    items, run = [], 0.0
    for label, v, cls in steps:
        items.append((label, run, run + v, cls, money(v)))
        run += v
    items.append(("Net savings, first year", 0.0, run, "b-net", money(run)))
    alt = (
        f"Waterfall: committed savings {money(cs)} a year, pending {money(ps)} if its benchmarks confirm, "
        f"less {money(delay)} for the months before pending savings start and "
        f"{money(c.one_time_cost_usd + p.one_time_cost_usd)} of one-time cost, gives {money(run)} net in the "
        "first year."
    )
    return _bars(
        "From savings to net, first year",
        f"Expected figures; of {money(t.spend_per_year_usd)} a year of spend in scope. Green: committed; "
        "amber: pending a benchmark; red: what it costs.",
        alt,
        items,
    )


def tornado(head: Head) -> dict[str, Any]:
    t = head.totals
    base = t.sensitivity[0].base_usd if t.sensitivity else 0.0
    items = []
    for (name, _, _), s in zip(sensitivity_rows(head), t.sensitivity, strict=True):
        lo, hi = s.low.net_first_year_usd, s.high.net_first_year_usd
        items.append(
            (
                f"{name}",
                lo,
                hi,
                "b-low" if hi - base < base - lo else "b-high",
                f"{short_money(lo)} to {short_money(hi)}",
            )
        )
    items.sort(key=lambda x: -abs(x[2] - x[1]))
    alt = f"Sensitivity of the expected net first-year savings ({money(base)}): " + "; ".join(
        f"{s.factor} {money(s.low.net_first_year_usd)} ({s.low.case}) to {money(s.high.net_first_year_usd)} "
        f"({s.high.case})"
        for s in t.sensitivity
    )
    return _bars(
        "What moves the net savings",
        f"Net first-year savings under each change alone; the second line marks the expected {money(base)}.",
        alt,
        items,
        base,
    )


def _measurements(head: Head) -> list[dict[str, str]]:
    out = []
    for m in sorted(
        head.evidence.measurements,
        key=lambda m: (str(m.get("workload")), str(m.get("candidate")), str(m.get("file"))),
    ):
        h = m.get("host") or {}
        sp = m.get("speedup") or {}
        out.append(
            {
                "workload": str(m.get("workload")),
                "backend": f"{m.get('candidate')} vs {m.get('baseline')} ({m.get('compiler')})",
                "speedup": speedup(sp) if isinstance(sp, dict) else str(sp),
                "host": ", ".join(
                    f"{k} {h[k]}"
                    for k in ("device_name", "device", "driver", "cuda", "torch", "torch_xla", "platform")
                    if isinstance(h, dict) and h.get(k)
                ),
                "file": str(m.get("file")),
            }
        )
    return out


class HtmlFormatter:
    suffix = ".html"
    suffixes = (".html", ".htm")

    def render(self, analysis: Analysis) -> str:
        return "".join(self.stream(analysis))

    def stream(self, analysis: Analysis) -> Iterator[str]:
        v = view(analysis, MAX_ROWS, MAX_ROWS)
        yield from render_report(v.head, v.actionable, v.skipped, v.more_actionable + v.more_skipped)


def _stale_prices(prices: list[Any]) -> list[str]:
    """The stale prices by instance type; one priced in several regions is told apart by its
    basis (which names the region)."""
    seen: dict[str, int] = {}
    for p in prices:
        seen[p.instance_type] = seen.get(p.instance_type, 0) + 1
    return [
        p.instance_type if seen[p.instance_type] == 1 else f"{p.instance_type} ({p.price_basis})"
        for p in prices
        if p.stale
    ]


def render_report(
    head: Head, actionable: list[WorkloadRecord], skipped: list[WorkloadRecord], more_rows: int = 0
) -> Iterator[str]:
    """The page, piece by piece, from the typed head and the records in reading order."""
    t = head.totals
    rows = [*actionable, *skipped]
    ids = {r.name: i for i, r in enumerate(rows, 1)}
    prof = head.profile
    thresholds = [
        *prof.thresholds.items(),
        *((f"measured: {k}", x) for k, x in prof.measured_policy.items()),
        *((f"versions: {k}", _setting(x)) for k, x in prof.versions.model_dump().items()),
        *((f"compile overhead (min): {k}", x) for k, x in prof.compile_overhead_minutes.items()),
        *dynamic_shape_settings(prof),
        *(
            (f"compile cache: {k}", str(x).lower() if isinstance(x, bool) else x)
            for k, x in prof.compile_cache.model_dump().items()
        ),
        *((f"benchmark: {k}", x) for k, x in prof.benchmark.items()),
        *((f"finance: {k}", _setting(x)) for k, x in prof.finance.items()),
        ("multi-node", prof.multi_node.why),
    ]
    one_time = t.committed.one_time_cost_usd + t.pending.one_time_cost_usd
    nets = [x.net_first_year_usd.mid for x in (t.committed, t.pending) if x.net_first_year_usd]
    context = {
        "title": TITLE,
        "css": _template("report.css"),
        "h": head,
        "t": t,
        "footer_left": f"fitcheck {head.fitcheck_version} · generated {head.generated_at[:10]} · "
        f"inventory {head.inventory.rsplit('/', 1)[-1]}"
        + (
            f" (sha256 {head.provenance.inventory_sha256[:12]})"
            if head.provenance and head.provenance.inventory_sha256
            else ""
        ),
        "one_time_total": one_time,
        "net_total": sum(n for n in nets if n is not None),
        "stale": _stale_prices(head.price_catalog.instances),
        "waterfall": waterfall(head),
        "tornado": tornado(head),
        "sens": sensitivity_rows(head),
        "top": actionable[:SUMMARY_ROWS],
        "more_top": max(0, t.committed.workloads + t.pending.workloads - SUMMARY_ROWS),
        "groups": head.rollup or [],
        "max_groups": MAX_GROUPS,
        "rows": rows,
        "more_rows": more_rows,
        "skipped": skipped,
        "details": rows[:MAX_DETAILS],
        "more_details": max(0, t.workloads - min(len(rows), MAX_DETAILS)),
        "ids": ids,
        "rule_names": {r.id: r.name for r in head.rules},
        "thresholds": thresholds,
        "measurements": _measurements(head),
    }
    yield from _env().get_template("report.html.j2").generate(**context)
