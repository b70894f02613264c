"""Markdown: the decision requested, the three lines, the actionable table and an appendix
of the workloads not pursued, for a wiki page or a pull request.

Every user string goes through :func:`fitcheck.formats.safe.markdown` (no HTML, no link, no
table break can come from an inventory).
"""

from __future__ import annotations

from collections.abc import Iterator

from fitcheck.core.analysis import Analysis
from fitcheck.formats.safe import markdown as md
from fitcheck.formats.text import (
    LINE_HEAD,
    LINE_NAMES,
    line_cells,
    minutes,
    money,
    rng,
    sensitivity_rows,
    speedup,
    unblock,
    view,
    weeks,
)

MAX_ROWS = 500


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


class MarkdownFormatter:
    suffix = ".md"
    suffixes = (".md", ".markdown")

    def render(self, analysis: Analysis) -> str:
        return "".join(self.stream(analysis))

    def stream(self, analysis: Analysis) -> Iterator[str]:
        v = view(analysis, MAX_ROWS, MAX_ROWS)
        h, t = v.head, v.head.totals
        out = [
            "# fitcheck: training-compiler decisions",
            "",
            f"**Decision requested.** {md(t.decision_requested)}",
            "",
            _row(LINE_HEAD),
            "|---|---:|---:|---|---:|---|---:|",
        ]
        for key in LINE_NAMES:
            line = getattr(t, key)
            out.append(_row([LINE_NAMES[key], str(line.workloads), *line_cells(line)]))
        out.append(
            _row(
                [
                    "**Total in scope**",
                    str(t.workloads),
                    money(t.spend_per_year_usd),
                    rng(t.savings_per_year_usd),
                    money(t.committed.one_time_cost_usd + t.pending.one_time_cost_usd),
                    "",
                    "",
                ]
            )
        )
        out += [
            "",
            f"**How sure.** {md(t.confidence.sentence)}",
            "",
            "**Sensitivity** (expected net first-year savings, committed + pending):",
            "",
            *[f"- {md(f)}: {md(lo)}; {md(hi)}" for f, lo, hi in sensitivity_rows(h)],
            "",
            f"Prices: {md(h.price_catalog.note)}.",
            "",
        ]
        if h.rollup:
            tag = md(h.rollup[0].tag)
            out += [
                f"## By {tag}",
                "",
                _row(
                    [
                        tag,
                        "Workloads",
                        "Committed net (expected)",
                        "Pending net (expected)",
                        "Not pursued spend",
                    ]
                ),
                "|---|---:|---:|---:|---:|",
            ]
            for g in h.rollup:
                out.append(
                    _row(
                        [
                            md(g.value) if g.value is not None else f"(no {tag})",
                            str(g.workloads),
                            money(
                                g.committed.net_first_year_usd.mid if g.committed.net_first_year_usd else None
                            ),
                            money(g.pending.net_first_year_usd.mid if g.pending.net_first_year_usd else None),
                            money(g.not_pursued.spend_per_year_usd),
                        ]
                    )
                )
            out.append("")
        out += [
            "## Actionable workloads (largest expected net first-year savings first)",
            "",
            "| Workload | Decision | Compiler | Spend / year | Savings / year | One-time cost | "
            "Net first year | Payback | Break-even vs run | Evidence |",
            "|---|---|---|---:|---|---:|---:|---:|---|---|",
        ]
        for r in v.actionable:
            out.append(
                _row(
                    [
                        md(r.name),
                        f"**{r.decision}**",
                        md(r.compiler),
                        money(r.cost_per_year_usd),
                        rng(r.savings_per_year_usd),
                        money(r.one_time_cost_usd),
                        money(r.net_first_year_usd.mid if r.net_first_year_usd else None),
                        weeks(r.payback_weeks),
                        f"{minutes(r.break_even_minutes)} vs {minutes((r.inputs.duration_hours or 0) * 60)}",  # type: ignore[attr-defined]
                        f"{r.evidence} ({speedup(r.expected_speedup)})",
                    ]
                )
            )
        if not v.actionable:
            out.append("| (none) | | | | | | | | | |")
        if v.more_actionable:
            out += ["", f"{v.more_actionable:,} more actionable workloads are in the CSV and JSON outputs."]
        plans = [r for r in v.actionable if r.decision == "benchmark" and r.benchmark_plan]
        if plans:
            out += [
                "",
                "## Benchmark plans (pending workloads)",
                "",
                "| Workload | Where it runs | Command | Instance-hours | Cost |",
                "|---|---|---|---:|---:|",
            ]
            for r in plans:
                p = r.benchmark_plan
                assert p is not None
                out.append(
                    _row(
                        [
                            md(r.name),
                            md(p.where or "not stated"),
                            md(p.command),
                            "n/a" if p.hours is None else f"{p.hours:g}",
                            money(p.cost_usd),
                        ]
                    )
                )
        out += [
            "",
            "## Appendix: not pursued",
            "",
            "| Workload | Spend / year | Why not | What would unblock it |",
            "|---|---:|---|---|",
        ]
        for r in v.skipped:
            out.append(_row([md(r.name), money(r.cost_per_year_usd), md(r.main_reason), md(unblock(r))]))
        if not v.skipped:
            out.append("| (none) | | | |")
        if v.more_skipped:
            out += ["", f"{v.more_skipped:,} more skipped workloads are in the CSV and JSON outputs."]
        out += [
            "",
            f"Generated by fitcheck {md(h.fitcheck_version)} at {md(h.generated_at)} from "
            f"{md(h.inventory)}. Formulas, thresholds and price sources are in the JSON and HTML outputs.",
            "",
        ]
        yield "\n".join(out)
