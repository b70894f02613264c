"""One small interface for every output format: an Analysis in, text out, piece by piece.

``stream`` yields the text in pieces (JSON and CSV of a million workloads never exist as
one string); ``render`` joins them. The CLI owns the file handle; formatters never write
or print.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

from fitcheck.core.analysis import Analysis


class Formatter(Protocol):
    #: file suffix the format is usually written with, and every suffix that names it
    suffix: str
    suffixes: tuple[str, ...]

    def render(self, analysis: Analysis) -> str: ...

    def stream(self, analysis: Analysis) -> Iterator[str]: ...


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


FORMATTERS: dict[OutputFormat, str] = {
    OutputFormat.TABLE: "fitcheck.formats.table:TableFormatter",
    OutputFormat.JSON: "fitcheck.formats.json_format:JsonFormatter",
    OutputFormat.CSV: "fitcheck.formats.csv_format:CsvFormatter",
    OutputFormat.MARKDOWN: "fitcheck.formats.markdown:MarkdownFormatter",
    OutputFormat.HTML: "fitcheck.formats.html:HtmlFormatter",
}


def formatter_for(fmt: OutputFormat) -> Formatter:
    """The formatter of a format, imported on demand (HTML pulls in jinja2)."""
    module, _, cls = FORMATTERS[fmt].partition(":")
    return getattr(importlib.import_module(module), cls)()
