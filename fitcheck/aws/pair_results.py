"""The results document of a paired SageMaker benchmark, built through the one results model.

Pure: job descriptions in, :class:`~fitcheck.core.benchresult.BenchResults` out. One pair of
jobs is one measurement (``single-run``: no interval); several pairs give a spread
(``insufficient``); a failed job gives ``failed``. ``fitcheck analyze`` decides from none of
them: an interval needs the harness job (:mod:`fitcheck.aws.harness`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fitcheck import __version__
from fitcheck.aws.pair_requests import (
    LOSS_TOLERANCE,
    METRIC_COMPILE,
    METRIC_LOSS,
    METRIC_THROUGHPUT,
    TF_XLA_FLAGS_ENV,
    PairSpec,
)
from fitcheck.core.benchresult import BackendResult, BenchResults, Comparison, Host, LossParity

NOT_RECORDED = "<not recorded>"
# hyperparameter names whose values are secrets (hub_token, wandb_api_key, db_password, ...)
_SECRET_NAME = re.compile(r"token|secret|passw|api_?key|credential|auth", re.IGNORECASE)


def recorded_environment(environment: Mapping[str, Any]) -> dict[str, str]:
    """A job's environment as the results file keeps it: fitcheck's and TensorFlow XLA's
    switches with their values (they show what differed), every other variable by name only
    (a past job cloned with ``like=`` may carry tokens in its environment)."""
    return {
        str(k): str(v) if str(k).startswith("FITCHECK_") or k == TF_XLA_FLAGS_ENV else NOT_RECORDED
        for k, v in environment.items()
    }


def recorded_hyperparameters(hyperparameters: Mapping[str, Any]) -> dict[str, str]:
    """A job's hyperparameters as the results file keeps them: a value whose name says it is a
    secret (``hub_token``, ``api_key``, ``password``, ...) is left out."""
    return {
        str(k): NOT_RECORDED if _SECRET_NAME.search(str(k).replace("-", "_")) else str(v)
        for k, v in hyperparameters.items()
    }


def _metric(desc: Mapping[str, Any], name: str) -> float | None:
    for m in desc.get("FinalMetricDataList") or []:
        if m.get("MetricName") == name and m.get("Value") is not None:
            return float(m["Value"])
    return None


def backend_result(desc: Mapping[str, Any]) -> BackendResult:
    """One job's entry under ``backends`` of the results document."""
    status = desc.get("TrainingJobStatus")
    sps = _metric(desc, METRIC_THROUGHPUT)
    if sps is not None and not (math.isfinite(sps) and sps > 0):
        sps = None
    reason = None
    if status != "Completed":
        reason = f"job {status}: {desc.get('FailureReason') or 'no reason given'}"
    elif sps is None:
        reason = (
            "the entry point reported no steady-state throughput (no 'fitcheck_throughput "
            "samples_per_second=...' line captured in FinalMetricDataList)"
        )
    training = desc.get("TrainingTimeInSeconds")
    billable = desc.get("BillableTimeInSeconds")
    compile_s = _metric(desc, METRIC_COMPILE)
    loss = _metric(desc, METRIC_LOSS)
    return BackendResult(
        status="ok" if reason is None else "failed",
        reason=reason,
        compile_seconds=compile_s
        if compile_s is not None and math.isfinite(compile_s) and compile_s >= 0
        else None,
        samples_per_second=sps,
        training_seconds=int(training) if training is not None else None,
        billable_seconds=int(billable) if billable is not None else None,
        job_name=desc.get("TrainingJobName"),
        job_status=status,
        final_loss=loss if loss is not None and math.isfinite(loss) else None,
    )


def _loss_parity(eager: BackendResult, compiled: BackendResult) -> LossParity | None:
    """Loss parity only when both jobs measured a final loss."""
    la, lb = eager.final_loss, compiled.final_loss
    if la is None or lb is None:
        return None
    if la == 0:
        return LossParity(
            max_rel_diff=0.0 if lb == 0 else None,
            tolerance=LOSS_TOLERANCE,
            ok=lb == 0,
            method="final loss of each job",
        )
    rel = abs(lb - la) / abs(la)
    return LossParity(
        max_rel_diff=round(rel, 6),
        tolerance=LOSS_TOLERANCE,
        ok=rel <= LOSS_TOLERANCE,
        method="final loss of each job",
    )


