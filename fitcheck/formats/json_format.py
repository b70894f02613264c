"""JSON: the full analysis, the form ``fitcheck report`` re-renders from."""

from __future__ import annotations

import json

from fitcheck.core.analysis import Analysis
from fitcheck.core.records import clean, to_records


def _plain(value: object) -> object:
    """Recursively JSON-safe: NaN -> null, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return clean(value)


def document(analysis: Analysis) -> dict:
    meta = analysis.meta
    head = {
        k: meta.get(k) for k in ("fitcheck_version", "generated_at", "inventory", "price_catalog", "totals")
    }
    rest = {k: v for k, v in meta.items() if k not in head}
    return _plain({**head, "workloads": to_records(analysis), **rest})  # type: ignore[return-value]


class JsonFormatter:
    suffix = ".json"

    def render(self, analysis: Analysis) -> str:
        return json.dumps(document(analysis), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
