"""Shared fixtures: the bundled profile, a fixed clock, a clear-fit workload."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

# A workload every rule passes: the baseline each rule case changes one thing of.
CLEAR_FIT: dict[str, Any] = {
    "name": "clear-fit",
    "framework": "pytorch",
    "framework_version": "2.3",
    "model": "bert-base-uncased",
    "instance_type": "ml.g5.48xlarge",
    "instance_count": 2,
    "duration_hours": 6,
    "runs_per_week": 5,
    "precision": "fp16",
    "input_shapes": "static",
    "batch_size": 32,
    "distribution": "ddp",
    "gpu_utilization": 0.93,
    "data_loading": "standard",
}


@pytest.fixture(scope="session")
def profile():
    from fitcheck.io.profiles import load_profile

    return load_profile()


def inventory_frame(*workloads: dict[str, Any]) -> pd.DataFrame:
    """Validate workloads exactly as a YAML inventory would be."""
    import json

    from fitcheck.core.schema import Workload
    from fitcheck.io.inventory import COLUMNS, _normalise

    records = [Workload.model_validate(w).model_dump() for w in workloads]
    for r in records:
        r["tags"] = json.dumps(r["tags"], sort_keys=True)
    frame = _normalise(pd.DataFrame.from_records(records, columns=list(COLUMNS)))
    frame["_line"] = range(1, len(frame) + 1)
    return frame


def workload(**changes: Any) -> dict[str, Any]:
    out = {**CLEAR_FIT, **changes}
    return {k: v for k, v in out.items() if v is not None}
