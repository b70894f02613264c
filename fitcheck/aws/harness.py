"""``fitcheck bench`` inside a SageMaker job: one job, fitcheck's own interleaved harness.

A pair of training jobs gives one measurement; running the harness of ``fitcheck bench`` on
the job's own GPUs gives paired blocks and a real interval. This module builds that job:

- :func:`harness_archive` (pure but for reading the installed package): a source archive with
  the entry point :mod:`fitcheck.aws.harness_entry` (as ``fitcheck_harness.py``), a copy of
  the fitcheck package (with its bundled profile) and a ``requirements.txt``;
- :func:`harness_request` (pure): the CreateTrainingJob request; the ``fitcheck bench``
  options travel in the environment variable ``FITCHECK_BENCH_ARGS``;
- :func:`collect_harness`: after the job, reads ``fitcheck-bench.json`` out of the job's
  ``model.tar.gz`` on S3, validates it with the results model, and writes it locally.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from fitcheck.aws.harness_entry import RESULTS_NAME
from fitcheck.errors import EXIT_INTERRUPTED, FitcheckError, InputError, Location
from fitcheck.io.atomic import atomic_write_text

ENTRY_NAME = "fitcheck_harness.py"
# What the job installs besides the image's own torch (fitcheck's runtime dependencies).
REQUIREMENTS = (
    "pydantic>=2.6",
    "ruamel.yaml>=0.18",
    "typer>=0.12",
    "rich>=13.7",
    "pandas>=2.1",
    "numpy>=1.26",
    "pyarrow>=15",
    "jinja2>=3.1",
    "nvidia-ml-py>=12.535",
)
_PACKAGE_SUFFIXES = (".py", ".yaml", ".csv", ".j2", ".html", ".css", ".json", ".md")
MAX_RESULTS_BYTES = 256 * 1024 * 1024


def _package_files() -> list[tuple[str, bytes]]:
    """(path in the archive, bytes) of the installed fitcheck package, its profile included."""
    root = resources.files("fitcheck")
    out: list[tuple[str, bytes]] = []

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name == "__pycache__":
                continue
            path = f"{prefix}/{child.name}"
            if child.is_dir():
                walk(child, path)
            elif child.name.endswith(_PACKAGE_SUFFIXES):
                out.append((path, child.read_bytes()))

    walk(root, "fitcheck")
    if not any(p.startswith("fitcheck/_bundled_profiles/") for p, _ in out):
        from fitcheck.io.profiles import default_profile_dir

        profile = default_profile_dir()
        for f in sorted(profile.iterdir()):
            if f.is_file():
                out.append((f"fitcheck/_bundled_profiles/default/{f.name}", f.read_bytes()))
    return out


def harness_archive() -> bytes:
    """A reproducible ``sourcedir.tar.gz``: the entry point, fitcheck and its requirements."""
    entry = resources.files("fitcheck.aws").joinpath("harness_entry.py").read_bytes()
    files = [
        (ENTRY_NAME, entry),
        ("requirements.txt", ("\n".join(REQUIREMENTS) + "\n").encode()),
        *_package_files(),
    ]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return buf.getvalue()


def harness_request(
    *,
    job_name: str,
    workload: str,
    pair_id: str,
    role: str,
    image: str,
    instance_type: str,
    submit_dir: str,
    output_s3: str,
    region: str,
    bench_args: Sequence[str],
    max_runtime_s: int = 24 * 3600,
) -> dict[str, Any]:
    """The CreateTrainingJob request of a harness job (one instance, on-demand, no profiler)."""
    return {
        "TrainingJobName": job_name,
        "HyperParameters": {
            "sagemaker_program": ENTRY_NAME,
            "sagemaker_submit_directory": submit_dir,
            "sagemaker_region": region,
            "sagemaker_container_log_level": "20",
        },
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": role,
        "OutputDataConfig": {"S3OutputPath": output_s3},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime_s},
        "EnableManagedSpotTraining": False,
        "Environment": {
            "FITCHECK_BENCH_ARGS": json.dumps(list(bench_args)),
            "FITCHECK_WORKLOAD": workload[:256],
        },
        "ProfilerConfig": {"DisableProfiler": True},
        "Tags": [
            {"Key": "fitcheck:pair-id", "Value": pair_id},
            {"Key": "fitcheck:workload", "Value": workload[:256]},
            {"Key": "fitcheck:variant", "Value": "harness"},
        ],
    }


def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise InputError(f"{uri!r} is not an s3://bucket/key address")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def results_from_artifacts(archive: bytes, name: str) -> str:
    """The text of ``fitcheck-bench.json`` inside a job's ``model.tar.gz`` (size-checked)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            member = next(
                (m for m in tar.getmembers() if m.isfile() and m.name.lstrip("./") == RESULTS_NAME), None
            )
            if member is None:
                raise InputError(
                    f"the job's model artifacts hold no {RESULTS_NAME}: the harness did not finish "
                    "(see the job's CloudWatch logs)",
                    Location(file=name),
                )
            if member.size > MAX_RESULTS_BYTES:
                raise InputError(f"{RESULTS_NAME} is {member.size} bytes, too large", Location(file=name))
            fh = tar.extractfile(member)
            data = fh.read() if fh else b""
    except tarfile.TarError as err:
        raise InputError(f"not a model.tar.gz: {err}", Location(file=name)) from None
    return data.decode("utf-8")


