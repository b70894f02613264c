"""JSON: the full analysis (:class:`~fitcheck.core.document.AnalysisDocument`), the form
``fitcheck report`` re-renders from.

Written piece by piece: the head (everything but the workloads, checked against
:class:`~fitcheck.core.document.Head`) indented, then one workload record per line, a chunk
at a time, so a million workloads never exist as one list of records or one string. The
records are built by :mod:`fitcheck.core.records` in the :class:`WorkloadRecord` shape (the
tests read every output back through the model, as ``fitcheck report`` does); validating
each one again on the way out would triple the time of a large export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fitcheck.core.analysis import Analysis
from fitcheck.core.document import TOP_KEYS, Head
from fitcheck.core.records import CHUNK, record_chunks


def head(analysis: Analysis) -> dict[str, Any]:
    """Everything but the workloads, checked against the document model."""
    meta = {k: v for k, v in analysis.meta.items() if k in Head.model_fields}
    return Head.model_validate(meta).model_dump(mode="json", exclude_none=False)


def _field(key: str, value: Any) -> str:
    body = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False).replace("\n", "\n  ")
    return f"  {json.dumps(key)}: {body}"


class JsonFormatter:
    suffix = ".json"
    suffixes = (".json",)
    chunk = CHUNK  # workload records built and written at a time

    def render(self, analysis: Analysis) -> str:
        return "".join(self.stream(analysis))

    def stream(self, analysis: Analysis) -> Iterator[str]:
        doc = head(analysis)
        if doc.get("rollup") is None:
            doc.pop("rollup", None)
        if doc.get("provenance") is None:
            doc.pop("provenance", None)
        keys = [k for k in TOP_KEYS if k in doc or k == "workloads"]
        for n, key in enumerate(keys):
            sep = ",\n" if n < len(keys) - 1 else "\n"
            if n == 0:
                yield "{\n"
            if key != "workloads":
                yield _field(key, doc[key]) + sep
                continue
            yield '  "workloads": ['
            first = True
            for chunk in record_chunks(analysis, self.chunk):
                body = ",\n    ".join(json.dumps(r, ensure_ascii=False, allow_nan=False) for r in chunk)
                yield ("\n    " if first else ",\n    ") + body
                first = False
            yield ("\n  ]" if not first else "]") + sep
        yield "}\n"
