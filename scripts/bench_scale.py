"""Scale benchmark: analyze a 1,000,000-row CSV inventory to CSV and to JSON, against pandas alone.

Prints, from one run on this machine, each step run as its own process (time and peak
resident memory of that process, read from ``os.wait4``):
- pandas baseline: read_csv + to_csv of the same inventory file;
- ``fitcheck analyze INVENTORY --format csv -o FILE`` (load, validate, analyze, render, write);
- ``fitcheck analyze INVENTORY --format json -o FILE``;
- the ratio fitcheck CSV / pandas (target: at most 3x) and each peak (target: at most 3 GiB).

The inventory is generated with a fixed seed and has every documented inventory column filled
as ``fitcheck import sagemaker`` writes it: names with thousands of distinct prefixes, tens
of instance types, a few hundred models, framework and transformers versions, GPU utilisation
with its 5th and 95th percentiles, and tags with team, cost centre, project and owner plus the
import's own ``sagemaker.*`` keys (one distinct tag set per workload, as an import gives).
``--narrow`` writes the earlier, narrower inventory (fewer columns, four tag sets) instead.
Its workloads run in five regions; a workload is priced in its own region only, so both runs
pass ``--prices`` with a synthetic price file for the four besides the catalog's us-east-1
(:func:`make_prices`; labelled synthetic in every output).

Usage: python scripts/bench_scale.py [--rows N] [--keep DIR] [--narrow] [--skip-json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

GIB = 1 << 30
# (model, family, framework): a few dozen base models, each fine-tuned into variants below
BASE_MODELS = (
    ("bert-base-uncased", "transformer", "pytorch"),
    ("bert-large-uncased", "transformer", "pytorch"),
    ("roberta-base", "transformer", "pytorch"),
    ("roberta-large", "transformer", "pytorch"),
    ("distilbert-base-uncased", "transformer", "pytorch"),
    ("gpt2", "transformer", "pytorch"),
    ("gpt2-medium", "transformer", "pytorch"),
    ("t5-small", "transformer", "pytorch"),
    ("t5-base", "transformer", "pytorch"),
    ("facebook/bart-large", "transformer", "pytorch"),
    ("microsoft/deberta-v3-base", "transformer", "pytorch"),
    ("meta-llama/Llama-2-7b-hf", "transformer", "pytorch"),
    ("mistralai/Mistral-7B-v0.1", "transformer", "pytorch"),
    ("google/vit-base-patch16-224", "transformer", "pytorch"),
    ("xlm-roberta-base", "transformer", "tensorflow"),
    ("bert-base-cased", "transformer", "tensorflow"),
    ("resnet50", "cnn", "pytorch"),
    ("resnet101", "cnn", "pytorch"),
    ("efficientnet-b0", "cnn", "tensorflow"),
    ("yolov5s", "cnn", "pytorch"),
    ("unet-segmentation", "cnn", "pytorch"),
    ("stable-diffusion unet", "diffusion", "pytorch"),
    ("runwayml/stable-diffusion-v1-5", "diffusion", "pytorch"),
    ("xgboost", "gbdt", "xgboost"),
    ("lightgbm", "gbdt", "lightgbm"),
    ("two-tower ranker", "other", "pytorch"),
    ("flax gpt-j", "transformer", "jax"),
    ("random forest", "other", "sklearn"),
    ("custom model", "other", "other"),
)
FRAMEWORK_VERSIONS = {
    "pytorch": ["2.3", "2.1", "1.13.1", "2.0.1", "1.12.0", "2.4", "2.2"],
    "tensorflow": ["2.14", "2.13", "2.12.0", "2.11.0"],
    "jax": ["0.4.23", "0.4.13"],
    "xgboost": ["1.7-1", "1.5-1"],
    "lightgbm": ["4.1.0", "3.3.5"],
    "sklearn": ["1.2-1", "1.0-1"],
    "other": ["1.0", "2.0"],
}
TRANSFORMERS_VERSIONS = ["4.17.0", "4.26.0", "4.28.1", "4.36.0", "4.41.1"]
TEAMS = ["nlp", "vision", "recsys", "search", "ads", "speech", "forecasting", "platform", "genai", "risk"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"]
# A workload is priced in its own region only, and the bundled catalog prices us-east-1: the
# other regions get a synthetic price file (the catalog price times a made-up factor, labelled
# as such), as `fitcheck prices refresh --region R` would give real ones.
SYNTHETIC_REGION_FACTORS = {"us-west-2": 1.0, "eu-west-1": 1.12, "eu-central-1": 1.16, "ap-northeast-1": 1.24}


def make_prices(catalog: pd.DataFrame) -> pd.DataFrame:
    """A price file (the columns ``fitcheck prices refresh`` writes) for every catalog instance
    type in every region of :data:`REGIONS` but us-east-1: synthetic test prices, not quotes."""
    rows = []
    for region, factor in SYNTHETIC_REGION_FACTORS.items():
        source = f"synthetic test price: us-east-1 catalog price x {factor:g} (not a quote)"
        for itype, usd, date in zip(
            catalog["instance_type"], catalog["price_usd_per_hour"], catalog["price_date"], strict=True
        ):
            rows.append(
                {
                    "instance_type": itype,
                    "region": region,
                    "price_usd_per_hour": round(float(usd) * factor, 4),
                    "price_basis": f"synthetic on-demand {region}",
                    "price_source": source,
                    "price_date": date,
                }
            )
    return pd.DataFrame(rows)


def make_inventory(rows: int, instance_types: list[str], seed: int = 7) -> pd.DataFrame:
    """Every documented column, as an import of a large job history writes it."""
    rng = np.random.default_rng(seed)

    def pick(values, p=None):
        return rng.choice(np.array(values, dtype=object), size=rows, p=p)

    # a few hundred models: base models and their fine-tuned variants
    models = [(m, fam, fw) for m, fam, fw in BASE_MODELS]
    for k in range(300 - len(models)):
        m, fam, fw = BASE_MODELS[k % len(BASE_MODELS)]
        models.append((f"{TEAMS[k % len(TEAMS)]}/{m.split('/')[-1]}-ft{k:03d}", fam, fw))
    which = rng.zipf(1.3, rows) % len(models)
    model = np.array([m[0] for m in models], dtype=object)[which]
    family = np.array([m[1] for m in models], dtype=object)[which]
    framework = np.array([m[2] for m in models], dtype=object)[which]
    fw_version = np.empty(rows, dtype=object)
    for fw, versions in FRAMEWORK_VERSIONS.items():
        sel = framework == fw
        fw_version[sel] = rng.choice(np.array(versions, dtype=object), int(sel.sum()))
    hf = (family == "transformer") | (family == "diffusion")
    transformers = np.where(hf, rng.choice(np.array(TRANSFORMERS_VERSIONS, dtype=object), rows), "")

    # thousands of distinct name prefixes (team-project-purpose), unique names
    prefixes = np.array(
        [
            f"{TEAMS[i % len(TEAMS)]}-proj{i // len(TEAMS):03d}-{('train', 'finetune', 'eval')[i % 3]}"
            for i in range(4000)
        ],
        dtype=object,
    )
    prefix_of = rng.integers(0, len(prefixes), rows)
    names = [f"{prefixes[p]}-{i:07d}" for i, p in enumerate(prefix_of.tolist())]
    team = np.array([p.split("-", 1)[0] for p in prefixes], dtype=object)[prefix_of]

    util = np.round(rng.uniform(0.2, 0.95, rows), 3)
    p5 = np.round(util * rng.uniform(0.2, 0.9, rows), 3)
    p95 = np.round(np.minimum(1.0, util + rng.uniform(0.0, 0.3, rows)), 3)
    spot = rng.random(rows) < 0.3
    override = rng.random(rows) < 0.05
    runs = np.round(rng.choice([0.25, 0.5, 1, 2, 3, 5, 7, 14], rows), 2)
    days = rng.integers(0, 90, rows)
    last_run = (np.datetime64("2026-11-20") - days.astype("timedelta64[D]")).astype(str)
    jobs = rng.integers(1, 60, rows)
    cadence = np.where(runs >= 0.5, "recurring", "one-off")
    tags = [
        json.dumps(
            {
                "team": t,
                "cost-centre": f"CC-{1000 + (p % 250)}",
                "project": f"proj{p // len(TEAMS):03d}",
                "owner": f"user{p % 700:03d}",
                "sagemaker.source": "sagemaker",
                "sagemaker.grouped_by": "name signature",
                "sagemaker.jobs": str(j),
                "sagemaker.last_job": f"{n}-{d}",
                "sagemaker.last_run": d,
                "sagemaker.runs_basis": "start times in the window",
                "sagemaker.cadence": c,
            },
            sort_keys=True,
        )
        for t, p, j, n, d, c in zip(
            team.tolist(),
            prefix_of.tolist(),
            jobs.tolist(),
            names,
            last_run.tolist(),
            cadence.tolist(),
            strict=True,
        )
    ]
    return pd.DataFrame(
        {
            "name": names,
            "framework": framework,
            "framework_version": fw_version,
            "transformers_version": transformers,
            "model": model,
            "model_family": family,
            "instance_type": pick(instance_types),
            "instance_count": rng.choice([1, 1, 1, 2, 4, 8, 16], rows),
            "duration_hours": np.round(rng.lognormal(0.8, 1.1, rows) + 0.05, 4),
            "runs_per_week": runs,
            "precision": pick(["fp32", "fp16", "bf16", "tf32", "unknown"]),
            "input_shapes": pick(["static", "dynamic", "unknown"]),
            "batch_size": rng.integers(1, 257, rows),
            "sequence_length": rng.choice([128, 256, 512, 1024, 2048, 4096], rows),
            "distribution": pick(
                ["none", "ddp", "fsdp", "deepspeed", "horovod", "smddp", "smp", "pytorchxla"]
            ),
            "gpu_utilization": util,
            "gpu_utilization_p5": p5,
            "gpu_utilization_p95": p95,
            "data_loading": pick(["standard", "custom", "unknown"]),
            "debugger": rng.random(rows) < 0.2,
            "spot": spot,
            "spot_discount": np.where(spot, np.round(rng.uniform(0.0, 0.7, rows), 4), np.nan),
            # negotiated prices: a few distinct rates, not one per workload
            "hourly_price_usd": np.where(
                override, rng.choice([1.21, 2.5, 4.1, 7.75, 12.4, 24.0, 32.77], rows), np.nan
            ),
            "tags": tags,
            "region": pick(REGIONS),
            "compiler_enabled": rng.random(rows) < 0.1,
        }
    )


def make_narrow_inventory(rows: int, instance_types: list[str], seed: int = 7) -> pd.DataFrame:
    """The earlier benchmark file: 18 columns, ten models, four tag sets."""
    rng = np.random.default_rng(seed)

    def pick(values, p=None):
        return rng.choice(np.array(values, dtype=object), size=rows, p=p)

    return pd.DataFrame(
        {
            "name": [f"job-{i:07d}" for i in range(rows)],
            "framework": pick(
                ["pytorch", "tensorflow", "jax", "xgboost", "lightgbm", "sklearn", "other"],
                [0.62, 0.14, 0.05, 0.08, 0.04, 0.04, 0.03],
            ),
            "framework_version": pick(["2.3", "2.1", "1.13.1", "2.14", "", "1.12.0", "2.4"]),
            "model": pick(
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
            ),
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


def run_measured(args: list[str]) -> tuple[float, float, int, str]:
    """Run ``args`` as a child process: (seconds, peak resident GiB, exit code, stderr tail)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    return seconds, usage.ru_maxrss * 1024 / GIB, proc.returncode, err.decode(errors="replace")[-2000:]