def collect_harness(
    job_name: str,
    region: str | None = None,
    output: str | Path | None = None,
    sagemaker_client: Any = None,
    s3_client: Any = None,
) -> Path:
    """Download, validate and write the results of a finished harness job; the path written."""
    from fitcheck.aws.session import aws_errors, client, make_session, resolve_region
    from fitcheck.io.evidence import parse_bench_results

    with aws_errors(f"collect the results of {job_name}", region):
        session = make_session(region)
        region_name = resolve_region(session, region)
        sm = sagemaker_client or client(session, "sagemaker", region_name)
        desc = sm.describe_training_job(TrainingJobName=job_name)
        status = desc.get("TrainingJobStatus")
        uri = (desc.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        if status != "Completed" or not uri:
            raise InputError(
                f"{job_name} is {status}: its results exist once it has Completed"
                + (f" ({desc.get('FailureReason')})" if desc.get("FailureReason") else "")
            )
        bucket, key = _split_s3(uri)
        s3 = s3_client or client(session, "s3", region_name)
        head = s3.head_object(Bucket=bucket, Key=key)
        if int(head.get("ContentLength", 0)) > 4 * MAX_RESULTS_BYTES:
            raise InputError(f"{uri} is larger than a results archive may be")
        archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    text = results_from_artifacts(archive, uri)
    results = parse_bench_results(text, uri)  # the one results model: a bad file is one clear error
    target = Path(output) if output else Path(f"bench-{job_name}.json")
    atomic_write_text(target, results.model_dump_json(indent=2) + "\n")
    return target


def wait_for_harness(sm: Any, job: str, region: str, say: Any) -> None:
    """Poll the harness job until it ends; Ctrl-C leaves it running and says how to stop or
    collect it."""
    from fitcheck.aws.paired import collect_command, wait_for_jobs
    from fitcheck.aws.session import aws_errors

    try:
        with aws_errors("wait for the harness job", region):
            wait_for_jobs(sm, (job,), say=say)
    except KeyboardInterrupt:
        raise FitcheckError(
            f"stopped waiting; the job {job} keeps running. Stop it with 'aws sagemaker "
            f"stop-training-job --training-job-name {job}', or wait until it ends and collect its "
            f"results with '{collect_command(job)}'",
            EXIT_INTERRUPTED,
        ) from None


def bench_harness_on_sagemaker(
    workload: str,
    role: str,
    image: str,
    bench_args: Sequence[str],
    instance_type: str,
    region: str | None = None,
    dry_run: bool = False,
    wait: bool = True,
    output: str | Path | None = None,
    say: Any = None,
    show: Any = None,
) -> tuple[dict[str, Any], Path | None]:
    """Run ``fitcheck bench <bench_args>`` in one SageMaker job; (the request, results written).

    The image must be a PyTorch >= 2.0 training image and the instance must have a GPU.
    ``dry_run`` shows the request and sends nothing; without ``wait`` the job is launched and
    ``fitcheck bench collect JOB-NAME`` (:func:`collect_harness`) fetches its results later.
    """
    import hashlib
    import secrets
    import sys

    from fitcheck.aws.images import parse_image_uri
    from fitcheck.aws.paired import _ROLE, _ensure_bucket, _gpus, slug
    from fitcheck.aws.session import aws_errors, client, make_session, resolve_region

    say = say or (lambda text: sys.stderr.write(text + "\n"))
    show = show or print
    if not _ROLE.match(role or ""):
        raise InputError(f"{role!r} is not an IAM role ARN", Location(field="--role"))
    info = parse_image_uri(image)
    major = int(info.framework_version.split(".")[0]) if info.framework_version else None
    if info.framework != "pytorch" or major is None or major < 2:
        raise InputError(
            f"{image!r} is not a PyTorch >= 2.0 training image: the harness runs torch.compile",
            Location(field="--image"),
        )
    if (_gpus(instance_type) or 0) < 1:  # Trainium and Inferentia have accelerators, not GPUs
        raise InputError(
            f"{instance_type} has no GPU (or is not in the catalog)", Location(field="--instance-type")
        )
    archive = harness_archive()
    pair_id = hashlib.sha256(archive).hexdigest()[:6] + secrets.token_hex(2)
    with aws_errors("start an AWS session", region):
        session = make_session(region)
        region_name = resolve_region(session, region)
    account = "<account-id>"
    if not dry_run:
        with aws_errors("look up the AWS account (STS GetCallerIdentity)", region_name):
            account = client(session, "sts", region_name).get_caller_identity()["Account"]
    bucket, prefix = f"sagemaker-{region_name}-{account}", f"fitcheck/{pair_id}"
    job = f"fc-{slug(workload)[:40].strip('-')}-{pair_id}-h"
    request = harness_request(
        job_name=job,
        workload=workload,
        pair_id=pair_id,
        role=role,
        image=image,
        instance_type=instance_type,
        submit_dir=f"s3://{bucket}/{prefix}/source/sourcedir.tar.gz",
        output_s3=f"s3://{bucket}/{prefix}/output",
        region=region_name,
        bench_args=bench_args,
    )
    if dry_run:
        show(json.dumps(request, indent=2))
        return request, None
    with aws_errors("launch the harness job", region_name):
        s3 = client(session, "s3", region_name)
        _ensure_bucket(s3, bucket, region_name)
        s3.put_object(Bucket=bucket, Key=f"{prefix}/source/sourcedir.tar.gz", Body=archive)
        sm = client(session, "sagemaker", region_name)
        sm.create_training_job(**request)
    say(f"launched {job}: fitcheck bench {' '.join(bench_args)}")
    if not wait:
        return request, None
    wait_for_harness(sm, job, region_name, say)
    return request, collect_harness(job, region_name, output, sagemaker_client=sm, s3_client=s3)
