"""User strings made inert for each output: one function per output's escaping rule.

Names, models, tags and every message that quotes them come from an inventory someone
else wrote. They are text, never markup, formulas, links or terminal control:

- :func:`plain`: control characters (C0, C1, DEL) and bidirectional overrides/isolates
  removed, so "evil\u202egnp.exe" cannot display as "evilexe.png" and no escape sequence
  reaches a terminal; line breaks and tabs become spaces.
- :func:`csv_text`: a cell starting with ``= + - @``, tab or CR gets a leading ``'`` so a
  spreadsheet shows it instead of running it (text cells only; numbers stay numbers).
- :func:`markdown`: HTML and link syntax escaped, table pipes escaped, one line.
- HTML is escaped by jinja2's autoescape (see :mod:`fitcheck.formats.html`), after
  :func:`plain`.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 and C1 controls, DEL, and the bidi embedding / override / isolate / mark characters
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
BREAKS = re.compile(r"[\t\n\r\u2028\u2029\x85\x0b\x0c]+")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def plain(value: Any) -> str:
    """One inert line of text: breaks to spaces, controls and bidi overrides removed."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable() and text.isascii():
        return text
    return CONTROL.sub("", BREAKS.sub(" ", text))


def csv_text(value: str) -> str:
    """A spreadsheet shows this cell as text; it never evaluates it."""
    return "'" + value if value.startswith(FORMULA_START) else value


def markdown(value: Any) -> str:
    """Text for a Markdown paragraph or table cell: no HTML, no link, no emphasis."""
    text = plain(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)