def collect_results(
    spec: PairSpec,
    requests: tuple[Mapping[str, Any], Mapping[str, Any]],
    eager_desc: Mapping[str, Any],
    compiled_desc: Mapping[str, Any],
    created_at: datetime,
) -> BenchResults:
    """The results document from both jobs' descriptions.

    One pair of jobs is one measurement: ``measurement`` is ``single-run`` (``failed`` when a
    job failed or reported no throughput), ``speedup`` is null and ``point_estimate`` holds the
    ratio of the steady throughputs, so ``fitcheck analyze`` never decides from it alone. The
    total training time of each job stands next to it (``config.training_time``): it includes
    the compile prelude the steady throughput leaves out.
    """
    candidate = spec.compiler
    eager = backend_result(eager_desc)
    compiled = backend_result(compiled_desc)
    ratio = None  # a job that failed counts for nothing, even if it printed a throughput first
    if eager.status == compiled.status == "ok" and eager.samples_per_second and compiled.samples_per_second:
        ratio = round(compiled.samples_per_second / eager.samples_per_second, 4)
    te, tc = eager.training_seconds, compiled.training_seconds
    training_time = {
        "eager_seconds": te,
        "compiled_seconds": tc,
        "eager_over_compiled": round(te / tc, 4) if te and tc else None,
        "note": "whole-job training seconds (compile prelude included); one job each",
    }
    comparison = Comparison(
        baseline="eager",
        candidate=candidate,
        compiler=candidate,  # type: ignore[arg-type]
        measurement="single-run" if ratio is not None else "failed",
        speedup=None,
        point_estimate=ratio,
        speedup_basis=(
            "one pair of SageMaker jobs: the ratio of their steady throughputs (compiled / eager) is "
            "one measurement, with no interval and no confidence; run the harness entry point or "
            "several pairs for an interval"
        ),
        blocks=0,
        steps=0,
        compile_seconds=compiled.compile_seconds,
        loss_parity=_loss_parity(eager, compiled),
        stopped_because="sagemaker-jobs-completed" if ratio is not None else "failed",
    )
    essentials = [
        {
            "job_name": r["TrainingJobName"],
            "image": r["AlgorithmSpecification"]["TrainingImage"],
            "instance_type": r["ResourceConfig"]["InstanceType"],
            "instance_count": r["ResourceConfig"]["InstanceCount"],
            "hyperparameters": recorded_hyperparameters(r.get("HyperParameters") or {}),
            "environment": recorded_environment(r.get("Environment") or {}),
        }
        for r in requests
    ]
    return BenchResults(
        kind="fitcheck-bench-results",
        format_version=2,
        fitcheck_version=__version__,
        created_at=created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        workload=spec.workload,
        model=spec.model,
        host=Host(device="sagemaker", instance_type=spec.instance_type, region=spec.region),
        config={
            "pair_id": spec.pair_id,
            "compiler": spec.compiler,
            "region": spec.region,
            "entry_point": spec.program,
            "source": spec.submit_dir,
            "throughput_contract": "fitcheck_throughput samples_per_second=<float>",
            "evidence": "single-run",
            "training_time": training_time,
            "jobs": {"eager": essentials[0], candidate: essentials[1]},
        },
        backends={"eager": eager, candidate: compiled},
        comparisons=[comparison],
    )


def combine_pairs(per_pair: Sequence[BenchResults]) -> BenchResults:
    """One document for N pairs: their ratios and spread, ``measurement: insufficient``.

    N pairs of jobs are N measurements, fewer than an interval needs: ``point_estimate`` is
    the median ratio, ``config.pairs`` holds every pair's ratio and training times, and
    ``config.spread`` the lowest and highest ratio. ``fitcheck analyze`` does not decide from it.
    """
    first = per_pair[0]
    ratios = [r.comparisons[0].point_estimate for r in per_pair]
    measured = sorted(x for x in ratios if x is not None)
    comp = first.comparisons[0]
    median = None
    if measured:
        mid = len(measured) // 2
        median = measured[mid] if len(measured) % 2 else round((measured[mid - 1] + measured[mid]) / 2, 4)
    combined = comp.model_copy(
        update={
            "measurement": "insufficient" if median is not None else "failed",
            "point_estimate": median,
            "blocks": len(measured),
            "speedup_basis": (
                f"{len(per_pair)} pairs of SageMaker jobs, start order interleaved: the median of "
                f"their throughput ratios ({len(measured)} measured); a spread, not an interval"
            ),
            "loss_parity": None,
            "stopped_because": "sagemaker-jobs-completed" if median is not None else "failed",
        }
    )
    config = dict(first.config)
    config["pairs"] = [
        {
            "pair_id": r.config["pair_id"],
            "ratio": x,
            "training_time": r.config["training_time"],
            "eager_job": r.backends["eager"].job_name,
            "compiled_job": r.backends[comp.candidate].job_name,
        }
        for r, x in zip(per_pair, ratios, strict=True)
    ]
    config["spread"] = {"low": measured[0], "high": measured[-1]} if measured else None
    config["evidence"] = "several-pairs"
    doc = first.model_dump()
    doc.update(config=config, comparisons=[combined.model_dump()])
    return BenchResults.model_validate(doc)  # checked like any results document
