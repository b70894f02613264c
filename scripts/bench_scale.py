"""Scale benchmark: analyze a 1,000,000-row CSV inventory to CSV, against pandas alone.

Prints, from one run on this machine:
- pandas baseline: read_csv + to_csv of the same inventory file (seconds);
- fitcheck: load + validate + analyze + render CSV + write (seconds);
- the ratio (target: at most 3x) and fitcheck's peak resident memory.

The inventory is generated with a fixed seed: realistic job-history variety (every
framework, instance type, precision and shape regime; continuous durations and prices).
Usage: python scripts/bench_scale.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_inventory(rows: int, instance_types: list[str], seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values, p=None):
        return rng.choice(np.array(values, dtype=object), size=rows, p=p)

    frameworks = pick(
        ["pytorch", "tensorflow", "jax", "xgboost", "lightgbm", "sklearn", "other"],
        [0.62, 0.14, 0.05, 0.08, 0.04, 0.04, 0.03],
    )
    models = pick(
        [
            "bert-base-uncased",
            "roberta-base",
            "gpt2",
            "t5-small",
            "resnet50",
            "google/vit-base-patch16-224",
            "stable-diffusion unet",
            "two-tower ranker",
            "distilbert-base-uncased",
            "custom model",
        ]
    )
    frame = pd.DataFrame(
        {
            "name": [f"job-{i:07d}" for i in range(rows)],
            "framework": frameworks,
            "framework_version": pick(["2.3", "2.1", "1.13.1", "2.14", "", "1.12.0", "2.4"]),
            "model": models,
            "instance_type": pick(instance_types),
            "instance_count": rng.integers(1, 9, rows),
            "duration_hours": np.round(rng.lognormal(0.8, 1.1, rows) + 0.05, 3),
            "runs_per_week": np.round(rng.choice([0.25, 0.5, 1, 2, 3, 5, 7, 14], rows), 2),
            "precision": pick(["fp32", "fp16", "bf16", "tf32", "unknown"]),
            "input_shapes": pick(["static", "dynamic", "unknown"]),
            "batch_size": rng.integers(1, 257, rows),
            "distribution": pick(["none", "ddp", "fsdp", "deepspeed", "smddp", "pytorchxla"]),
            "gpu_utilization": np.round(rng.uniform(0.2, 1.0, rows), 3),
            "data_loading": pick(["standard", "custom", "unknown"]),
            "debugger": rng.random(rows) < 0.2,
            "spot": rng.random(rows) < 0.3,
            "spot_discount": np.round(rng.uniform(0.0, 0.7, rows), 2),
            "tags": pick(["team=nlp", "team=vision", "team=recsys;owner=ana", ""]),
        }
    )
    return frame


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args()

    from fitcheck import api
    from fitcheck.io.profiles import load_profile

    types = list(load_profile().instances.index)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fitcheck-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "inventory.csv"
    make_inventory(args.rows, types).to_csv(source, index=False)
    print(f"inventory: {args.rows:,} rows, {source.stat().st_size / 1e6:.0f} MB at {source}")

    t0 = time.perf_counter()
    pd.read_csv(source).to_csv(folder / "pandas_copy.csv", index=False)
    t_pandas = time.perf_counter() - t0
    print(f"pandas read_csv + to_csv:        {t_pandas:6.2f} s")

    t0 = time.perf_counter()
    result = api.analyze(source)
    t_analyze = time.perf_counter() - t0
    api.emit(result, fmt="csv", output=folder / "analysis.csv")
    t_total = time.perf_counter() - t0
    print(
        f"fitcheck analyze -> CSV:         {t_total:6.2f} s "
        f"(analysis {t_analyze:.2f} s, render + write {t_total - t_analyze:.2f} s)"
    )
    ratio = t_total / t_pandas
    print(
        f"ratio fitcheck / pandas:         {ratio:6.2f}x (target <= 3x: {'met' if ratio <= 3 else 'NOT met'})"
    )
    print(f"peak resident memory:            {peak_rss_mib():6.0f} MiB")
    counts = result.table["decision"].value_counts().to_dict()
    print(f"decisions: {counts}")


if __name__ == "__main__":
    main()
