"""A tiny reader for the HTML report, on the standard library's html.parser.

It collects what the tests check: every marked figure (``data-field``/``data-value``) with
its displayed text and the workload it belongs to, every attribute that could load a
resource, the elements seen, and the page's visible text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
URL_ATTRS = {
    "src",
    "href",
    "xlink:href",
    "action",
    "formaction",
    "poster",
    "data",
    "srcset",
    "background",
    "cite",
    "manifest",
}


@dataclass
class Figure:
    field: str
    value: str
    fmt: str | None
    workload: str | None
    text: str = ""


@dataclass
class Page:
    figures: list[Figure] = field(default_factory=list)
    urls: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attr, value)
    css_urls: list[str] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)  # (workload, decision) of #decisions
    summary_rows: list[tuple[str, str]] = field(default_factory=list)  # the same, of #summary-table
    articles: list[str] = field(default_factory=list)
    svgs: list[dict[str, str]] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, dict[str, str], Figure | None]] = []
        self.in_style = False
        self.table = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        p = self.page
        p.tags[tag] = p.tags.get(tag, 0) + 1
        for k, v in a.items():
            if k in URL_ATTRS:
                p.urls.append((tag, k, v))
            if k == "style":
                p.css_urls += re.findall(r"url\(([^)]*)\)", v)
        if tag == "svg":
            p.svgs.append(a)
        if tag == "table":
            self.table = a.get("id", "")
        if tag == "tr" and "data-workload" in a:
            row = (a["data-workload"], a.get("data-decision", ""))
            if self.table == "decisions":
                p.rows.append(row)
            elif self.table == "summary-table":
                p.summary_rows.append(row)
        if tag == "article" and "data-workload" in a:
            p.articles.append(a["data-workload"])
        fig = None
        if "data-field" in a and "data-value" in a:
            workload = next(
                (s[1]["data-workload"] for s in reversed(self.stack) if "data-workload" in s[1]), None
            )
            fig = Figure(a["data-field"], a["data-value"], a.get("data-format"), workload)
            p.figures.append(fig)
        self.in_style = tag == "style"
        if tag not in VOID:
            self.stack.append((tag, a, fig))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.page.css_urls += re.findall(r"url\(([^)]*)\)", data)
            return
        for _, _, fig in self.stack:
            if fig is not None:
                fig.text += data
        self.page.text.append(data)


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page
