"""The HTML report, read back with html.parser: content, numbers, escaping, determinism."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from fitcheck.core.analysis import Analysis
from fitcheck.core.records import to_records
from tests.report.conftest import (
    EXAMPLE,
    HOSTILE_MODEL,
    HOSTILE_NAME,
    HOSTILE_TAG,
    LONG_NAME,
    NOW,
    write_bench_results,
)
from tests.report.page import Page, read


@pytest.fixture(scope="module")
def example() -> tuple[Analysis, str]:
    """The example inventory analysed and rendered once for the read-only checks."""
    analysis = api.analyze(EXAMPLE, now=NOW)
    return analysis, api.render(analysis, "html")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, str]:
    """The example with a benchmark results file for llm-sft-weekly."""
    bench = write_bench_results(
        tmp_path_factory.mktemp("bench") / "llm-sft-bench.json", "llm-sft-weekly", (1.21, 1.24, 1.27)
    )
    analysis = api.analyze(EXAMPLE, bench_paths=[bench], now=NOW)
    return analysis, api.render(analysis, "html")


def _dollars(v: float | None) -> str:
    """Money as the report shows it: whole dollars with thousands separators."""
    if v is None:
        return "n/a"
    return f"{'-' if v < 0 else ''}${round(abs(v)):,}"


def _minutes(v: float | None) -> str:
    if v is None:
        return "never"
    return f"{v / 60:.1f} h" if v >= 120 else f"{round(v)} min"


def _lookup(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc[part]
    return doc


def reading_order(workloads: list[dict[str, Any]]) -> list[str]:
    """Actionable workloads by expected net first-year savings, then the skipped by spend."""
    acting = [w for w in workloads if w["decision"] != "skip"]
    skipped = [w for w in workloads if w["decision"] == "skip"]
    acting.sort(key=lambda w: -w["net_first_year_usd"]["mid"])
    skipped.sort(key=lambda w: -w["cost_per_year_usd"])
    return [w["name"] for w in acting + skipped]


def _check_figures(page: Page, doc: dict[str, Any]) -> int:
    """Every marked figure equals its JSON record and is displayed as that value."""
    by_name = {w["name"]: w for w in doc["workloads"]}
    checked = 0
    for fig in page.figures:
        if fig.field == "generated_at":
            continue
        if fig.field.startswith("totals."):
            source = doc
        else:
            assert fig.workload in by_name, f"{fig.field} outside a workload: {fig}"
            source = by_name[fig.workload]
        expected = _lookup(source, fig.field)
        assert json.loads(fig.value) == expected, (fig, expected)
        shown = fig.text.strip()
        if fig.fmt == "money":
            assert shown == _dollars(expected), (fig, expected)
        elif fig.fmt == "minutes":
            assert shown == _minutes(expected), (fig, expected)
        elif fig.fmt == "hours":
            assert shown == _minutes(expected * 60), (fig, expected)
        elif fig.fmt == "int":
            assert shown == str(expected), (fig, expected)
        checked += 1
    return checked


def test_numbers_on_the_page_equal_the_json_records(tmp_path: Path) -> None:
    """analyze -> JSON file -> report -> HTML, as a user would; then read both files back."""
    runner = CliRunner()
    saved, page_path = tmp_path / "analysis.json", tmp_path / "report.html"
    res = runner.invoke(app, ["analyze", str(EXAMPLE), "-f", "json", "-o", str(saved)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", str(saved), "-f", "html", "-o", str(page_path)])
    assert res.exit_code == 0, res.output
    doc = json.loads(saved.read_text(encoding="utf-8"))
    page = read(page_path.read_text(encoding="utf-8"))

    names = reading_order(doc["workloads"])
    assert [n for n, _ in page.rows] == names  # one row per workload: actionable first, largest net first
    by_name = {w["name"]: w["decision"] for w in doc["workloads"]}
    assert [d for _, d in page.rows] == [by_name[n] for n in names]
    assert page.articles == names  # one detail section per workload, same order
    assert [n for n, _ in page.summary_rows] == [n for n in names if by_name[n] != "skip"][:12]
    checked = _check_figures(page, doc)
    fields = {f.field for f in page.figures}
    assert {
        "totals.spend_per_year_usd",
        "totals.savings_per_year_usd.low",
        "totals.savings_per_year_usd.mid",
        "totals.savings_per_year_usd.high",
        "totals.committed.net_first_year_usd.mid",
        "totals.pending.net_first_year_usd.low",
        "totals.pending.one_time_cost_usd",
        "totals.not_pursued.spend_per_year_usd",
        "net_first_year_usd.mid",
        "one_time_cost_usd",
        "cost_per_year_usd",
        "savings_per_year_usd.mid",
        "break_even_minutes",
        "benchmark_plan.cost_usd",
    } <= fields
    # each workload shows at least spend, the savings range, break-even and run length
    per_workload = {n: {f.field for f in page.figures if f.workload == n} for n in names}
    for n, got in per_workload.items():
        assert {
            "cost_per_year_usd",
            "savings_per_year_usd.low",
            "savings_per_year_usd.mid",
            "savings_per_year_usd.high",
            "break_even_minutes",
            "inputs.duration_hours",
        } <= got, n
    assert checked >= len(names) * 10


def test_summary_carries_the_totals_as_money(example: tuple[Analysis, str]) -> None:
    analysis, html = example
    text = " ".join("".join(read(html).text).split())
    totals = analysis.meta["totals"]
    d = totals["decisions"]
    days = d["enable"] * 2 + d["benchmark"] * 1  # the bundled profile: 2 days per enable, 1 per benchmark
    assert totals["decision_requested"].startswith(
        f"Approve {d['enable']} change{'s' * (d['enable'] != 1)} and {d['benchmark']} "
        f"benchmark{'s' * (d['benchmark'] != 1)}: about {days} engineer-days"
    )
    assert f"Decision requested {totals['decision_requested']}" in text
    assert _dollars(totals["spend_per_year_usd"]) in text
    for level in ("low", "mid", "high"):
        assert _dollars(totals["savings_per_year_usd"][level]) in text
        assert _dollars(totals["pending"]["net_first_year_usd"][level]) in text
    for line in ("Committed (enable)", "Pending (benchmark)", "Not pursued (skip)", "Total in scope"):
        assert line in text
    assert totals["confidence"]["sentence"] in text
    assert len(html.encode()) <= 250_000
    # money, never a raw float
    assert not re.search(r"\$\d+\.\d{3,}", text)
    assert str(totals["spend_per_year_usd"]) not in text


def test_rerendering_the_saved_json_gives_the_same_page(
    example: tuple[Analysis, str], tmp_path: Path
) -> None:
    analysis, direct = example
    saved = tmp_path / "a.json"
    api.emit(analysis, "json", saved)
    assert api.render(api.load_analysis(saved), "html") == direct


def test_deterministic_apart_from_generation_time(example: tuple[Analysis, str]) -> None:
    first = example[1]
    second = api.render(api.analyze(EXAMPLE, now=NOW), "html")
    assert first == second
    later = api.render(api.analyze(EXAMPLE, now=NOW + timedelta(minutes=5)), "html")
    assert later != first
    stamp, later_stamp = (
        NOW.isoformat(timespec="seconds"),
        (NOW + timedelta(minutes=5)).isoformat(timespec="seconds"),
    )
    assert later.replace(later_stamp, stamp) == first


def test_nothing_is_loaded_from_anywhere(measured: tuple[Analysis, str]) -> None:
    html = measured[1]
    page = read(html)
    for tag, attr, value in page.urls:
        assert value.startswith("#"), f"<{tag} {attr}={value!r}> points outside the page"
    assert all(u.startswith("#") for u in page.css_urls)
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use"):
        if tag != "use":
            assert tag not in page.tags, tag
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", html, re.I)
    assert not re.search(r"url\(\s*[\"']?\s*(https?:)?//", html, re.I)
    assert "@import" not in html and "@font-face" not in html


def test_user_strings_render_as_text(hostile_inventory: Path) -> None:
    html = api.render(api.analyze(hostile_inventory, now=NOW), "html")
    page = read(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not re.search(r"<\s*(script|img)\b", html, re.I)
    text = "".join(page.text)
    for s in (HOSTILE_NAME, HOSTILE_MODEL, HOSTILE_TAG, "a&b $x$ 'q'"):
        assert s in text, s
    expected = sorted([HOSTILE_NAME, "invoicegnp.exe", LONG_NAME, "plain-bert"])  # bidi override removed
    assert sorted(n for n, _ in page.rows) == expected
    assert sorted(page.articles) == expected
    assert "\u202e" not in html
    assert f"<bdi>{escape(HOSTILE_NAME)}</bdi>" in html  # names are isolated from the text around them


def test_charts_are_inline_svg_with_text_and_alt_text(measured: tuple[Analysis, str]) -> None:
    analysis, html = measured
    page = read(html)
    assert len(page.svgs) == 2  # the waterfall and the sensitivity (tornado) chart
    for svg in page.svgs:
        assert svg.get("role") == "img" and len(svg.get("aria-label", "")) > 40, svg
        assert "viewbox" in svg
    text = " ".join(page.text)
    assert "From savings to net, first year." in text and "What moves the net savings." in text
    t = analysis.meta["totals"]
    net = t["committed"]["net_first_year_usd"]["mid"] + t["pending"]["net_first_year_usd"]["mid"]
    assert f"gives {_dollars(net)} net in the first year" in page.svgs[0]["aria-label"]
    assert "<path" not in html  # chart text is SVG text, not glyph outlines
    # the measured speedup moved llm-sft-weekly from benchmark to enable
    assert analysis.table.set_index("name").at["llm-sft-weekly", "decision"] == "enable"


def test_measured_figures_name_their_host(measured: tuple[Analysis, str]) -> None:
    analysis, html = measured
    got = analysis.meta["evidence"]["measurements"]
    assert [(m["workload"], m["candidate"], m["speedup"]["mid"]) for m in got] == [
        ("llm-sft-weekly", "inductor", 1.24)
    ]
    text = " ".join("".join(read(html).text).split())
    assert "NVIDIA A100-SXM4-40GB" in text and "torch 2.9.0" in text
    assert f"1 of {len(analysis.table)} workloads use measured speedups" in text
    assert "1.24x (1.21 to 1.27)" in text


def test_prices_thresholds_and_formulas_are_shown(example: tuple[Analysis, str]) -> None:
    analysis, html = example
    text = " ".join("".join(read(html).text).split())
    for p in analysis.meta["price_catalog"]["instances"]:
        assert p["instance_type"] in text and p["price_source"] in text
    for f in analysis.meta["formulas"]:
        assert f["formula"] in text
    for prior in analysis.meta["profile"]["priors"]:
        assert prior["why"] in text
    assert "min_annual_savings_usd" in text and "$20.36" in text  # g5.48xlarge hourly
    assert "fitcheck version" in text


def test_enable_and_benchmark_details_say_what_to_do(example: tuple[Analysis, str]) -> None:
    analysis, html = example
    text = " ".join("".join(read(html).text).split())
    records = {r["name"]: r for r in to_records(analysis)}
    enabled = [r for r in records.values() if r["decision"] == "enable"]
    assert enabled and "model = torch.compile(model)" in text
    for r in enabled:
        assert " ".join(r["change"].split()) in text
        if r["recommended_batch_size"] is not None:
            assert (
                f"Per-device batch size {r['inputs']['batch_size']} → {r['recommended_batch_size']}; "
                f"multiply the learning rate by {r['learning_rate_scale']:.3g}"
            ) in text
    bench = [r for r in records.values() if r["decision"] == "benchmark"]
    assert bench
    for r in bench:
        assert " ".join(r["benchmark_plan"]["command"].split()) in text
        assert " ".join(r["benchmark_plan"]["decide_by"].split()) in text


def test_rendering_needs_no_matplotlib() -> None:
    code = (
        "import sys; from fitcheck import api; "
        f"api.render(api.analyze(r'{EXAMPLE}'), 'html'); "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False" and out.stderr == ""
