"""The terminal view: the decision requested, a table that fits the terminal and the
three-line total.

The table picks its columns by width (at 80 columns: workload, decision, net first-year
savings, payback and the savings range; wider terminals add spend, compiler, evidence and
the main reason), never wraps a row (long names end in an ellipsis), lists the actionable
rows first (largest expected net first) and, above :data:`MAX_ROWS` workloads, shows the
largest actionable ones plus a count of the rest. User strings are rich ``Text`` after
:func:`fitcheck.formats.safe.plain`: no markup, no control character reaches the terminal.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fitcheck.core.analysis import Analysis
from fitcheck.core.notation import count
from fitcheck.formats.safe import plain
from fitcheck.formats.text import LINE_NAMES, money, rng, short_money, view, weeks

STYLE = {"enable": "bold green", "benchmark": "bold yellow", "skip": "dim"}
MAX_ROWS = 200


class TableFormatter:
    suffix = ".txt"
    suffixes = (".txt",)

    def __init__(self, width: int = 100, color: bool = False) -> None:
        self.width = width
        self.color = color

    def render(self, analysis: Analysis) -> str:
        return "".join(self.stream(analysis))

    def stream(self, analysis: Analysis) -> Iterator[str]:
        width = max(60, int(self.width))
        v = view(analysis, MAX_ROWS, max(0, MAX_ROWS - int((analysis.table["decision"] != "skip").sum())))
        t = v.head.totals
        console = Console(
            record=True,
            width=width,
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            file=io.StringIO(),
            highlight=False,
            emoji=False,
            markup=False,
        )
        wide, widest = width >= 110, width >= 150
        table = Table(
            title="fitcheck: should each workload turn on a compiler?",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        cols: list[tuple[str, dict]] = [
            ("Workload", {}),
            ("Decision", {"width": 9}),
            ("Net 1st yr", {"justify": "right", "width": 10}),
            ("Payback", {"justify": "right", "width": 7}),
            ("Savings/yr", {"justify": "right", "width": 15}),
        ]
        if wide:
            cols += [
                ("Spend/yr", {"justify": "right", "width": 8}),
                ("Compiler", {"width": 13}),
                ("Evidence", {"width": 8}),
            ]
        if widest:
            cols.append(("Main reason", {}))
        rows = [*v.actionable, *v.skipped]
        fixed = sum(kw.get("width", 0) for _, kw in cols) + 2 * len(cols)  # one space each side
        longest = max((len(plain(r.name)) for r in rows), default=8)
        if widest:
            cols[0][1]["width"] = max(12, min(40, longest))
            cols[-1][1]["width"] = max(10, width - fixed - cols[0][1]["width"])
        else:
            cols[0][1]["width"] = max(12, width - fixed)
        for name, kw in cols:
            table.add_column(name, no_wrap=True, overflow="ellipsis", **kw)
        for r in rows:
            net = r.net_first_year_usd.mid if r.net_first_year_usd else None
            cells: list[Text] = [
                Text(plain(r.name)),
                Text(r.decision, style=STYLE[r.decision]),
                Text(short_money(net) if r.decision != "skip" else "-"),
                Text(weeks(r.payback_weeks) if r.decision != "skip" else "-"),
                Text(rng(r.savings_per_year_usd, short_money) if r.decision != "skip" else "not pursued"),
            ]
            if wide:
                cells += [
                    Text(short_money(r.cost_per_year_usd)),
                    Text(plain(r.compiler)),
                    Text(plain(r.evidence)),
                ]
            if widest:
                cells.append(Text(plain(r.main_reason)))
            table.add_row(*cells, style="dim" if r.decision == "skip" else None)
        console.print(Text("Decision requested: " + plain(t.decision_requested), style="bold"))
        console.print(table)
        if v.more_actionable or v.more_skipped:
            console.print(
                Text(
                    f"Not listed: {v.more_actionable:,} more actionable and {v.more_skipped:,} skipped "
                    "workloads (use --format csv or json with --output for every row)."
                )
            )
        for key, name in LINE_NAMES.items():
            line = getattr(t, key)
            if key == "not_pursued":
                spend = money(line.spend_per_year_usd)
                text = f"{count(line.workloads, 'workload')}, {spend}/yr spend, no savings shown"
            else:
                net = line.net_first_year_usd
                text = (
                    f"{count(line.workloads, 'workload')}, savings {rng(line.savings_per_year_usd)}/yr, "
                    f"one-time {money(line.one_time_cost_usd)}, net first year "
                    f"{money(net.mid if net else None)} ({rng(net)})"
                )
            console.print(Text(_hanging(f"  {name}: {text}", width, "      ")))
        console.print(Text(_hanging(plain(t.confidence.sentence), width)))
        if v.head.rollup:
            tag = plain(v.head.rollup[0].tag)
            groups = Table(title=f"By {tag}", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
            for name, kw in (
                (tag, {"width": max(8, min(40, width - 10 - 14 - 12 - 18 - 10))}),
                ("Workloads", {"justify": "right", "width": 9}),
                ("Committed net", {"justify": "right", "width": 13}),
                ("Pending net", {"justify": "right", "width": 11}),
                ("Not pursued spend", {"justify": "right", "width": 17}),
            ):
                groups.add_column(name, no_wrap=True, overflow="ellipsis", **kw)
            for g in v.head.rollup:
                c, p = g.committed.net_first_year_usd, g.pending.net_first_year_usd
                groups.add_row(
                    Text(plain(g.value) if g.value is not None else f"(no {tag})"),
                    Text(str(g.workloads)),
                    Text(short_money(c.mid if c else None)),
                    Text(short_money(p.mid if p else None)),
                    Text(short_money(g.not_pursued.spend_per_year_usd)),
                )
            console.print(groups)
        console.print(
            Text(
                _hanging(
                    f"Total: {money(t.spend_per_year_usd)}/year in scope over "
                    f"{count(t.workloads, 'workload')}; {t.decisions.enable} enable, "
                    f"{t.decisions.benchmark} benchmark, {t.decisions.skip} skip. "
                    f"Prices: {plain(v.head.price_catalog.note)}.",
                    width,
                )
            )
        )
        for u in v.head.unmatched_bench_results:
            console.print(
                Text(
                    plain(
                        f"Unused benchmark result {u.get('source')} ({u.get('workload')}, "
                        f"{u.get('compiler')}): {u.get('why')}."
                    )
                )
            )
        yield console.export_text(styles=self.color)


def _hanging(text: str, width: int, indent: str = "  ") -> str:
    """A summary line wrapped at the terminal's width, its continuation lines indented (the
    terminal would otherwise break it at column 0)."""
    import textwrap

    return textwrap.fill(text, width=width - 1, subsequent_indent=indent, break_on_hyphens=False)
