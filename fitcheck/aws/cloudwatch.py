"""GPU utilisation of past training jobs from CloudWatch.

SageMaker publishes ``GPUUtilization`` for every training job to CloudWatch (namespace
``/aws/sagemaker/TrainingJobs``, dimension ``Host`` = ``<job name>/algo-N``, one per
instance), in percent of one GPU times the instance's GPU count (0-400 on a 4-GPU instance).
For each job, one ``GetMetricData`` call reads the per-period average of each host over the
job's training window; a workload's p5, p95 and mean are taken over the samples of all hosts of
all its runs and divided by 100 x the GPU count, so they read 0..1 like the inventory's
``gpu_utilization``.

The period follows CloudWatch's retention: 60 s for jobs that started in the last 15 days,
300 s up to 63 days, 3600 s up to 455 days; older jobs have no data. Calls run in a bounded
thread pool on a client with adaptive retries (:func:`fitcheck.aws.session.client`).
:func:`metric_queries` and :func:`utilisation_stats` are pure.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

NAMESPACE = "/aws/sagemaker/TrainingJobs"
METRIC = "GPUUtilization"
STAT = "Average"
RETENTION_DAYS = ((15.0, 60), (63.0, 300), (455.0, 3600))  # (age limit, smallest period)
MAX_QUERIES = 500  # GetMetricData's limit per call


@dataclass(frozen=True)
class JobWindow:
    """One training job's hosts and training window."""

    job: str
    hosts: int
    start: datetime
    end: datetime


def period_for(start: datetime, now: datetime) -> int | None:
    """The smallest period CloudWatch still keeps for data that old (``None``: expired)."""
    age = (now - start).total_seconds() / 86400.0
    for limit, period in RETENTION_DAYS:
        if age <= limit:
            return period
    return None


def _floor(moment: datetime, period: int) -> datetime:
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % period, tz=moment.tzinfo)


def _ceil(moment: datetime, period: int) -> datetime:
    seconds = math.ceil(moment.timestamp())
    rest = seconds % period
    return datetime.fromtimestamp(seconds + (period - rest if rest else 0), tz=moment.tzinfo)


def metric_queries(window: JobWindow, period: int) -> dict[str, Any]:
    """The GetMetricData request for one job: one query per host (``algo-1`` .. ``algo-N``)."""
    hosts = min(window.hosts, MAX_QUERIES)
    return {
        "MetricDataQueries": [
            {
                "Id": f"h{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": METRIC,
                        "Dimensions": [{"Name": "Host", "Value": f"{window.job}/algo-{i}"}],
                    },
                    "Period": period,
                    "Stat": STAT,
                },
                "ReturnData": True,
            }
            for i in range(1, hosts + 1)
        ],
        "StartTime": _floor(window.start, period),
        "EndTime": _ceil(window.end, period),
        "ScanBy": "TimestampAscending",
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between order statistics."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class Utilisation:
    """GPU utilisation of one workload, 0..1, and where it was read."""

    mean: float
    p5: float
    p95: float
    samples: int
    runs: int
    period_s: int
    start: datetime
    end: datetime
    gpus_per_instance: int

    def window_text(self) -> str:
        return (
            f"CloudWatch {NAMESPACE} {METRIC} ({STAT} per {self.period_s} s, / (100 x "
            f"{self.gpus_per_instance} GPU)): {self.samples} samples from {self.runs} run(s), "
            f"{self.start:%Y-%m-%dT%H:%MZ} to {self.end:%Y-%m-%dT%H:%MZ}"
        )


def utilisation_stats(
    samples: Sequence[float],
    gpus_per_instance: int,
    runs: int,
    period_s: int,
    start: datetime,
    end: datetime,
) -> Utilisation | None:
    """p5, p95 and mean of per-host samples (percent x GPUs), as fractions of the GPUs, 0..1."""
    finite = [v for v in samples if math.isfinite(v)]
    if not finite or gpus_per_instance < 1:
        return None
    scaled = [min(max(v / (100.0 * gpus_per_instance), 0.0), 1.0) for v in finite]
    return Utilisation(
        mean=round(sum(scaled) / len(scaled), 4),
        p5=round(percentile(scaled, 5), 4),
        p95=round(percentile(scaled, 95), 4),
        samples=len(scaled),
        runs=runs,
        period_s=period_s,
        start=start,
        end=end,
        gpus_per_instance=gpus_per_instance,
    )


