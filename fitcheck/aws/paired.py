"""``fitcheck bench --on sagemaker``: a paired compiler on/off benchmark as two SageMaker jobs.

:func:`build_pair_requests` (pure) builds both CreateTrainingJob requests from one
:class:`PairSpec`; they differ only in the job name, the ``fitcheck:variant`` tag and the
compiler settings of :func:`compiler_hyperparameters`:

- SageMaker Training Compiler: ``sagemaker_training_compiler_enabled`` "true"/"false",
  ``sagemaker_training_compiler_debug_mode`` "false" in both, and
  ``sagemaker_pytorch_xla_multi_worker_enabled`` "true" for a distributed compiled job.
- torch.compile: ``fitcheck_torch_compile`` "true"/"false", read by the entry point.

The entry point reports its steady-state throughput on stdout (the *throughput contract*)::

    fitcheck_throughput samples_per_second=123.4
    fitcheck_compile_seconds=95.2        (optional: time spent compiling)
    fitcheck_final_loss=2.0312           (optional: for a loss-parity check)

Metric definitions with these regexes make SageMaker capture them in
``FinalMetricDataList``; :func:`collect_results` turns both jobs into the results JSON of
local ``fitcheck bench`` (``fitcheck analyze --bench`` reads it unchanged).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import secrets
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fitcheck import __version__
from fitcheck.aws.mapping import STC_DEBUG, STC_ENABLED, STC_XLA_MULTI_WORKER, parse_image_uri
from fitcheck.errors import InputError, Location, closest, one_of
from fitcheck.io.atomic import atomic_write_text

STC = "sagemaker-training-compiler"
TORCH_COMPILE = "torch.compile"
COMPILERS = (STC, TORCH_COMPILE)
_ALIASES = {
    "stc": STC,
    "trcomp": STC,
    "sagemaker-training-compiler": STC,
    "torch.compile": TORCH_COMPILE,
    "torch-compile": TORCH_COMPILE,
    "inductor": TORCH_COMPILE,
}
TORCH_COMPILE_HP = "fitcheck_torch_compile"
VARIANTS = ("eager", "compiled")

METRIC_THROUGHPUT = "fitcheck:samples_per_second"
METRIC_COMPILE = "fitcheck:compile_seconds"
METRIC_LOSS = "fitcheck:final_loss"
_NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
METRIC_DEFINITIONS = (
    {"Name": METRIC_THROUGHPUT, "Regex": rf"fitcheck_throughput samples_per_second={_NUMBER}"},
    {"Name": METRIC_COMPILE, "Regex": rf"fitcheck_compile_seconds={_NUMBER}"},
    {"Name": METRIC_LOSS, "Regex": rf"fitcheck_final_loss={_NUMBER}"},
)
LOSS_TOLERANCE = 0.05  # relative final-loss difference still counted as parity
DEFAULT_MAX_RUNTIME_S = 24 * 3600
POLL_SECONDS = 30.0
TERMINAL = ("Completed", "Failed", "Stopped")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")


def canonical_compiler(name: str) -> str:
    """``stc`` -> ``sagemaker-training-compiler``; raises InputError for an unknown compiler."""
    key = name.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise InputError(one_of(name, sorted(_ALIASES)), Location(field="--compiler"))


@dataclass(frozen=True)
class PairSpec:
    """Everything both jobs share, plus the compiler under test."""

    workload: str
    model: str
    pair_id: str
    role: str
    image: str
    program: str  # the entry point, relative to the source archive
    submit_dir: str  # s3://.../sourcedir.tar.gz
    output_s3: str  # s3://... for model artifacts
    instance_type: str
    instance_count: int
    compiler: str
    region: str
    distributed: bool = False
    max_runtime_s: int = DEFAULT_MAX_RUNTIME_S
    hyperparameters: Mapping[str, str] = field(default_factory=dict)


def compiler_hyperparameters(compiler: str, variant: str, distributed: bool) -> dict[str, str]:
    """The only hyperparameters that differ between the two jobs (same keys, other values)."""
    on = variant == "compiled"
    if compiler == STC:
        return {
            STC_ENABLED: "true" if on else "false",
            STC_DEBUG: "false",
            STC_XLA_MULTI_WORKER: "true" if (on and distributed) else "false",
        }
    return {TORCH_COMPILE_HP: "true" if on else "false"}


def slug(text: str) -> str:
    """Letters, digits and dashes only (SageMaker job names, file names)."""
    return re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower() or "workload"


def job_name(spec: PairSpec, variant: str) -> str:
    """``fc-<workload>-<pair id>-<e|c>``, within SageMaker's 63 characters."""
    short = slug(spec.workload)[:40].strip("-")
    return f"fc-{short}-{spec.pair_id}-{'e' if variant == 'eager' else 'c'}"


