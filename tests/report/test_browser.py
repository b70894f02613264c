"""The report in a real browser: headless Chromium (Debian's ``chromium``) driven by playwright.

Asserts what a reader sees: the summary and every workload visible, no request leaving the
page, no console error, no script run from user strings, and that "Print to PDF" works. The
screenshot and the PDF are kept under ``test-artifacts/report/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fitcheck import api
from fitcheck.formats.text import money
from tests.report.conftest import ARTIFACTS, BIDI_NAME, EXAMPLE, HOSTILE_NAME, NOW, write_bench_results
from tests.report.test_html import reading_order

pytestmark = pytest.mark.browser

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


class Watched:
    """A page with every request, console message, page error and dialog recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda err: self.errors.append(str(err)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri(), wait_until="load")


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
            offline=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The example with one benchmark result, written as a user would (analyze -> file)."""
    folder = tmp_path_factory.mktemp("report")
    bench = write_bench_results(folder / "bench.json", "sd-unet-finetune", (1.12, 1.18, 1.24))
    analysis = api.analyze(EXAMPLE, bench_paths=[bench], now=NOW)
    api.emit(analysis, "json", folder / "report.json")
    api.emit(analysis, "html", folder / "report.html")
    return folder / "report.html", json.loads((folder / "report.json").read_text("utf-8"))


@pytest.fixture
def page(browser: Any) -> Iterator[Watched]:
    watched = Watched(browser.new_page())
    yield watched
    watched.page.close()


def test_summary_and_every_workload_are_visible(page: Watched, report: tuple[Path, dict]) -> None:
    path, doc = report
    page.open(path)
    pg = page.page
    assert pg.locator("#summary").is_visible()
    assert pg.locator("#summary h2").inner_text() == "Executive summary"
    shown = pg.locator('#summary [data-field="totals.spend_per_year_usd"]')
    assert shown.is_visible() and shown.inner_text() == money(doc["totals"]["spend_per_year_usd"])
    mid = pg.locator('#summary [data-field="totals.savings_per_year_usd.mid"]')
    assert mid.inner_text() == money(doc["totals"]["savings_per_year_usd"]["mid"])
    rows = pg.locator("#decisions tbody tr")
    assert rows.count() == len(doc["workloads"])
    by_name = {w["name"]: w for w in doc["workloads"]}
    for i, name in enumerate(reading_order(doc["workloads"])):
        w = by_name[name]
        row = rows.nth(i)
        assert row.get_attribute("data-workload") == w["name"]
        row.scroll_into_view_if_needed()
        assert row.is_visible()
        assert row.locator("th").inner_text() == w["name"]
        assert row.locator(".decision").inner_text().lower() == w["decision"]
        spend = row.locator('[data-field="cost_per_year_usd"]').inner_text()
        assert spend == money(w["cost_per_year_usd"])
        detail = pg.locator("#details article").nth(i)
        assert detail.get_attribute("data-workload") == w["name"]
        assert detail.locator("h3").is_visible()
    request = pg.locator('#summary [data-field="totals.decision_requested"]')
    assert request.is_visible() and request.inner_text() == doc["totals"]["decision_requested"]
    charts = pg.locator("svg.chart")
    assert charts.count() == 2
    for k in range(charts.count()):
        box = charts.nth(k).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.dialogs == []


def test_no_request_leaves_the_page_and_no_console_error(page: Watched, report: tuple[Path, dict]) -> None:
    path, _ = report
    page.open(path)
    page.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.page.wait_for_timeout(200)
    outside = [u for u in page.requests if u != path.as_uri() and not u.startswith("data:")]
    assert outside == [], outside
    assert page.requests == [path.as_uri()]
    resources = page.page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == []
    errors = [m for m in page.console if m[0] in ("error", "warning")]
    assert errors == [] and page.errors == []


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


FOOTER = dict(print_background=True, prefer_css_page_size=True)


def _print_and_measure(page: Watched, path: Path, name: str) -> tuple[int, int]:
    """Save a screenshot and the PDF under test-artifacts/; return (summary pages, all pages).

    The summary's page count is that of the same page printed with the appendices hidden."""
    page.open(path)
    pg = page.page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
    pdf = pg.pdf(**FOOTER)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    pg.add_style_tag(content="section:not(#summary), footer { display: none !important; }")
    summary = pg.pdf(**FOOTER)
    (ARTIFACTS / f"{name}-summary.pdf").write_bytes(summary)
    return _pages(summary), _pages(pdf)


def _no_horizontal_scroll_at_800(page: Watched, path: Path) -> None:
    page.page.set_viewport_size({"width": 800, "height": 900})
    page.open(path)
    scroll, client = page.page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, (scroll, client)
    page.page.set_viewport_size({"width": 1280, "height": 900})


def test_example_summary_prints_on_two_pages(page: Watched, report: tuple[Path, dict]) -> None:
    path, doc = report
    summary, total = _print_and_measure(page, path, "report")
    assert summary <= 2, summary
    assert total > summary  # the appendix follows on its own pages
    assert (path.stat().st_size) <= 250_000
    _no_horizontal_scroll_at_800(page, path)
    assert page.errors == [] and [m for m in page.console if m[0] in ("error", "warning")] == []
    assert all(u == path.as_uri() for u in page.requests)


def test_200_workloads_summary_still_two_pages(page: Watched, inventory_200: Path, tmp_path: Path) -> None:
    out = tmp_path / "report-200.html"
    api.emit(api.analyze(inventory_200, now=NOW), "html", out, group_by="team")
    summary, total = _print_and_measure(page, out, "report-200")
    assert summary <= 2, summary
    assert total > 2
    _no_horizontal_scroll_at_800(page, out)
    assert page.errors == [] and all(u == out.as_uri() for u in page.requests)


def test_markup_in_user_strings_stays_text(page: Watched, hostile_inventory: Path, tmp_path: Path) -> None:
    out = tmp_path / "hostile.html"
    api.emit(api.analyze(hostile_inventory, now=NOW), "html", out)
    summary, _ = _print_and_measure(page, out, "report-hostile")
    assert summary <= 2
    _no_horizontal_scroll_at_800(page, out)
    page.open(out)
    pg = page.page
    assert pg.locator("script").count() == 0 and pg.locator("img").count() == 0
    shown = pg.locator("#decisions tbody tr th").all_inner_texts()
    assert HOSTILE_NAME in shown and BIDI_NAME.replace("\u202e", "") in shown
    assert pg.get_by_text(HOSTILE_NAME, exact=True).first.is_visible()
    assert page.dialogs == [] and page.errors == []
    assert page.requests and all(u == out.as_uri() for u in page.requests)
