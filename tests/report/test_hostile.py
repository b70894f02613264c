"""Hostile names, models and tags, checked in every output format: nothing in an inventory
can become markup, a formula, a link, a terminal escape or a broken table row."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from fitcheck import api
from fitcheck.core.analysis import Analysis
from fitcheck.formats.safe import plain
from tests.report.conftest import EXAMPLE, NOW
from tests.report.page import read

HOSTILE = [
    "<script>alert(1)</script>",
    '=HYPERLINK("https://evil.example","x")',
    "[x](javascript:alert(1))",
    "\x1b[31mred\x1b[0m\x07bell",
    "[red]rich[/red] [link=https://evil.example]x[/link]",
    "a|b|c",
    "line1\nline2\r\n=cmd",
    "+SUM(A1)",
    "@import",
    "-2+3",
    "\tTAB",
    "invoice\u202egnp.exe",
    "x" * 300,
]
BIDI_AND_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile() -> Analysis:
    """The example analysis with every name, model and tag replaced by a hostile string."""
    base = api.analyze(EXAMPLE, now=NOW)
    t = base.table.copy()
    n = len(t)
    names = [f"{HOSTILE[i % len(HOSTILE)]}#{i}" for i in range(n)]
    t["name"] = names
    t["model"] = [HOSTILE[(i + 3) % len(HOSTILE)] for i in range(n)]
    t["tags"] = [
        json.dumps({"team": HOSTILE[(i + 5) % len(HOSTILE)], "<k>": "=1"}, sort_keys=True) for i in range(n)
    ]
    return Analysis(t, base.meta, base.outputs)


def test_csv_cells_that_a_spreadsheet_would_run_are_text(hostile: Analysis) -> None:
    text = api.render(hostile, "csv", group_by="team")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(hostile.table)
    checked = 0
    for row in rows:
        for col, cell in row.items():
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                raise AssertionError(f"{col}: {cell!r} would be evaluated")
            if cell.startswith("-"):  # only a number may start with a minus sign
                float(cell)
            checked += 1
    by_name = {r["name"] for r in rows}
    assert '\'=HYPERLINK("https://evil.example","x")#1' in by_name
    assert "'+SUM(A1)#7" in by_name and "'@import#8" in by_name and "'-2+3#9" in by_name
    assert {r["tag_team"] for r in rows} >= {'\'=HYPERLINK("https://evil.example","x")', "'+SUM(A1)"}
    negative = [r for r in rows if r["net_first_year_usd_mid"].startswith("-")]
    for r in negative:  # negative numbers stay numbers
        assert float(r["net_first_year_usd_mid"]) < 0
    assert checked > 50 * len(rows)


def test_markdown_has_no_html_no_link_and_whole_rows(hostile: Analysis) -> None:
    text = api.render(hostile, "markdown", group_by="team")
    assert "<script" not in text and "](javascript" not in text and "[x](" not in text
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\#0" in text
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            header = text.splitlines()[[i for i, ln in enumerate(text.splitlines()) if ln == line][0]]
            assert header == line
            assert len(cells) in (4, 5, 7, 10), line  # the tables' column counts; no cell split
    names_shown = [ln for ln in text.splitlines() if "a\\|b\\|c" in ln]
    assert names_shown, "the pipe name is escaped, not a column break"


@pytest.mark.parametrize("width", [80, 200])
def test_terminal_shows_no_escape_and_no_markup(hostile: Analysis, width: int) -> None:
    text = api.render(hostile, "table", group_by="team", width=width)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert not BIDI_AND_CONTROLS.search(text.replace("\n", ""))
    lines = text.splitlines()
    assert max(len(ln) for ln in lines) <= width
    start = next(i for i, ln in enumerate(lines) if "───" in ln) + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    rows = lines[start:end]
    assert len(rows) == len(hostile.table)  # one line per workload: no wrapped row
    for row in rows:
        assert re.search(r"  (enable|benchmark|skip) ", row), row
    if width == 200:
        assert any("[red]rich[/red]" in ln for ln in rows)  # rich markup printed as text


def test_json_keeps_the_strings_as_data(hostile: Analysis, tmp_path: Path) -> None:
    out = tmp_path / "h.json"
    api.emit(hostile, "json", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [w["name"] for w in doc["workloads"]] == list(hostile.table["name"])
    assert api.render(api.load_analysis(out), "json") == out.read_text(encoding="utf-8")


def test_html_has_no_markup_no_control_and_isolated_names(hostile: Analysis) -> None:
    html = api.render(hostile, "html", group_by="team")
    page = read(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not BIDI_AND_CONTROLS.search(html.replace("\n", "").replace("\r", ""))
    assert "invoicegnp.exe#11" in "".join(page.text)  # the override is gone: no "exe.png"
    assert html.count("<bdi>") >= 2 * len(hostile.table)
    for tag, attr, value in page.urls:
        assert value.startswith("#"), (tag, attr, value)
    assert sorted(n for n, _ in page.rows) == sorted(plain(n) for n in hostile.table["name"])


def test_coloured_terminal_output_carries_only_its_own_colours(hostile: Analysis) -> None:
    from fitcheck.formats.table import TableFormatter

    text = TableFormatter(width=120, color=True).render(hostile)
    assert "\x1b[1;32m" in text or "\x1b[1;33m" in text  # decisions are coloured
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "\x1b" not in stripped and "\x07" not in stripped
    assert "\x1b[31mred" not in text and "[31mred[0mbell" in stripped  # the name's escape is inert text
