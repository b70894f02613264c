"""HTML: the finance report, one self-contained file to open, read and print.

Everything is inline (CSS, SVG charts); the page makes no request of any kind. Every
user-supplied string is escaped. Every figure taken from the records carries
``data-field``/``data-value`` attributes, so tests (and reviewers' tools) can check the
page against the JSON records it was rendered from. Apart from the generation time the
output is deterministic.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from typing import Any

from fitcheck.core.analysis import Analysis
from fitcheck.core.records import to_records
from fitcheck.formats import charts
from fitcheck.formats.text import minutes, money, speedup, top_opportunities

DECISIONS = ("enable", "benchmark", "skip")
DECISION_WORD = {"enable": "Enable", "benchmark": "Benchmark", "skip": "Skip"}
MAX_DURATION_CHARTS = 24
NOWRAP = ' class="nowrap"'

CSS = """
:root { --ink: #1a1a1a; --muted: #4a4f57; --rule: #c8ccd2; --band: #f4f5f7; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; color: var(--ink);
  background: #ffffff; font: 15px/1.45 "DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 1.7em; margin: 0 0 .2em; }
h2 { font-size: 1.3em; margin: 1.8em 0 .6em; padding-bottom: .2em;
  border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.12em; margin: 0 0 .4em; }
h4 { font-size: .98em; margin: 1em 0 .3em; }
p, li { max-width: 80ch; }
code, pre { font-family: "DejaVu Sans Mono", Consolas, "Liberation Mono", monospace;
  font-size: .88em; }
pre { background: var(--band); border: 1px solid var(--rule); padding: .6em .8em;
  white-space: pre-wrap; overflow-wrap: anywhere; margin: .3em 0; }
a { color: #0a4fa3; }
.byline { color: var(--muted); margin: 0; }
nav ol { display: flex; flex-wrap: wrap; gap: .3em 1.4em; padding: 0; list-style: none;
  margin: .8em 0 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: 12px; margin: 1em 0; }
.kpi { border: 1px solid var(--rule); border-left: 6px solid var(--ink); padding: .6em .9em;
  background: #fff; }
.kpi .label { color: var(--muted); font-size: .86em; text-transform: uppercase;
  letter-spacing: .04em; }
.kpi .value { font-size: 1.55em; font-weight: 700; font-variant-numeric: tabular-nums; }
.kpi .sub { font-size: .9em; color: var(--muted); }
.note { color: var(--muted); font-size: .9em; }
.warn { border-left: 4px solid #8a5a00; background: #fff8e6; padding: .4em .8em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; font-size: .92em; }
caption { text-align: left; font-weight: 700; padding: .3em 0; }
th, td { border: 1px solid var(--rule); padding: .35em .5em; vertical-align: top;
  text-align: left; }
thead th { background: #e9ebef; }
tbody th { font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mid { color: var(--muted); font-size: .9em; }
.decision { display: inline-block; font-weight: 700; padding: .05em .45em; border-width: 2px;
  border-radius: 3px; white-space: nowrap; letter-spacing: .02em; }
.d-enable { color: #0b3d18; background: #dff3e4; border: 2px solid #0b3d18; }
.d-benchmark { color: #4d3000; background: #fff0c7; border: 2px dashed #4d3000; }
.d-skip { color: #30353f; background: #eef0f3; border: 2px dotted #30353f; }
.status { font-weight: 700; white-space: nowrap; }
.s-pass { color: #0b3d18; }
.s-warn { color: #6b4200; }
.s-fail { color: #8e0f1f; text-decoration: underline; }
.s-unknown { color: #30353f; font-style: italic; }
figure { margin: 1em 0 1.6em; }
figcaption { color: var(--muted); font-size: .9em; margin-top: .3em; max-width: 90ch; }
svg.chart { width: 100%; height: auto; max-width: 900px; display: block; }
svg.chart * { stroke-linejoin: round; stroke-linecap: butt; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 8px 24px; }
.grid2 svg.chart { max-width: 640px; }
.workload { border: 1px solid var(--rule); border-top: 5px solid var(--ink); padding: .8em 1em;
  margin: 0 0 1.2em; }
.workload.d-enable, .workload.d-benchmark, .workload.d-skip { background: #fff; color: var(--ink); }
.workload.d-enable { border-top: 5px solid #0b3d18; }
.workload.d-benchmark { border-top: 5px dashed #4d3000; }
.workload.d-skip { border-top: 5px dotted #30353f; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: .4em 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
#decisions td:nth-child(8) { min-width: 26ch; }
#decisions td:nth-child(5) { min-width: 15ch; }
.nowrap { white-space: nowrap; }
footer { margin-top: 2.5em; border-top: 1px solid var(--rule); padding-top: .6em;
  color: var(--muted); font-size: .9em; }
@page { size: A4; margin: 13mm 12mm 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3, h4 { break-after: avoid; page-break-after: avoid; }
  #charts, #details, #provenance { break-before: page; page-break-before: always; }
  table { font-size: 8.5pt; }
  thead { display: table-header-group; }
  tr, figure, .kpi, pre, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  .grid2 { display: block; }
  .grid2 figure { display: inline-block; width: 49%; vertical-align: top; margin: 0 0 .6em; }
  .workload { break-inside: auto; }
  .decision, .kpi, thead th, pre { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def val(field: str, value: Any, text: str, fmt: str = "") -> str:
    """A figure on the page, with the exact record value it was formatted from."""
    raw = "null" if _is_missing(value) else json.dumps(value)
    kind = f' data-format="{fmt}"' if fmt else ""
    return f'<span data-field="{e(field)}" data-value="{e(raw)}"{kind}>{e(text)}</span>'


def usd(field: str, value: Any) -> str:
    return val(field, value, money(value), "money")


def mins(field: str, value: Any) -> str:
    return val(field, value, minutes(value), "minutes")


def badge(decision: str) -> str:
    word = DECISION_WORD.get(decision, decision)
    return f'<span class="decision d-{e(decision)}">{e(word)}</span>'


def status(word: str) -> str:
    return f'<span class="status s-{e(word)}">{e(word)}</span>'


def _table(
    head: Iterable[str],
    rows: Iterable[Iterable[str]],
    caption: str = "",
    num: Iterable[int] = (),
    row_header: bool = True,
    row_attrs: list[str] | None = None,
) -> str:
    """Rows are already-escaped cell markup; the first cell is the row header."""
    numeric = set(num)
    cols = list(head)
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{e(caption)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            f'<th scope="col"{" class=num" if i in numeric else ""}>{e(h)}</th>' for i, h in enumerate(cols)
        )
        + "</tr></thead><tbody>"
    )
    for n, row in enumerate(rows):
        cells = []
        for i, c in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            tag = "th" if i == 0 and row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{cls}>{c}</{tag}>")
        extra = f" {row_attrs[n]}" if row_attrs else ""
        out.append(f"<tr{extra}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _figure(svg: charts.Svg | None, caption: str) -> str:
    if svg is None:
        return ""
    return (
        f"<figure>{svg.markup}<figcaption><strong>{e(svg.title)}.</strong> {e(caption)}</figcaption></figure>"
    )


class HtmlFormatter:
    suffix = ".html"

    def render(self, analysis: Analysis) -> str:
        return render_report(analysis.meta, to_records(analysis))


def render_report(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """The whole page from the analysis metadata and the per-workload records."""
    title = "fitcheck: training-compiler decisions and savings"
    body = "\n".join(
        [
            _header(meta, title),
            _summary(meta, records),
            _decision_table(records),
            _charts(meta, records),
            _details(meta, records),
            _provenance(meta, records),
            f"<footer>Generated by fitcheck {e(meta.get('fitcheck_version'))} at "
            f"{e(meta.get('generated_at'))} from {e(meta.get('inventory'))}. This file is "
            "self-contained: it loads nothing from anywhere.</footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f'<meta name="generator" content="fitcheck {e(meta.get("fitcheck_version"))}">\n'
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )


def _header(meta: dict[str, Any], title: str) -> str:
    links = [
        ("summary", "Summary"),
        ("decisions", "Decision table"),
        ("charts", "Charts"),
        ("details", "Per-workload detail"),
        ("provenance", "Assumptions and provenance"),
    ]
    nav = "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in links)
    return (
        f"<header><h1>{e(title)}</h1>"
        f'<p class="byline">Inventory <code>{e(meta.get("inventory"))}</code> · generated '
        f'<time data-field="generated_at">{e(meta.get("generated_at"))}</time> · fitcheck '
        f"{e(meta.get('fitcheck_version'))}</p>"
        f'<nav aria-label="Sections"><ol>{nav}</ol></nav></header>'
    )


def _summary(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    t = meta["totals"]
    s = t["savings_per_year_usd"]
    d = t["decisions"]
    spend = t["spend_per_year_usd"]
    share = f"{s['mid'] / spend:.1%} of spend" if spend else ""
    kpis = [
        (
            "Training spend in scope",
            usd("totals.spend_per_year_usd", spend) + " / year",
            f"{val('totals.workloads', t['workloads'], str(t['workloads']), 'int')} workloads",
        ),
        (
            "Projected savings (expected)",
            usd("totals.savings_per_year_usd.mid", s["mid"]) + " / year",
            f"range {usd('totals.savings_per_year_usd.low', s['low'])} to "
            f"{usd('totals.savings_per_year_usd.high', s['high'])}" + (f"; {share}" if share else ""),
        ),
        (
            "Decisions",
            " · ".join(f"{val(f'totals.decisions.{k}', d[k], str(d[k]), 'int')} {k}" for k in DECISIONS),
            "enable now · benchmark first · leave as is",
        ),
    ]
    cards = "".join(
        f'<div class="kpi"><div class="label">{e(label)}</div>'
        f'<div class="value">{value}</div><div class="sub">{sub}</div></div>'
        for label, value, sub in kpis
    )
    tops = top_opportunities(records)
    top_html = (
        ("<h3>Largest opportunities</h3><ol>" + "".join(f"<li>{e(x)}</li>" for x in tops) + "</ol>")
        if tops
        else "<p>No workload is worth enabling or benchmarking.</p>"
    )
    stale = [p for p in meta.get("price_catalog", {}).get("instances", []) if p.get("stale")]
    warn = ""
    if stale:
        days = meta["price_catalog"].get("stale_after_days")
        warn = (
            f'<p class="warn">{len(stale)} of {len(meta["price_catalog"]["instances"])} '
            f"instance prices are older than {e(days)} days "
            f"({e(', '.join(p['instance_type'] for p in stale))}): refresh them with "
            "<code>fitcheck prices refresh</code> before relying on the dollar figures.</p>"
        )
    measured = meta.get("evidence", {}).get("measured_workloads", 0)
    basis = (
        f"Savings are summed over the workloads decided enable or benchmark. Low and high "
        f"use the pessimistic and optimistic speedups. {measured} of {t['workloads']} "
        "workloads use measured speedups; the rest use priors (see Assumptions)."
    )
    return (
        f'<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Executive '
        f'summary</h2><div class="kpis">{cards}</div>{top_html}'
        f'<p class="note">{e(basis)}</p>{warn}</section>'
    )


def _run_minutes(r: dict[str, Any]) -> float:
    return float(r["inputs"]["duration_hours"]) * 60


def _run(r: dict[str, Any]) -> str:
    """The length of one run, marked with the record value it shows."""
    return val("inputs.duration_hours", r["inputs"]["duration_hours"], minutes(_run_minutes(r)), "hours")


def _decision_table(records: list[dict[str, Any]]) -> str:
    head = [
        "Workload",
        "Decision",
        "Compiler",
        "Spend / year",
        "Savings / year (low to high)",
        "Break-even vs run",
        "Evidence",
        "Main reason",
    ]
    rows = []
    for i, r in enumerate(records, 1):
        sv = r["savings_per_year_usd"]
        rows.append(
            (
                f'<a href="#w-{i}"{NOWRAP if len(r["name"]) <= 24 else ""}>{e(r["name"])}</a>',
                badge(r["decision"]),
                e(r["compiler"]),
                usd("cost_per_year_usd", r["cost_per_year_usd"]),
                f"{usd('savings_per_year_usd.low', sv['low'])} to "
                f'{usd("savings_per_year_usd.high", sv["high"])}<br><span class="mid">expected '
                f"{usd('savings_per_year_usd.mid', sv['mid'])}</span>",
                f"{mins('break_even_minutes', r['break_even_minutes'])} vs {_run(r)}",
                f'{e(r["evidence"])}<br><span class="mid">{e(speedup(r["expected_speedup"]))}</span>',
                e(r["main_reason"] or ""),
            )
        )
    attrs = [f'data-workload="{e(r["name"])}" data-decision="{e(r["decision"])}"' for r in records]
    table = _table(
        head,
        rows,
        num=(3, 4, 5),
        row_attrs=attrs,
        caption="One row per workload; the name links to its detail. For skip rows "
        "the savings are what the compiler would save if enabled anyway; they are not "
        "in the projected total.",
    )
    return (
        f'<section id="decisions" aria-labelledby="decisions-h"><h2 id="decisions-h">'
        f"Decision table</h2>{table}</section>"
    )


def _charts(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    parts = ['<section id="charts" aria-labelledby="charts-h"><h2 id="charts-h">Charts</h2>']
    parts.append(
        _figure(
            charts.savings_by_workload(records),
            "Bars show the expected savings per year; whiskers the low-to-high range. "
            "Fill and hatching mark the decision (solid: enable, diagonal: "
            "benchmark, dotted: skip). Skip bars show savings if enabled anyway, "
            "not counted in the total.",
        )
    )
    parts.append(
        _figure(
            charts.spend_by_decision(meta["totals"]),
            "How the annual training spend in scope divides between decisions.",
        )
    )
    acting = [
        r for r in records if r["decision"] in ("enable", "benchmark") and r["hourly_price_usd"] is not None
    ]
    acting.sort(key=lambda r: (-(r["savings_per_year_usd"]["mid"] or 0), r["name"]))
    if acting:
        parts.append(
            "<h3>Savings per run against run length</h3>"
            '<p class="note">For each workload to enable or benchmark: what one run '
            "saves as a function of its length, including the fixed compile overhead. "
            "Left of the dashed line the compiled run costs more; the dotted line is "
            'the run as it is today.</p><div class="grid2">'
        )
        for k, r in enumerate(acting[:MAX_DURATION_CHARTS], 1):
            parts.append(
                _figure(
                    charts.savings_vs_duration(r, f"run{k}"),
                    f"Break-even {minutes(r['break_even_minutes'])}, actual run {minutes(_run_minutes(r))}.",
                )
            )
        parts.append("</div>")
        if len(acting) > MAX_DURATION_CHARTS:
            parts.append(
                f'<p class="note">Charted: the {MAX_DURATION_CHARTS} largest of '
                f"{len(acting)}; the rest are in the decision table.</p>"
            )
    ev = meta.get("evidence", {})
    measured = charts.measured_speedups(
        ev.get("measurements") or [], meta.get("profile", {}).get("measured_policy", {})
    )
    if measured is not None:
        parts.append("<h3>Measured speedups</h3>")
        parts.append(
            _figure(
                measured,
                "Dots: median speedup per backend; whiskers: confidence "
                "interval. Thresholds from the profile's measured-speedup policy.",
            )
        )
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _details(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    names = {r["id"]: r["name"] for r in meta.get("rules") or []}
    parts = ['<section id="details" aria-labelledby="details-h"><h2 id="details-h">Per-workload detail</h2>']
    for i, r in enumerate(records, 1):
        parts.append(_workload(i, r, names))
    parts.append("</section>")
    return "\n".join(parts)


def _workload(i: int, r: dict[str, Any], rule_names: dict[str, str]) -> str:
    inp = r["inputs"]
    sp = r["expected_speedup"]
    sv = r["savings_per_year_usd"]
    hourly = r["hourly_price_usd"]
    tags = ", ".join(f"{k}={v}" for k, v in sorted(r["tags"].items())) or "none"
    facts = [
        ("Model", f"{e(inp['model'])} ({e(inp['model_family'])})"),
        ("Framework", f"{e(inp['framework'])} {e(inp['framework_version'] or '')}"),
        (
            "Instances",
            f"{e(inp['instance_count'])} × {e(inp['instance_type'])} at "
            f"{val('hourly_price_usd', hourly, _hourly(hourly), 'usd2')}"
            f" / hour ({e(r['price_source'])}, {e(r['price_date'] or 'undated')}"
            f"{', stale' if r['price_stale'] else ''})",
        ),
        (
            "Run",
            f"{_run(r)}, {e(_g(inp['runs_per_week']))} runs / week, "
            f"{e(inp['precision'])}, {e(inp['input_shapes'])} shapes, GPU utilisation "
            f"{e(_pct(inp['gpu_utilization']))}, distribution "
            f"{e(inp['distribution'] or 'none')}",
        ),
        (
            "Compiler",
            f"{e(r['compiler'])} (candidate {e(r['candidate_compiler'])}); score "
            f"{val('score', r['score'], str(r['score']), 'int')}",
        ),
        ("Expected speedup", f"{e(speedup(sp))}, {e(r['evidence'])}: {e(r['evidence_source'])}"),
        (
            "Spend",
            f"{usd('cost_per_run_usd', r['cost_per_run_usd'])} per run, "
            f"{usd('cost_per_year_usd', r['cost_per_year_usd'])} per year",
        ),
        (
            "Savings / year",
            f"{usd('savings_per_year_usd.low', sv['low'])} to "
            f"{usd('savings_per_year_usd.high', sv['high'])} (expected "
            f"{usd('savings_per_year_usd.mid', sv['mid'])})",
        ),
        (
            "Break-even",
            f"{mins('break_even_minutes', r['break_even_minutes'])} (compile overhead "
            f"{mins('compile_overhead_minutes', r['compile_overhead_minutes'])})",
        ),
        ("Tags", e(tags)),
    ]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in facts)
    out = [
        f'<article class="workload d-{e(r["decision"])}" id="w-{i}" '
        f'data-workload="{e(r["name"])}" aria-labelledby="w-{i}-h">',
        f'<h3 id="w-{i}-h">{e(r["name"])} {badge(r["decision"])}</h3>',
        f"<p>{e(r['main_reason'] or '')}</p>",
        f'<dl class="facts">{dl}</dl>',
    ]
    if r["decision"] == "enable" and r["change"]:
        out.append(f"<h4>The change to make</h4><pre><code>{e(r['change'])}</code></pre>")
        out.append(_batch(r))
    plan = r.get("benchmark_plan") or {}
    if r["decision"] == "benchmark" and plan.get("command"):
        hours = val("benchmark_plan.hours", plan["hours"], _g(plan["hours"]), "number")
        out.append(
            '<h4>Benchmark plan</h4><dl class="facts">'
            f"<dt>Run</dt><dd><pre><code>{e(plan['command'])}</code></pre></dd>"
            f"<dt>For</dt><dd>{hours} instance-hours (eager and compiled)</dd>"
            f"<dt>Cost</dt><dd>{usd('benchmark_plan.cost_usd', plan['cost_usd'])}</dd>"
            f"<dt>Decided by</dt><dd>{e(plan['decide_by'])}</dd></dl>"
        )
        if r["change"]:
            out.append(f"<h4>If the benchmark passes</h4><pre><code>{e(r['change'])}</code></pre>{_batch(r)}")
    steps = r.get("next_steps") or []
    if steps:
        out.append("<h4>Next steps</h4><ol>" + "".join(f"<li>{e(s)}</li>" for s in steps) + "</ol>")
    rows = [
        (
            e(rule_names.get(f["rule"], f["rule"])),
            status(f["status"]),
            e(f["message"]),
            e(f.get("remedy") or ""),
        )
        for f in r["findings"]
    ]
    out.append(_table(["Check", "Status", "Finding", "Remedy"], rows, caption=f"Findings for {r['name']}"))
    out.append("</article>")
    return "\n".join(out)


def _batch(r: dict[str, Any]) -> str:
    bs, lr = r.get("recommended_batch_size"), r.get("learning_rate_scale")
    if _is_missing(bs) or _is_missing(lr):
        return (
            '<p class="note">Keep the batch size and learning rate; no tested larger batch '
            "is known for this model and instance.</p>"
        )
    return (
        "<h4>Batch size and learning rate</h4><p>Per-device batch size "
        f"{e(r['inputs']['batch_size'])} → "
        f"{val('recommended_batch_size', bs, _g(bs), 'number')}; multiply the learning "
        f"rate by {val('learning_rate_scale', lr, f'{lr:.3g}', 'number')} "
        "(linear scaling) and re-validate model quality.</p>"
    )


def _hourly(v: Any) -> str:
    return "n/a" if _is_missing(v) else f"${v:,.2f}"


def _g(v: Any) -> str:
    if _is_missing(v):
        return "n/a"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _pct(v: Any) -> str:
    return "unknown" if _is_missing(v) else f"{v:.0%}"


def _provenance(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    prof = meta.get("profile", {})
    parts = [
        '<section id="provenance" aria-labelledby="prov-h"><h2 id="prov-h">Assumptions and provenance</h2>'
    ]
    parts.append(
        _table(
            ["Quantity", "Formula"],
            [(e(f["name"]), f"<code>{e(f['formula'])}</code>") for f in meta.get("formulas", [])],
            caption="Formulas",
        )
    )
    th = prof.get("thresholds", {})
    mp = prof.get("measured_policy", {})
    rows = [(e(k), e(_g(v))) for k, v in th.items()]
    rows += [(e(f"measured: {k}"), e(_g(v))) for k, v in mp.items()]
    rows += [
        (e(f"compile overhead (min): {k}"), e(_g(v)))
        for k, v in (prof.get("compile_overhead_minutes") or {}).items()
    ]
    if prof.get("dynamic_shape_compilations") is not None:
        rows.append(
            (e("compilations per run with dynamic shapes"), e(_g(prof["dynamic_shape_compilations"])))
        )
    rows += [(e(f"benchmark: {k}"), e(_g(v))) for k, v in (prof.get("benchmark") or {}).items()]
    parts.append(
        _table(
            ["Threshold", "Value"], rows, num=(1,), caption=f"Thresholds (profile {prof.get('name', '?')})"
        )
    )
    prior_rows = []
    for p in prof.get("priors", []):
        match = ", ".join(
            f"{k}={'/'.join(v) if isinstance(v, list) else v}" for k, v in p.get("match", {}).items()
        )
        lo, mid, hi = p.get("speedup", [None] * 3)
        prior_rows.append((e(match), e(f"{mid:.2f}x ({lo:.2f} to {hi:.2f})"), e(p.get("why"))))
    parts.append(
        _table(
            ["Applies to", "Speedup prior", "Why"], prior_rows, caption="Speedup priors (first match wins)"
        )
    )
    parts.append(_prices(meta, records))
    parts.append(_evidence(meta, records))
    rules = [(e(r["name"]), e(r["factor"])) for r in meta.get("rules", [])]
    parts.append(_table(["Check", "Question it answers"], rules, caption="Checks"))
    sources = prof.get("sources") or {}
    src = "; ".join(f"{k}: {v}" for k, v in sources.items())
    parts.append(
        f'<dl class="facts"><dt>fitcheck version</dt><dd>{e(meta.get("fitcheck_version"))}'
        f"</dd><dt>Generated at</dt><dd>{e(meta.get('generated_at'))}</dd>"
        f"<dt>Inventory</dt><dd><code>{e(meta.get('inventory'))}</code></dd>"
        f"<dt>Profile</dt><dd>{e(prof.get('name'))} ({e(src)})</dd></dl>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def _prices(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    cat = meta.get("price_catalog", {})
    used: dict[tuple[str, str, str], set[float]] = {}
    for r in records:
        key = (r["inputs"]["instance_type"], r["price_source"] or "", r["price_date"] or "")
        if not _is_missing(r["hourly_price_usd"]):
            used.setdefault(key, set()).add(float(r["hourly_price_usd"]))
    rows = []
    for p in cat.get("instances", []):
        key = (p["instance_type"], p["price_source"] or "", p.get("price_date") or "")
        prices = ", ".join(_hourly(v) for v in sorted(used.get(key, ()))) or "n/a"
        age = "stale" if p.get("stale") else "current"
        rows.append(
            (
                e(p["instance_type"]),
                e(prices),
                e(p["price_source"]),
                e(p.get("price_date") or "undated"),
                e(age),
            )
        )
    note = (
        f"{cat.get('note', '')}. Prices as of {cat.get('as_of', '?')}; a price older than "
        f"{cat.get('stale_after_days', '?')} days is marked stale. Hourly price per instance "
        "as used (after any spot discount or inventory override)."
    )
    return (
        _table(
            ["Instance type", "$ / hour", "Source", "Price date", "Age"],
            rows,
            num=(1,),
            caption="Instance prices used",
        )
        + f'<p class="note">{e(note)}</p>'
    )


def _evidence(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    ev = meta.get("evidence", {})
    measured = [r for r in records if r["evidence"] == "measured"]
    out = [
        "<h3>Measured versus assumed</h3>",
        f"<p>{len(measured)} of {len(records)} workloads use measured speedups; the others use "
        "the priors above.</p>",
    ]
    ms = ev.get("measurements") or []
    if ms:
        rows = []
        for m in sorted(ms, key=lambda m: (m["workload"], m["candidate"], m["file"])):
            h = m.get("host") or {}
            host = ", ".join(
                f"{k} {h[k]}"
                for k in ("device_name", "device", "driver", "cuda", "torch", "torch_xla", "platform")
                if h.get(k)
            )
            rows.append(
                (
                    e(m["workload"]),
                    e(f"{m['candidate']} vs {m['baseline']} ({m['compiler']})"),
                    e(speedup(m["speedup"])),
                    e(host),
                    f"<code>{e(m['file'])}</code>",
                )
            )
        out.append(
            _table(
                ["Workload", "Backend", "Speedup (interval)", "Host and versions", "File"],
                rows,
                caption="Benchmark measurements",
            )
        )
    elif ev.get("bench_files"):
        out.append(
            "<p>Benchmark files: " + ", ".join(f"<code>{e(f)}</code>" for f in ev["bench_files"]) + "</p>"
        )
    else:
        out.append("<p>No benchmark results were given: every speedup is a prior.</p>")
    unmatched = meta.get("unmatched_bench_results") or []
    if unmatched:
        out.append(
            _table(
                ["Workload", "Compiler", "Why not used", "Source"],
                [
                    (e(u.get("workload")), e(u.get("compiler")), e(u.get("why")), e(u.get("source")))
                    for u in unmatched
                ],
                caption="Benchmark results not used",
            )
        )
    return "\n".join(out)
