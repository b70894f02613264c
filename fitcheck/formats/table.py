"""The terminal view: a rich table and a one-line total."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from fitcheck.core.analysis import Analysis
from fitcheck.core.records import to_records
from fitcheck.formats.text import minutes, money, money_range

STYLE = {"enable": "bold green", "benchmark": "bold yellow", "skip": "dim"}
MAX_ROWS = 200


class TableFormatter:
    suffix = ".txt"

    def __init__(self, width: int = 160) -> None:
        self.width = width

    def render(self, analysis: Analysis) -> str:
        records = to_records(analysis) if len(analysis.table) <= MAX_ROWS else None
        console = Console(
            record=True, width=self.width, force_terminal=False, color_system=None, file=_Null()
        )
        if records is not None:
            table = Table(title="fitcheck: should each workload turn on a compiler?", show_lines=False)
            for col, kw in (
                ("Workload", {}),
                ("Decision", {}),
                ("Compiler", {}),
                ("Score", {"justify": "right"}),
                ("Spend/yr", {"justify": "right"}),
                ("Savings/yr low..high", {"justify": "right"}),
                ("Break-even", {"justify": "right"}),
                ("Evidence", {}),
                ("Main reason", {"overflow": "fold", "ratio": 1}),
            ):
                table.add_column(col, **kw)
            for r in records:
                s = r["savings_per_year_usd"]
                table.add_row(
                    r["name"],
                    f"[{STYLE[r['decision']]}]{r['decision']}[/]",
                    r["compiler"],
                    str(r["score"]),
                    money(r["cost_per_year_usd"]),
                    f"{money(s['low'])}..{money(s['high'])}",
                    minutes(r["break_even_minutes"]),
                    r["evidence"],
                    r["main_reason"] or "",
                )
            console.print(table)
        else:
            console.print(
                f"{len(analysis.table):,} workloads: too many for a terminal table; "
                "use --format csv or json with --output."
            )
        t = analysis.meta["totals"]
        d = t["decisions"]
        console.print(
            f"Total: {money(t['spend_per_year_usd'])}/year in scope; projected savings "
            f"{money_range(t['savings_per_year_usd'])} per year; {d['enable']} enable, "
            f"{d['benchmark']} benchmark, {d['skip']} skip. Prices: "
            f"{analysis.meta['price_catalog']['note']}."
        )
        for u in analysis.meta.get("unmatched_bench_results", []):
            console.print(
                f"Unused benchmark result {u['source']} ({u['workload']}, {u['compiler']}): {u['why']}."
            )
        return console.export_text()


class _Null:
    def write(self, _: str) -> int:
        return 0

    def flush(self) -> None:
        pass
