"""``fitcheck bench --on sagemaker``: launch, wait for and collect paired compiler on/off jobs.

The orchestration; the pure parts live in :mod:`fitcheck.aws.pair_requests` (the two
CreateTrainingJob requests) and :mod:`fitcheck.aws.pair_results` (the results document).

The entry point reports its steady-state throughput on stdout (the *throughput contract*)::

    fitcheck_throughput samples_per_second=123.4
    fitcheck_compile_seconds=95.2        (optional: time spent compiling)
    fitcheck_final_loss=2.0312           (optional: for a loss-parity check)

Metric definitions with these regexes make SageMaker capture them in
``FinalMetricDataList``. Progress notices go to a ``say`` callback, never to a display built here.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import secrets
import shlex
import sys
import tarfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fitcheck.aws.images import parse_image_uri, tf_xla_image_problem
from fitcheck.aws.pair_requests import (
    _ROLE,
    COMPILERS,
    DEFAULT_MAX_RUNTIME_S,
    DEFAULT_PAIRS,
    LOSS_TOLERANCE,
    MAX_PAIRS,
    METRIC_COMPILE,
    METRIC_DEFINITIONS,
    METRIC_LOSS,
    METRIC_THROUGHPUT,
    POLL_SECONDS,
    STC,
    TERMINAL,
    TF_XLA,
    TF_XLA_ENV,
    TF_XLA_FLAGS_ENV,
    TORCH_COMPILE,
    TORCH_COMPILE_ENV,
    VARIANTS,
    PairSpec,
    build_pair_requests,
    canonical_compiler,
    compiler_environment,
    compiler_hyperparameters,
    job_name,
    launch_order,
    like_settings,
    pair_specs,
    slug,
    stc_image,
)
from fitcheck.aws.pair_results import backend_result, collect_results, combine_pairs
from fitcheck.aws.session import AwsFailure
from fitcheck.core.benchresult import BenchResults
from fitcheck.errors import EXIT_INTERRUPTED, FitcheckError, InputError, Location, closest, shown
from fitcheck.io.atomic import atomic_write_text

__all__ = [
    "COMPILERS",
    "DEFAULT_MAX_RUNTIME_S",
    "DEFAULT_PAIRS",
    "LOSS_TOLERANCE",
    "METRIC_COMPILE",
    "METRIC_DEFINITIONS",
    "METRIC_LOSS",
    "METRIC_THROUGHPUT",
    "STC",
    "TF_XLA",
    "TF_XLA_ENV",
    "TF_XLA_FLAGS_ENV",
    "TORCH_COMPILE",
    "TORCH_COMPILE_ENV",
    "VARIANTS",
    "PairOutcome",
    "PairSpec",
    "backend_result",
    "bench_on_sagemaker",
    "build_pair_requests",
    "canonical_compiler",
    "collect_pair",
    "collect_results",
    "combine_pairs",
    "compiler_environment",
    "compiler_hyperparameters",
    "job_name",
    "launch_order",
    "launch_pair",
    "like_settings",
    "pair_specs",
    "s3_address",
    "slug",
    "stc_image",
    "wait_for_jobs",
]


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


def s3_address(source_dir: str | Path | None) -> str | None:
    """``s3://bucket/key`` when ``source_dir`` names an S3 object, else None (a local folder).

    A command-line option typed as a path reaches here as ``Path("s3://b/k")``, whose text
    pathlib has collapsed to ``s3:/b/k``: that is read as the S3 address it was.
    """
    if source_dir is None:
        return None
    text = str(source_dir)
    if text.startswith("s3://"):
        return text
    if isinstance(source_dir, Path) and text.startswith("s3:/"):
        return "s3://" + text.removeprefix("s3:/")
    return None


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


def _catalog_row(instance_type: str) -> dict[str, str] | None:
    import csv

    from fitcheck.aws.prices import default_catalog_path

    try:
        with open(default_catalog_path(), encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("instance_type") == instance_type:
                    return row
    except (InputError, OSError, ValueError):
        return None
    return None


def _accelerators(instance_type: str) -> int | None:
    row = _catalog_row(instance_type)
    try:
        return None if row is None else int(row.get("accelerators") or 0)
    except ValueError:
        return None


def _gpus(instance_type: str) -> int | None:
    """NVIDIA GPUs per instance (0 for CPU and Trainium instances: no CUDA compute capability);
    None when the catalog does not know the instance type."""
    row = _catalog_row(instance_type)
    if row is None:
        return None
    if not (row.get("compute_capability") or "").strip():
        return 0
    return _accelerators(instance_type)


@dataclass(frozen=True)
class PairOutcome:
    """What :func:`bench_on_sagemaker` did."""

    requests: tuple[dict[str, Any], dict[str, Any]]
    job_names: tuple[str, str]
    sent: bool
    results: BenchResults | None = None
    results_path: Path | None = None
    all_jobs: tuple[str, ...] = ()  # every job launched, in launch order (several pairs)
    pair_id: str = ""  # what ``fitcheck bench collect`` takes: the pair's id, or the base id of several


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
    say: Callable[[str], None] | None = None,
    show: Callable[[str], None] | None = None,
    like: str | None = None,
    pairs: int = DEFAULT_PAIRS,
) -> PairOutcome:
    """Launch the eager and compiled jobs of one workload on SageMaker and collect the results.

    ``source_dir`` is a local folder (packed and uploaded to the default SageMaker bucket
    ``sagemaker-<region>-<account>``) or an ``s3://…/sourcedir.tar.gz``; without it the
    entry point file alone is uploaded. ``dry_run`` prints both requests as JSON and sends
    nothing. With ``wait`` the call polls both jobs until they end and writes the results JSON
    to ``output`` (default ``bench-<workload>-sagemaker.json``). ``say`` receives progress
    notices (default: stderr), ``show`` the dry run's JSON (default: stdout). ``like`` names
    a past training job whose channels, hyperparameters, VPC, environment and KMS keys both
    jobs clone (:func:`like_settings`). ``pairs`` (default 3) launches that many pairs with
    their start order interleaved (eager first, then compiled first, ...) and reports the spread
    of their ratios (:func:`combine_pairs`); ``pairs=1`` is one measurement (``single-run``).

    If the second launch fails, the first job is stopped (StopTrainingJob) and the error says
    so; Ctrl-C while waiting leaves both jobs running and says how to collect or stop them.
    """
    from fitcheck.aws.session import aws_errors, client, make_session, resolve_region

    say = say or _stderr
    show = show or print

    compiler = canonical_compiler(compiler)
    if not 1 <= pairs <= MAX_PAIRS:
        raise InputError(f"{pairs} is not between 1 and {MAX_PAIRS}", Location(field="--pairs"))
    if not _ROLE.match(role or ""):
        raise InputError(
            f"{role!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
            Location(field="--role"),
        )
    info = parse_image_uri(image)
    if not image or "/" not in image:
        raise InputError(f"{image!r} is not a container image URI", Location(field="--image"))
    if compiler == STC and not stc_image(image):
        raise InputError(
            f"{image!r} is not a SageMaker Training Compiler image: PyTorch needs a …-trcomp-training "
            "image, TensorFlow the regular tensorflow-training image 2.9.1 to 2.11",
            Location(field="--image"),
        )
    if compiler == TORCH_COMPILE and info.framework != "pytorch":
        raise InputError(
            f"torch.compile runs only in a PyTorch image; {image!r} is a {info.framework} image",
            Location(field="--image"),
        )
    if compiler == TF_XLA:
        problem = tf_xla_image_problem(image)
        if problem:
            raise InputError(problem, Location(field="--image"))
    if compiler == TORCH_COMPILE and info.framework_version:
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
    gpus = _accelerators(instance_type)
    if compiler in (STC, TF_XLA) and _gpus(instance_type) == 0:
        what = "the SageMaker Training Compiler needs" if compiler == STC else "a TensorFlow XLA pair runs on"
        raise InputError(
            f"{instance_type} has no GPU: {what} a GPU instance",
            Location(field="--instance-type"),
        )
    if compiler == STC and (count > 1 or (gpus or 1) > 1):
        why = (
            "the compiled job runs PyTorch/XLA multi-worker, the eager job plain data-parallel"
            if info.framework != "tensorflow"
            else "fitcheck sets up no distribution that both jobs of a TensorFlow STC pair share "
            "(a tf-xla pair is like-for-like on several GPUs)"
        )
        raise InputError(
            f"a SageMaker Training Compiler pair on {count} x {instance_type} ({gpus or '?'} GPU(s) each) "
            f"would not be like-for-like: {why}; run the pair on one single-GPU instance "
            "(e.g. ml.g5.2xlarge)",
            Location(field="--instance-type"),
        )
    with aws_errors("start an AWS session", region):
        region_session = make_session(region)
        region_name = resolve_region(region_session, region)

    s3_source = s3_address(source_dir)
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
    cloned: dict[str, Any] | None = None
    if like:
        cloned = like_settings(_describe_past_job(client(sess, "sagemaker", region_name), like, region_name))
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
        like=cloned,
    )
    if pairs > 1:
        return _several_pairs(
            client(sess, "sagemaker", region_name) if not dry_run else None,
            spec,
            pairs,
            archive,
            bucket,
            prefix,
            region_name,
            dry_run=dry_run,
            wait=wait,
            output=output,
            say=say,
            show=show,
            session=sess,
        )
    requests = build_pair_requests(spec)
    names = (requests[0]["TrainingJobName"], requests[1]["TrainingJobName"])
    if dry_run:
        show(json.dumps({"eager": requests[0], "compiled": requests[1]}, indent=2))
        return PairOutcome(requests, names, sent=False, all_jobs=names, pair_id=pair_id)

    sm = client(sess, "sagemaker", region_name)
    with aws_errors("launch the paired SageMaker jobs", region_name):
        if archive is not None:
            s3 = client(sess, "s3", region_name)
            _ensure_bucket(s3, bucket, region_name)
            s3.put_object(Bucket=bucket, Key=f"{prefix}/source/sourcedir.tar.gz", Body=archive)
        launch_pair(sm, requests, region_name)
    say(f"launched {names[0]} (eager) and {names[1]} ({compiler}); pair id {pair_id}")
    if not wait:
        return PairOutcome(requests, names, sent=True, all_jobs=names, pair_id=pair_id)
    descs = _wait(sm, names, region_name, say, pair_id)
    results = collect_results(spec, requests, descs[0], descs[1], datetime.now(UTC))
    target = Path(output) if output else Path(f"bench-{slug(workload)}-sagemaker.json")
    atomic_write_text(target, results.model_dump_json(indent=2) + "\n")
    return PairOutcome(
        requests, names, sent=True, results=results, results_path=target, all_jobs=names, pair_id=pair_id
    )


def collect_command(ref: str) -> str:
    """The command that collects a run later: ``fitcheck bench collect REF`` (shell-quoted)."""
    return f"fitcheck bench collect {shlex.quote(ref)}"


def _describe_past_job(sm: Any, name: str, region: str) -> dict[str, Any]:
    """DescribeTrainingJob of the ``--like`` job; a job that does not exist is bad input."""
    from botocore.exceptions import ClientError

    from fitcheck.aws.session import aws_errors

    with aws_errors(f"read the training job {shown(name)} to clone (DescribeTrainingJob)", region):
        try:
            return dict(sm.describe_training_job(TrainingJobName=name))
        except ClientError as err:
            error = err.response.get("Error", {})
            if error.get("Code") in ("ValidationException", "ResourceNotFound") and "find" in str(
                error.get("Message", "")
            ):
                raise InputError(
                    f"no training job {shown(name)} in {region} to clone", Location(field="--like")
                ) from None
            raise


def _wait(
    sm: Any, names: Sequence[str], region: str, say: Callable[[str], None], pair_id: str
) -> list[dict[str, Any]]:
    from fitcheck.aws.session import aws_errors

    try:
        with aws_errors("wait for the paired SageMaker jobs", region):
            return wait_for_jobs(sm, names, say=say)
    except KeyboardInterrupt:
        raise FitcheckError(
            f"stopped waiting; the jobs keep running ({', '.join(names)}). Stop them with 'aws sagemaker "
            "stop-training-job --training-job-name NAME', or wait until they end and build the results "
            f"with '{collect_command(pair_id)}'",
            EXIT_INTERRUPTED,
        ) from None


def _several_pairs(
    sm: Any,
    spec: PairSpec,
    pairs: int,
    archive: bytes | None,
    bucket: str,
    prefix: str,
    region: str,
    *,
    dry_run: bool,
    wait: bool,
    output: str | Path | None,
    say: Callable[[str], None],
    show: Callable[[str], None],
    session: Any,
) -> PairOutcome:
    from fitcheck.aws.session import aws_errors, client

    specs = pair_specs(spec, pairs)
    requests = [build_pair_requests(s) for s in specs]
    order = launch_order(pairs)
    flat = [requests[i][v] for i, v in order]
    names = tuple(r["TrainingJobName"] for r in flat)
    if dry_run:
        show(json.dumps({"pairs": pairs, "launch_order": flat}, indent=2))
        return PairOutcome(
            requests[0], (names[0], names[1]), sent=False, all_jobs=names, pair_id=spec.pair_id
        )
    launched: list[str] = []
    with aws_errors("launch the paired SageMaker jobs", region):
        if archive is not None:
            s3 = client(session, "s3", region)
            _ensure_bucket(s3, bucket, region)
            s3.put_object(Bucket=bucket, Key=f"{prefix}/source/sourcedir.tar.gz", Body=archive)
        try:
            for req in flat:
                sm.create_training_job(**req)
                launched.append(req["TrainingJobName"])
        except (Exception, KeyboardInterrupt):  # Ctrl-C part-way too: no pair runs alone
            for name in launched:  # a partial set of pairs is not like-for-like: stop what runs
                try:
                    sm.stop_training_job(TrainingJobName=name)
                except Exception:  # noqa: BLE001, S110 - the error below names them
                    pass
            say(f"a launch failed; stopped {', '.join(launched) or 'nothing'}")
            raise
    say(
        f"launched {len(flat)} jobs ({pairs} pairs, start order interleaved): {', '.join(names)}; "
        f"pair id {spec.pair_id}"
    )
    if not wait:
        return PairOutcome(requests[0], (names[0], names[1]), sent=True, all_jobs=names, pair_id=spec.pair_id)
    descs = {d["TrainingJobName"]: d for d in _wait(sm, names, region, say, spec.pair_id)}
    now = datetime.now(UTC)
    per_pair = [
        collect_results(s, r, descs[r[0]["TrainingJobName"]], descs[r[1]["TrainingJobName"]], now)
        for s, r in zip(specs, requests, strict=True)
    ]
    results = combine_pairs(per_pair)
    target = Path(output) if output else Path(f"bench-{slug(spec.workload)}-sagemaker.json")
    atomic_write_text(target, results.model_dump_json(indent=2) + "\n")
    return PairOutcome(
        requests[0],
        (names[0], names[1]),
        sent=True,
        results=results,
        results_path=target,
        all_jobs=names,
        pair_id=spec.pair_id,
    )


def _stderr(text: str) -> None:
    sys.stderr.write(text + "\n")


def launch_pair(sm: Any, requests: tuple[Mapping[str, Any], Mapping[str, Any]], region: str) -> None:
    """Create both jobs; if the second cannot be created, stop the first and say so."""
    from fitcheck.aws.session import translate

    sm.create_training_job(**requests[0])
    try:
        sm.create_training_job(**requests[1])
    except (Exception, KeyboardInterrupt) as err:  # Ctrl-C in between too: no job runs alone
        first = requests[0]["TrainingJobName"]
        try:
            sm.stop_training_job(TrainingJobName=first)
            stopped = f"stopped {first} (StopTrainingJob) so that it does not run alone"
        except Exception as stop_err:  # noqa: BLE001 - reported, not hidden
            detail = getattr(stop_err, "response", {}).get("Error", {})
            why = f"{detail.get('Code')}: {detail.get('Message')}" if detail else type(stop_err).__name__
            why = why.splitlines()[0][:200] if why else type(stop_err).__name__
            stopped = f"StopTrainingJob on {first} failed ({why}): check it and stop it by hand"
        cause = translate(err, "launch the compiled job", region)
        text = str(cause) if cause is not err else f"{type(err).__name__}: {err}"
        if isinstance(err, KeyboardInterrupt):
            text = "interrupted"
        message = f"the compiled job could not be launched ({text}); {stopped}"
        if isinstance(cause, InputError) or isinstance(err, KeyboardInterrupt):
            raise InputError(message) from None
        raise AwsFailure(message) from None


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
    sm: Any,
    names: Sequence[str],
    poll_seconds: float = POLL_SECONDS,
    say: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Poll the jobs until each is Completed, Failed or Stopped; ``say`` hears each status change."""
    descs: dict[str, dict[str, Any]] = {}
    last: dict[str, str] = {}
    while True:
        for n in names:
            if n in descs and descs[n].get("TrainingJobStatus") in TERMINAL:
                continue
            d = sm.describe_training_job(TrainingJobName=n)
            descs[n] = d
            status = f"{d.get('TrainingJobStatus')} / {d.get('SecondaryStatus')}"
            if say and last.get(n) != status:
                say(f"{n}: {status}")
            last[n] = status
        if all(descs[n].get("TrainingJobStatus") in TERMINAL for n in names):
            return [descs[n] for n in names]
        time.sleep(poll_seconds)


