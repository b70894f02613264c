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
from tests.report.conftest import ARTIFACTS, EXAMPLE, HOSTILE_NAME, NOW, write_bench_results

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
    for i, w in enumerate(doc["workloads"]):
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
    charts = pg.locator("svg.chart")
    assert charts.count() >= 4
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


def test_prints_to_pdf(page: Watched, report: tuple[Path, dict]) -> None:
    path, doc = report
    page.open(path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    pdf = page.page.pdf(
        print_background=True,
        prefer_css_page_size=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template='<div style="font-size:8px;width:100%;text-align:center">'
        '<span class="pageNumber"></span> / '
        '<span class="totalPages"></span></div>',
    )
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 50_000
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    # summary + table, charts, one page per one or two workloads, provenance
    assert 4 <= pages <= 4 + 2 * len(doc["workloads"]), pages
    png = (ARTIFACTS / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 100_000
    assert page.errors == []


def test_markup_in_user_strings_stays_text(page: Watched, hostile_inventory: Path, tmp_path: Path) -> None:
    out = tmp_path / "hostile.html"
    api.emit(api.analyze(hostile_inventory, now=NOW), "html", out)
    page.open(out)
    pg = page.page
    assert pg.locator("script").count() == 0 and pg.locator("img").count() == 0
    assert pg.locator("#decisions tbody tr th").first.inner_text() == HOSTILE_NAME
    assert pg.get_by_text(HOSTILE_NAME, exact=True).first.is_visible()
    assert page.dialogs == [] and page.errors == []
    assert page.requests == [out.as_uri()]
