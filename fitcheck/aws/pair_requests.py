"""The two CreateTrainingJob requests of a paired compiler benchmark: pure, no boto3, no I/O.

:func:`build_pair_requests` builds both requests from one :class:`PairSpec`; they differ only
in the job name, the ``fitcheck:variant`` tag and the compiler switch:

- SageMaker Training Compiler: ``sagemaker_training_compiler_enabled`` "true"/"false",
  ``sagemaker_training_compiler_debug_mode`` "false" in both (single-GPU pairs only: a
  multi-GPU pair would run PyTorch/XLA multi-worker on one side only).
- torch.compile: the environment variable ``FITCHECK_TORCH_COMPILE`` "0"/"1", read by the
  entry point (never a hyperparameter a strict argument parser would reject).
- TensorFlow XLA (tf-xla): XLA auto-clustering through TensorFlow's own environment switch,
  ``TF_XLA_FLAGS=--tf_xla_auto_jit=2`` in the compiled job and ``--tf_xla_auto_jit=-1`` (off)
  in the eager one, which needs no code change; ``FITCHECK_TF_XLA`` "0"/"1" tells an entry
  point that sets ``jit_compile`` itself which side it is on.

Both disable the Debugger profiler. :func:`like_settings` clones what both jobs share from a
past job; :func:`pair_specs` and :func:`launch_order` lay out several interleaved pairs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fitcheck.aws.hyperparams import COMPILER_FLAGS, STC_DEBUG, STC_ENABLED, STC_XLA_MULTI_WORKER
from fitcheck.aws.images import parse_image_uri
from fitcheck.errors import InputError, Location, one_of

STC = "sagemaker-training-compiler"
TORCH_COMPILE = "torch.compile"
TF_XLA = "tf-xla"
COMPILERS = (STC, TORCH_COMPILE, TF_XLA)
_ALIASES = {
    "stc": STC,
    "trcomp": STC,
    "sagemaker-training-compiler": STC,
    "torch.compile": TORCH_COMPILE,
    "torch-compile": TORCH_COMPILE,
    "inductor": TORCH_COMPILE,
    "tf-xla": TF_XLA,
    "tf_xla": TF_XLA,
    "tensorflow-xla": TF_XLA,
}
TORCH_COMPILE_ENV = "FITCHECK_TORCH_COMPILE"
# TensorFlow's switch for XLA auto-clustering (tensorflow/compiler/jit/flags.h: tf_xla_auto_jit
# -1 off, 0 the session's setting, 1 on for what very likely gains, 2 on for everything)
TF_XLA_FLAGS_ENV = "TF_XLA_FLAGS"
TF_XLA_ON = "--tf_xla_auto_jit=2"
TF_XLA_OFF = "--tf_xla_auto_jit=-1"
TF_XLA_ENV = "FITCHECK_TF_XLA"
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
DEFAULT_PAIRS = 3  # pairs of jobs a paired benchmark runs unless told otherwise
MAX_PAIRS = 9  # ten or more would be enough blocks for an interval: use the harness job instead
TF_STC_VERSIONS = ((2, 9, 1), (2, 11, 99))  # TF STC runs in the regular tensorflow-training DLC
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")
# SageMaker's distribution switches: like= clones them, so both jobs run the past job's
# distribution (not in an STC pair: it runs on one GPU, and its compiled job would need
# PyTorch/XLA multi-worker instead)
LIKE_DISTRIBUTION_KEYS = frozenset(
    {
        "sagemaker_distributed_dataparallel_enabled",
        "sagemaker_distributed_dataparallel_custom_mpi_options",
        "sagemaker_mpi_enabled",
        "sagemaker_mpi_num_of_processes_per_host",
        "sagemaker_mpi_custom_mpi_options",
        "sagemaker_torch_distributed_enabled",
    }
)


def stc_image(image: str) -> bool:
    """A SageMaker Training Compiler image: a ``…-trcomp-training`` PyTorch image, or the regular
    ``tensorflow-training`` DLC 2.9.1 to 2.11 (TensorFlow's STC lives in those)."""
    info = parse_image_uri(image)
    if info.compiler_image:
        return True
    if (
        info.framework != "tensorflow"
        or not info.framework_version
        or "tensorflow-training" not in info.repository
    ):
        return False
    parts = tuple(int(p) for p in info.framework_version.split("."))
    version = (parts + (0, 0, 0))[:3]
    return TF_STC_VERSIONS[0] <= version <= TF_STC_VERSIONS[1]


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
    like: Mapping[str, Any] | None = None  # settings cloned from a past job (:func:`like_settings`)


def compiler_hyperparameters(compiler: str, variant: str, distributed: bool) -> dict[str, str]:
    """The SageMaker Training Compiler hyperparameters (same keys in both jobs, other values).

    The STC container reads these; torch.compile is switched through :func:`compiler_environment`
    instead, so a training script with a strict argument parser never sees an unknown flag.
    """
    if compiler != STC:
        return {}
    on = variant == "compiled"
    return {
        STC_ENABLED: "true" if on else "false",
        STC_DEBUG: "false",
        STC_XLA_MULTI_WORKER: "true" if (on and distributed) else "false",
    }


def compiler_environment(compiler: str, variant: str) -> dict[str, str]:
    """Environment variables that differ between the two jobs: torch.compile's flag, read by the
    script; TensorFlow XLA's auto-clustering switch, read by TensorFlow itself, and its flag."""
    on = variant == "compiled"
    if compiler == TORCH_COMPILE:
        return {TORCH_COMPILE_ENV: "1" if on else "0"}
    if compiler == TF_XLA:
        return {TF_XLA_FLAGS_ENV: TF_XLA_ON if on else TF_XLA_OFF, TF_XLA_ENV: "1" if on else "0"}
    return {}


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
    like = spec.like or {}
    cloned = {
        k: str(v)
        for k, v in (like.get("hyperparameters") or {}).items()
        if spec.compiler != STC or k.lower() not in LIKE_DISTRIBUTION_KEYS
    }
    hyperparameters = {
        **cloned,
        **{k: str(v) for k, v in spec.hyperparameters.items()},
        "sagemaker_program": spec.program,
        "sagemaker_submit_directory": spec.submit_dir,
        "sagemaker_region": spec.region,
        "sagemaker_container_log_level": "20",
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
        "Environment": {"FITCHECK_WORKLOAD": spec.workload[:256]},
        # Debugger's profiler adds overhead to one side; the STC docs say to switch it off.
        "ProfilerConfig": {"DisableProfiler": True},
        "Tags": [
            {"Key": "fitcheck:pair-id", "Value": spec.pair_id},
            {"Key": "fitcheck:workload", "Value": spec.workload[:256]},
            {"Key": "fitcheck:compiler", "Value": spec.compiler},
        ],
    }
    _apply_like(common, like)
    out = []
    for variant in VARIANTS:
        req = copy.deepcopy(common)
        req["TrainingJobName"] = job_name(spec, variant)
        req["HyperParameters"].update(compiler_hyperparameters(spec.compiler, variant, spec.distributed))
        req["Environment"].update(compiler_environment(spec.compiler, variant))
        req["Tags"].append({"Key": "fitcheck:variant", "Value": variant})
        out.append(req)
    return out[0], out[1]


def like_settings(desc: Mapping[str, Any]) -> dict[str, Any]:
    """What a pair clones from a past job (``--like JOB``): channels, hyperparameters, VPC,
    environment, KMS keys, volume, network isolation and traffic encryption.

    SageMaker's own (``sagemaker_*``) and fitcheck's hyperparameters and every compiler switch
    (``TF_XLA_FLAGS`` in the environment included) are left out, so the eager job is not
    compiled by a flag the past job carried; SageMaker's distribution switches
    (:data:`LIKE_DISTRIBUTION_KEYS`) are kept, so both jobs run the past job's distribution.
    """
    skip = {k.replace("_", "") for k in COMPILER_FLAGS}
    hp = {
        str(k): str(v)
        for k, v in (desc.get("HyperParameters") or {}).items()
        if str(k).lower() in LIKE_DISTRIBUTION_KEYS
        or (
            not str(k).lower().startswith(("sagemaker_", "fitcheck_"))
            and str(k).lower().lstrip("-").replace("-", "").replace("_", "") not in skip
        )
    }
    env = {
        str(k): str(v)
        for k, v in (desc.get("Environment") or {}).items()
        if not str(k).startswith("FITCHECK_") and str(k) != TF_XLA_FLAGS_ENV
    }
    resources = desc.get("ResourceConfig") or {}
    return {
        "job": desc.get("TrainingJobName"),
        "hyperparameters": hp,
        "channels": list(desc.get("InputDataConfig") or []),
        "vpc": desc.get("VpcConfig"),
        "environment": env,
        "output_kms_key": (desc.get("OutputDataConfig") or {}).get("KmsKeyId"),
        "volume_kms_key": resources.get("VolumeKmsKeyId"),
        "volume_gb": resources.get("VolumeSizeInGB"),
        "network_isolation": desc.get("EnableNetworkIsolation"),
        "encrypt_inter_container_traffic": desc.get("EnableInterContainerTrafficEncryption"),
    }


def _apply_like(request: dict[str, Any], like: Mapping[str, Any]) -> None:
    """Add the cloned settings to the common request (both jobs get them)."""
    if not like:
        return
    if like.get("channels"):
        request["InputDataConfig"] = copy.deepcopy(list(like["channels"]))
    if like.get("vpc"):
        request["VpcConfig"] = copy.deepcopy(dict(like["vpc"]))
    request["Environment"] = {**dict(like.get("environment") or {}), **request["Environment"]}
    if like.get("output_kms_key"):
        request["OutputDataConfig"]["KmsKeyId"] = like["output_kms_key"]
    if like.get("volume_kms_key"):
        request["ResourceConfig"]["VolumeKmsKeyId"] = like["volume_kms_key"]
    if like.get("volume_gb"):
        request["ResourceConfig"]["VolumeSizeInGB"] = int(like["volume_gb"])
    if like.get("network_isolation") is not None:
        request["EnableNetworkIsolation"] = bool(like["network_isolation"])
    if like.get("encrypt_inter_container_traffic") is not None:
        request["EnableInterContainerTrafficEncryption"] = bool(like["encrypt_inter_container_traffic"])
    request["Tags"].append({"Key": "fitcheck:like", "Value": str(like.get("job") or "")[:256]})


def pair_specs(spec: PairSpec, pairs: int) -> list[PairSpec]:
    """``pairs`` specs that differ only in their pair id (``<id>0``, ``<id>1``, ...)."""
    return [replace(spec, pair_id=f"{spec.pair_id}{i}") for i in range(pairs)]


def launch_order(pairs: int) -> list[tuple[int, int]]:
    """(pair, variant) in launch order: eager first in even pairs, compiled first in odd ones."""
    order = []
    for i in range(pairs):
        order += [(i, 0), (i, 1)] if i % 2 == 0 else [(i, 1), (i, 0)]
    return order