PANDAS_COPY = "import sys, pandas as pd; pd.read_csv(sys.argv[1]).to_csv(sys.argv[2], index=False)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    parser.add_argument("--narrow", action="store_true", help="the earlier, narrower inventory")
    parser.add_argument("--skip-json", action="store_true", help="time the CSV output only")
    args = parser.parse_args()

    from fitcheck.io.profiles import load_profile

    catalog = load_profile().instances
    types = list(catalog.index)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fitcheck-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "inventory.csv"
    make = make_narrow_inventory if args.narrow else make_inventory
    frame = make(args.rows, types)
    frame.to_csv(source, index=False)
    columns = len(frame.columns)
    del frame
    print(
        f"inventory: {args.rows:,} rows, {columns} columns, {source.stat().st_size / 1e6:.0f} MB at {source}"
        f"{' (narrow)' if args.narrow else ''}"
    )

    prices = folder / "prices"
    prices.mkdir(exist_ok=True)
    make_prices(catalog).to_csv(prices / "prices.csv", index=False)
    fitcheck = [sys.executable, "-m", "fitcheck.cli", "analyze", str(source), "--prices", str(prices)]
    runs = [
        (
            "pandas read_csv + to_csv",
            [sys.executable, "-c", PANDAS_COPY, str(source), str(folder / "pandas.csv")],
        )
    ]
    runs.append(
        ("fitcheck analyze -> CSV", [*fitcheck, "--format", "csv", "-o", str(folder / "analysis.csv")])
    )
    if not args.skip_json:
        runs.append(
            ("fitcheck analyze -> JSON", [*fitcheck, "--format", "json", "-o", str(folder / "analysis.json")])
        )
    results = {}
    for label, command in runs:
        seconds, peak, code, err = run_measured(command)
        if code != 0:
            sys.exit(f"{label} failed with exit code {code}:\n{err}")
        results[label] = (seconds, peak)
        print(f"{label + ':':28s} {seconds:7.2f} s   peak resident {peak:5.2f} GiB")
    t_pandas = results["pandas read_csv + to_csv"][0]
    for label, (seconds, peak) in list(results.items())[1:]:
        ratio = seconds / t_pandas
        print(
            f"{label}: {ratio:.2f}x pandas (target <= 3x: {'met' if ratio <= 3 else 'NOT met'}), "
            f"{peak:.2f} GiB (target <= 3 GiB: {'met' if peak <= 3 else 'NOT met'})"
        )
    for out in ("analysis.csv", "analysis.json"):
        if (folder / out).exists():
            print(f"{out}: {(folder / out).stat().st_size / 1e6:.0f} MB")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