def collect_pair(
    pair_id: str,
    region: str | None = None,
    output: str | Path | None = None,
    sagemaker_client: Any = None,
) -> PairOutcome:
    """Build the results document of a paired run launched earlier (``--no-wait``, or after
    Ctrl-C): ``fitcheck bench collect PAIR-ID``.

    Finds ``fc-*-<pair id>-e`` and ``-c`` (ListTrainingJobs); for the base id of several pairs,
    every ``fc-*-<pair id><n>-e`` / ``-c``. Reads their descriptions and the ``fitcheck:*`` tags,
    and writes the same document :func:`bench_on_sagemaker` writes (:func:`combine_pairs` for
    several pairs). Every job must have ended.
    """
    from fitcheck.aws.importer import list_tags, list_training_jobs
    from fitcheck.aws.session import aws_errors, client, make_session, resolve_region

    if not re.fullmatch(r"[0-9a-f]{6,16}", pair_id or ""):
        raise InputError(f"{pair_id!r} is not a pair id (the hex id in fc-<workload>-<pair id>-e)")
    with aws_errors("collect the paired SageMaker jobs", region):
        session = make_session(region)
        region_name = resolve_region(session, region)
        sm = sagemaker_client or client(session, "sagemaker", region_name)
        found = [s["TrainingJobName"] for s in list_training_jobs(sm, None, None, f"-{pair_id}")]
        groups = _pair_groups(found, pair_id)
        if not groups:
            raise InputError(
                f"no fitcheck pair {pair_id} in {region_name} (looked for fc-*-{pair_id}-e / -c and, for "
                f"several pairs, fc-*-{pair_id}N-e / -c)"
            )
        incomplete = [pid for pid, names in groups.items() if set(names) != {"e", "c"}]
        if incomplete:
            raise InputError(
                f"pair {', '.join(incomplete)} has only one of its two jobs in {region_name}: its other "
                "job was never launched or was deleted"
            )
        described = {
            pid: [sm.describe_training_job(TrainingJobName=names[v]) for v in ("e", "c")]
            for pid, names in groups.items()
        }
        running = [
            d["TrainingJobName"]
            for descs in described.values()
            for d in descs
            if d.get("TrainingJobStatus") not in TERMINAL
        ]
        if running:
            raise InputError(
                f"{', '.join(running)} has not ended yet: collect again when every job has ended"
            )
        tags = {
            pid: {t["Key"]: t["Value"] for t in list_tags(sm, d[1].get("TrainingJobArn"))}
            for pid, d in described.items()
        }
    now = datetime.now(UTC)
    per_pair = []
    for pid, descs in described.items():
        spec = _spec_from_jobs(pid, descs, tags[pid], groups[pid]["c"], region_name)
        per_pair.append(
            (spec, collect_results(spec, (dict(descs[0]), dict(descs[1])), descs[0], descs[1], now))
        )
    first_spec, first = per_pair[0]
    results = first if len(per_pair) == 1 and pair_id in groups else combine_pairs([r for _, r in per_pair])
    target = Path(output) if output else Path(f"bench-{slug(first_spec.workload)}-sagemaker.json")
    atomic_write_text(target, results.model_dump_json(indent=2) + "\n")
    first_descs = next(iter(described.values()))
    names = tuple(d["TrainingJobName"] for descs in described.values() for d in descs)
    return PairOutcome(
        (dict(first_descs[0]), dict(first_descs[1])),
        (names[0], names[1]),
        sent=True,
        results=results,
        results_path=target,
        all_jobs=names,
        pair_id=pair_id,
    )