def gpus_per_instance(catalog: Path | None = None) -> dict[str, int]:
    """Instance type -> accelerator count, from the bundled catalog (``instances.csv``)."""
    if catalog is None:
        from fitcheck.io.profiles import default_profile_dir

        catalog = default_profile_dir() / "instances.csv"
    out: dict[str, int] = {}
    with open(catalog, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                out[row["instance_type"]] = int(row.get("accelerators") or 0)
            except (KeyError, ValueError):
                continue
    return out


def job_samples(cw: Any, window: JobWindow, period: int) -> list[float]:
    """Every per-host sample of one job (GetMetricData, following NextToken)."""
    request = metric_queries(window, period)
    values: list[float] = []
    token: str | None = None
    while True:
        kwargs = dict(request)
        if token:
            kwargs["NextToken"] = token
        page = cw.get_metric_data(**kwargs)
        for result in page.get("MetricDataResults", []):
            values.extend(float(v) for v in result.get("Values", []))
        token = page.get("NextToken")
        if not token:
            return values


@dataclass(frozen=True)
class GroupWindows:
    """The jobs of one workload and the GPUs of its instance type."""

    workload: str
    windows: tuple[JobWindow, ...]
    gpus: int


def read_utilisation(
    cw: Any,
    groups: Sequence[GroupWindows],
    now: datetime,
    max_workers: int,
    on_done: Callable[[], None] | None = None,
) -> tuple[dict[str, Utilisation], dict[str, str]]:
    """Utilisation per workload, and why a workload has none (no GPU, too old, no data).

    Jobs are read concurrently (``max_workers`` at a time); a call that still fails after the
    client's retries stops the step and is raised.
    """
    why: dict[str, str] = {}
    plans: list[tuple[str, JobWindow, int]] = []
    periods: dict[str, int] = {}
    for g in groups:
        if g.gpus < 1:
            why[g.workload] = "no GPU on this instance type"
            continue
        readable = [(w, p) for w in g.windows if (p := period_for(w.start, now)) is not None]
        if not readable:
            why[g.workload] = "every run is older than CloudWatch keeps data (455 days)"
            continue
        period = max(p for _, p in readable)  # one period for the whole workload
        periods[g.workload] = period
        plans.extend((g.workload, w, period) for w, _ in readable)
    samples: dict[str, list[float]] = {g.workload: [] for g in groups}
    runs_with_data: dict[str, int] = {g.workload: 0 for g in groups}
    spans: dict[str, tuple[datetime, datetime]] = {}

    def one(plan: tuple[str, JobWindow, int]) -> tuple[str, JobWindow, list[float]]:
        workload, window, period = plan
        return workload, window, job_samples(cw, window, period)

    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="cloudwatch")
    try:
        for workload, window, values in pool.map(one, plans):
            if values:
                samples[workload].extend(values)
                runs_with_data[workload] += 1
                lo, hi = spans.get(workload, (window.start, window.end))
                spans[workload] = (min(lo, window.start), max(hi, window.end))
            if on_done:
                on_done()
    finally:  # a failure or Ctrl-C: the calls not yet started are dropped, not waited for
        pool.shutdown(wait=True, cancel_futures=True)
    out: dict[str, Utilisation] = {}
    gpus = {g.workload: g.gpus for g in groups}
    for workload, values in samples.items():
        if workload in why:
            continue
        start, end = spans.get(workload, (now, now))
        stats = utilisation_stats(
            values, gpus[workload], runs_with_data[workload], periods[workload], start, end
        )
        if stats is None:
            why[workload] = f"no {METRIC} data in CloudWatch for its runs"
        else:
            out[workload] = stats
    return out, why


def windows_of(records: Sequence[Any]) -> tuple[JobWindow, ...]:
    """The training windows of job records that have a start and an end."""
    out = []
    for r in records:
        if r.started is not None and r.ended is not None and r.ended > r.started and not r.heterogeneous:
            out.append(JobWindow(r.name, max(1, int(r.instance_count)), r.started, r.ended))
    return tuple(out)


def utilisation_fields(u: Utilisation) -> Mapping[str, Any]:
    """The inventory fields of a workload's utilisation."""
    return {"gpu_utilization": u.mean, "gpu_utilization_p5": u.p5, "gpu_utilization_p95": u.p95}