def build_pair_requests(spec: PairSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """The eager and the compiled CreateTrainingJob requests.

    One common request is built first; each variant then changes only its name, its
    ``fitcheck:variant`` tag and :func:`compiler_hyperparameters`.
    """
    hyperparameters = {
        **{k: str(v) for k, v in spec.hyperparameters.items()},
        "sagemaker_program": spec.program,
        "sagemaker_submit_directory": spec.submit_dir,
        "sagemaker_region": spec.region,
        "sagemaker_container_log_level": "20",
        "fitcheck_workload": spec.workload,
    }
    common: dict[str, Any] = {
        "TrainingJobName": "",
        "HyperParameters": hyperparameters,
        "AlgorithmSpecification": {
            "TrainingImage": spec.image,
            "TrainingInputMode": "File",
            "MetricDefinitions": [dict(m) for m in METRIC_DEFINITIONS],
            "EnableSageMakerMetricsTimeSeries": True,
        },
        "RoleArn": spec.role,
        "OutputDataConfig": {"S3OutputPath": spec.output_s3},
        "ResourceConfig": {
            "InstanceType": spec.instance_type,
            "InstanceCount": spec.instance_count,
            "VolumeSizeInGB": 50,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.max_runtime_s},
        "EnableManagedSpotTraining": False,  # spot interruptions would distort the timing
        "Tags": [
            {"Key": "fitcheck:pair-id", "Value": spec.pair_id},
            {"Key": "fitcheck:workload", "Value": spec.workload[:256]},
            {"Key": "fitcheck:compiler", "Value": spec.compiler},
        ],
    }
    out = []
    for variant in VARIANTS:
        req = copy.deepcopy(common)
        req["TrainingJobName"] = job_name(spec, variant)
        req["HyperParameters"].update(compiler_hyperparameters(spec.compiler, variant, spec.distributed))
        req["Tags"].append({"Key": "fitcheck:variant", "Value": variant})
        out.append(req)
    return out[0], out[1]


# --- results (pure) ---------------------------------------------------------------------------


def _metric(desc: Mapping[str, Any], name: str) -> float | None:
    for m in desc.get("FinalMetricDataList") or []:
        if m.get("MetricName") == name and m.get("Value") is not None:
            return float(m["Value"])
    return None


def backend_result(desc: Mapping[str, Any]) -> dict[str, Any]:
    """One job's entry under ``backends`` of the results JSON."""
    status = desc.get("TrainingJobStatus")
    sps = _metric(desc, METRIC_THROUGHPUT)
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
    return {
        "status": "ok" if reason is None else "failed",
        "reason": reason,
        "compile_seconds": _metric(desc, METRIC_COMPILE),
        "step_seconds": [],
        "summary": None,
        "samples_per_second": sps,
        "training_seconds": int(training) if training is not None else None,
        "billable_seconds": int(billable) if billable is not None else None,
        "job_name": desc.get("TrainingJobName"),
        "job_status": status,
        "final_loss": _metric(desc, METRIC_LOSS),
    }


def collect_results(
    spec: PairSpec,
    requests: tuple[Mapping[str, Any], Mapping[str, Any]],
    eager_desc: Mapping[str, Any],
    compiled_desc: Mapping[str, Any],
    created_at: datetime,
) -> dict[str, Any]:
    """The results JSON (same format as local ``fitcheck bench``) from both jobs' descriptions."""
    candidate = spec.compiler
    eager = backend_result(eager_desc)
    compiled = backend_result(compiled_desc)
    speedup = None
    if eager["samples_per_second"] and compiled["samples_per_second"]:
        ratio = round(compiled["samples_per_second"] / eager["samples_per_second"], 4)
        speedup = {"low": ratio, "mid": ratio, "high": ratio}
    loss_parity = None
    la, lb = eager["final_loss"], compiled["final_loss"]
    if la is not None and lb is not None:
        rel = abs(lb - la) / abs(la) if la else (0.0 if lb == la else float("inf"))
        loss_parity = {
            "max_rel_diff": round(rel, 6),
            "tolerance": LOSS_TOLERANCE,
            "ok": rel <= LOSS_TOLERANCE,
        }
    comparison = {
        "baseline": "eager",
        "candidate": candidate,
        "compiler": candidate,
        "speedup": speedup,
        "speedup_basis": (
            "one steady-state throughput per SageMaker job (compiled / eager); no interval: low = mid = high"
        ),
        "confidence": 0.95,
        "blocks": 0,
        "steps": 0,
        "compile_seconds": compiled["compile_seconds"],
        "memory_ratio": None,
        "loss_parity": loss_parity,
        "recompiles": None,
        "stopped_because": "sagemaker-jobs-completed",
        "dynamic": None,
    }
    essentials = [
        {
            "job_name": r["TrainingJobName"],
            "image": r["AlgorithmSpecification"]["TrainingImage"],
            "instance_type": r["ResourceConfig"]["InstanceType"],
            "instance_count": r["ResourceConfig"]["InstanceCount"],
            "hyperparameters": r["HyperParameters"],
        }
        for r in requests
    ]
    return {
        "kind": "fitcheck-bench-results",
        "fitcheck_version": __version__,
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "workload": spec.workload,
        "model": spec.model,
        "host": {"device": "sagemaker", "instance_type": spec.instance_type, "region": spec.region},
        "config": {
            "pair_id": spec.pair_id,
            "compiler": spec.compiler,
            "region": spec.region,
            "entry_point": spec.program,
            "source": spec.submit_dir,
            "throughput_contract": "fitcheck_throughput samples_per_second=<float>",
            "jobs": {"eager": essentials[0], candidate: essentials[1]},
        },
        "backends": {"eager": eager, candidate: compiled},
        "comparisons": [comparison],
    }


# --- preparation ------------------------------------------------------------------------------


def source_archive(source_dir: Path | None, entry_point: Path) -> tuple[bytes, str]:
    """A reproducible ``sourcedir.tar.gz`` and the entry point's path inside it."""
    buf = io.BytesIO()
    if source_dir is None:
        files = [(entry_point, entry_point.name)]
        program = entry_point.name
    else:
        files = sorted(
            (p, p.relative_to(source_dir).as_posix())
            for p in source_dir.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )
        ep = entry_point if entry_point.is_absolute() else source_dir / entry_point
        program = ep.resolve().relative_to(source_dir.resolve()).as_posix()
    import gzip

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, arcname in files:
            info = tar.gettarinfo(str(path), arcname=arcname)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return buf.getvalue(), program


def _workload_from_inventory(inventory: Path, workload: str) -> dict[str, Any]:
    from fitcheck.io.inventory import load_inventory

    frame = load_inventory(inventory)
    rows = frame[frame["name"] == workload]
    if rows.empty:
        names = [str(n) for n in frame["name"].tolist()]
        hint = closest(workload, names)
        extra = f"; did you mean {', '.join(hint)}?" if hint else f"; known: {', '.join(names[:10])}"
        raise InputError(
            f"no workload named {workload!r}{extra}",
            Location(file=str(inventory), field="--workload"),
        )
    return dict(rows.iloc[0].to_dict())


def _accelerators(instance_type: str) -> int | None:
    import csv

    from fitcheck.aws.prices import default_catalog_path

    try:
        with open(default_catalog_path(), encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("instance_type") == instance_type:
                    return int(row.get("accelerators") or 0)
    except (InputError, OSError, ValueError):
        return None
    return None


@dataclass(frozen=True)
class PairOutcome:
    """What :func:`bench_on_sagemaker` did."""

    requests: tuple[dict[str, Any], dict[str, Any]]
    job_names: tuple[str, str]
    sent: bool
    results: dict[str, Any] | None = None
    results_path: Path | None = None


def bench_on_sagemaker(
    workload: str,
    role: str,
    image: str,
    entry_point: str | Path,
    source_dir: str | Path | None = None,
    instance_type: str | None = None,
    instance_count: int | None = None,
    compiler: str = STC,
    region: str | None = None,
    inventory: str | Path | None = None,
    dry_run: bool = False,
    wait: bool = True,
    output: str | Path | None = None,
) -> PairOutcome:
    """Launch the eager and compiled jobs of one workload on SageMaker and collect the results.

    ``source_dir`` is a local folder (packed and uploaded to the default SageMaker bucket
    ``sagemaker-<region>-<account>``) or an ``s3://…/sourcedir.tar.gz``; without it the
    entry point file alone is uploaded. ``dry_run`` prints both requests as JSON and sends
    nothing. With ``wait`` the call polls both jobs until they end and writes the results JSON
    to ``output`` (default ``bench-<workload>-sagemaker.json``).
    """
    import typer

    from fitcheck.aws.session import aws_errors, client, make_session, resolve_region

    compiler = canonical_compiler(compiler)
    if not _ROLE.match(role or ""):
        raise InputError(
            f"{role!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
            Location(field="--role"),
        )
    info = parse_image_uri(image)
    if not image or "/" not in image:
        raise InputError(f"{image!r} is not a container image URI", Location(field="--image"))
    if compiler == STC and not info.compiler_image:
        raise InputError(
            f"{image!r} is not a SageMaker Training Compiler image (…-trcomp-training:…): STC runs "
            "only in its own containers",
            Location(field="--image"),
        )
    if compiler == TORCH_COMPILE and info.framework_version and info.framework == "pytorch":
        if int(info.framework_version.split(".")[0]) < 2:
            raise InputError(
                f"torch.compile needs PyTorch >= 2.0; {image!r} has {info.framework_version}",
                Location(field="--image"),
            )
    row: dict[str, Any] = {}
    if inventory is not None:
        row = _workload_from_inventory(Path(inventory), workload)
    instance_type = instance_type or row.get("instance_type")
    if not instance_type:
        raise InputError(
            "no instance type: pass --instance-type or --inventory",
            Location(field="--instance-type"),
        )
    count = int(instance_count or row.get("instance_count") or 1)
    if count < 1:
        raise InputError(f"{count} is not >= 1", Location(field="--instance-count"))
    region_session = make_session(region)
    region_name = resolve_region(region_session, region)

    s3_source = str(source_dir) if str(source_dir or "").startswith("s3://") else None
    ep = Path(entry_point)
    archive: bytes | None = None
    if s3_source is None:
        local_dir = Path(source_dir) if source_dir else None
        ep_file = ep if (local_dir is None or ep.is_absolute()) else local_dir / ep
        if local_dir is not None and not local_dir.is_dir():
            raise InputError("not a folder", Location(file=str(local_dir), field="--source-dir"))
        if not ep_file.is_file():
            raise InputError("entry point not found", Location(file=str(ep_file), field="--entry-point"))
        archive, program = source_archive(local_dir, ep_file)
        pair_id = hashlib.sha256(archive).hexdigest()[:6] + secrets.token_hex(2)
    else:
        program = ep.as_posix()
        pair_id = secrets.token_hex(4)

    sess = region_session
    account = "<account-id>"
    if not dry_run:
        with aws_errors("look up the AWS account (STS GetCallerIdentity)", region_name):
            account = client(sess, "sts", region_name).get_caller_identity()["Account"]
    bucket = f"sagemaker-{region_name}-{account}"
    prefix = f"fitcheck/{pair_id}"
    submit = s3_source or f"s3://{bucket}/{prefix}/source/sourcedir.tar.gz"
    spec = PairSpec(
        workload=workload,
        model=str(row.get("model") or workload),
        pair_id=pair_id,
        role=role,
        image=image,
        program=program,
        submit_dir=submit,
        output_s3=f"s3://{bucket}/{prefix}/output",
        instance_type=instance_type,
        instance_count=count,
        compiler=compiler,
        region=region_name,
        distributed=count > 1 or (_accelerators(instance_type) or 1) > 1,
    )
    requests = build_pair_requests(spec)
    names = (requests[0]["TrainingJobName"], requests[1]["TrainingJobName"])
    if dry_run:
        typer.echo(json.dumps({"eager": requests[0], "compiled": requests[1]}, indent=2))
        return PairOutcome(requests, names, sent=False)

    sm = client(sess, "sagemaker", region_name)
    with aws_errors("launch the paired SageMaker jobs", region_name):
        if archive is not None:
            s3 = client(sess, "s3", region_name)
            _ensure_bucket(s3, bucket, region_name)
            s3.put_object(Bucket=bucket, Key=f"{prefix}/source/sourcedir.tar.gz", Body=archive)
        for req in requests:
            sm.create_training_job(**req)
    typer.echo(f"launched {names[0]} (eager) and {names[1]} ({compiler}); pair id {pair_id}", err=True)
    if not wait:
        return PairOutcome(requests, names, sent=True)
    with aws_errors("wait for the paired SageMaker jobs", region_name):
        descs = wait_for_jobs(sm, names)
    results = collect_results(spec, requests, descs[0], descs[1], datetime.now(UTC))
    target = Path(output) if output else Path(f"bench-{slug(workload)}-sagemaker.json")
    atomic_write_text(target, json.dumps(results, indent=2) + "\n")
    return PairOutcome(requests, names, sent=True, results=results, results_path=target)


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


def wait_for_jobs(
    sm: Any, names: tuple[str, str], poll_seconds: float = POLL_SECONDS
) -> list[dict[str, Any]]:
    """Poll both jobs until each is Completed, Failed or Stopped, showing their status."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    descs: dict[str, dict[str, Any]] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks = {n: bar.add_task(n, total=None) for n in names}
        while True:
            for n in names:
                if n in descs and descs[n].get("TrainingJobStatus") in TERMINAL:
                    continue
                d = sm.describe_training_job(TrainingJobName=n)
                descs[n] = d
                bar.update(
                    tasks[n],
                    description=f"{n}: {d.get('TrainingJobStatus')} / {d.get('SecondaryStatus')}",
                )
            if all(descs[n].get("TrainingJobStatus") in TERMINAL for n in names):
                break
            time.sleep(poll_seconds)
    return [descs[n] for n in names]