def _pair_groups(names: Sequence[str], pair_id: str) -> dict[str, dict[str, str]]:
    """{pair id: {"e": job, "c": job}}: the one pair ``pair_id``, or else the pairs
    ``<pair_id>0``, ``<pair_id>1``, ... of a run of several pairs (in their order)."""
    one = re.compile(rf"^fc-.*-{re.escape(pair_id)}-([ec])$")
    many = re.compile(rf"^fc-.*-({re.escape(pair_id)}[0-9])-([ec])$")
    single = {m.group(1): n for n in names if (m := one.match(n))}
    if single:
        return {pair_id: single}
    groups: dict[str, dict[str, str]] = {}
    for n in names:
        if m := many.match(n):
            groups.setdefault(m.group(1), {})[m.group(2)] = n
    return dict(sorted(groups.items()))


def _spec_from_jobs(
    pair_id: str, descs: Sequence[Mapping[str, Any]], tags: Mapping[str, str], fallback: str, region: str
) -> PairSpec:
    """The :class:`PairSpec` of a pair, read back from its jobs (the compiled job's settings)."""
    hp = descs[1].get("HyperParameters") or {}
    return PairSpec(
        workload=tags.get("fitcheck:workload", fallback),
        model=tags.get("fitcheck:workload", fallback),
        pair_id=pair_id,
        role=str(descs[1].get("RoleArn", "")),
        image=str(descs[1]["AlgorithmSpecification"]["TrainingImage"]),
        program=str(hp.get("sagemaker_program", "")),
        submit_dir=str(hp.get("sagemaker_submit_directory", "")),
        output_s3=str((descs[1].get("OutputDataConfig") or {}).get("S3OutputPath", "")),
        instance_type=str(descs[1]["ResourceConfig"].get("InstanceType")),
        instance_count=int(descs[1]["ResourceConfig"].get("InstanceCount") or 1),
        compiler=canonical_compiler(tags.get("fitcheck:compiler", STC)),
        region=region,
    )
