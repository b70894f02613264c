"""From SageMaker's words to the inventory's: pure functions, no boto3, no I/O.

Everything here reads plain values (strings, dicts shaped like DescribeTrainingJob
responses, datetimes) and returns plain values, so it is tested without any AWS API.

- :func:`parse_image_uri`: training image URI -> framework, version, compiler image, device.
- :func:`hyperparameter_facts`: common hyperparameter names -> precision, batch size,
  sequence length, input shapes, distribution, model, compiler on/off.
- :func:`normalise_job_name`: a job name with its timestamps and run ids stripped, the key
  that groups the runs of one recurring job.
- :func:`runs_per_week`: how often a recurring job ran, from its creation timestamps.
- :func:`spot_discount`: the effective managed-spot discount from billable vs training seconds.
- :func:`job_record`: one DescribeTrainingJob response -> a :class:`JobRecord`.
- :func:`group_workloads`: job records -> inventory workloads (dicts) and skipped groups.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# --- image URIs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageInfo:
    """What a training image URI says about the job."""

    framework: str  # an inventory framework: pytorch | tensorflow | jax | xgboost | ... | other
    framework_version: str | None
    repository: str  # the ECR repository name, e.g. "huggingface-pytorch-training"
    compiler_image: bool  # a SageMaker Training Compiler ("trcomp") container
    device: str | None  # "gpu" | "cpu" | None when the tag does not say
    transformers_version: str | None = None


# Repository name (last path part of the ECR repository) -> framework. Checked in order.
_REPOSITORY_FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("pytorch", "pytorch"),  # pytorch-training, huggingface-pytorch-training, *-trcomp-*
    ("tensorflow", "tensorflow"),
    ("xgboost", "xgboost"),
    ("lightgbm", "lightgbm"),
    ("scikit-learn", "sklearn"),
    ("sklearn", "sklearn"),
    ("jax", "jax"),
)
_VERSION = re.compile(r"^(\d+(?:\.\d+){0,2})")
_TRANSFORMERS = re.compile(r"transformers(\d+(?:\.\d+){0,2})")


def parse_image_uri(uri: str | None) -> ImageInfo:
    """Framework, version and flavour of a SageMaker training image.

    Examples::

        763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-gpu-py310-cu121-...
        763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-trcomp-training:1.11.0-transformers4.21.1-gpu-...
        683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1

    An image that names no known framework (a team's own container) is ``other``.
    """
    if not uri:
        return ImageInfo("other", None, "", False, None)
    path = uri.split("/", 1)[1] if "/" in uri else uri
    repository, _, tag = path.partition(":")
    if "@" in repository:  # pinned by digest: repo@sha256:...
        repository = repository.split("@", 1)[0]
        tag = ""
    name = repository.rsplit("/", 1)[-1].lower()
    framework = "other"
    for needle, fw in _REPOSITORY_FRAMEWORKS:
        if needle in name:
            framework = fw
            break
    version = None
    m = _VERSION.match(tag)
    if m and framework != "other":
        version = m.group(1)
        if framework in ("pytorch", "tensorflow"):
            # DLC tags carry three parts (2.1.0); the inventory speaks of "2.1" unless the
            # patch level matters (STC shipped for 1.13.1).
            parts = version.split(".")
            if len(parts) == 3 and parts[2] == "0":
                version = ".".join(parts[:2])
    tag_parts = set(tag.lower().split("-"))
    device = "gpu" if "gpu" in tag_parts else "cpu" if "cpu" in tag_parts else None
    tm = _TRANSFORMERS.search(tag)
    return ImageInfo(
        framework=framework,
        framework_version=version,
        repository=name,
        compiler_image="trcomp" in name,
        device=device,
        transformers_version=tm.group(1) if tm else None,
    )


# --- hyperparameters -------------------------------------------------------------------------

STC_ENABLED = "sagemaker_training_compiler_enabled"
STC_DEBUG = "sagemaker_training_compiler_debug_mode"
STC_XLA_MULTI_WORKER = "sagemaker_pytorch_xla_multi_worker_enabled"

_BATCH_KEYS = (
    "per_device_train_batch_size",
    "train_batch_size",
    "train-batch-size",
    "batch_size",
    "batch-size",
    "per_gpu_train_batch_size",
    "mini_batch_size",
)
_SEQ_KEYS = (
    "max_seq_length",
    "max-seq-length",
    "max_seq_len",
    "sequence_length",
    "seq_len",
    "seq_length",
    "max_length",
    "max_source_length",
    "block_size",
)
_MODEL_KEYS = (
    "model_name_or_path",
    "model-name-or-path",
    "model_name",
    "model-name",
    "model_id",
    "model_checkpoint",
    "pretrained_model_name_or_path",
    "model",
    "arch",
    "model_type",
)


def decode_hyperparameter(value: Any) -> str:
    """A hyperparameter as text.

    The SageMaker Python SDK JSON-encodes every value (``"\\"bert-base-uncased\\""``,
    ``"true"``, ``"32"``); the raw API stores plain strings. Both come back as plain text.
    """
    text = str(value).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]
        return str(decoded)
    return text


def _truthy(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("true", "1", "yes", "y", "on"):
        return True
    if v in ("false", "0", "no", "n", "off", "none", ""):
        return False
    return None


def _positive_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number >= 1 and number == int(number):
        return int(number)
    return None


@dataclass(frozen=True)
class HyperparameterFacts:
    """What common hyperparameter names say about a job (``None``: not said)."""

    precision: str  # fp32 | fp16 | bf16 | tf32 | unknown
    batch_size: int | None
    sequence_length: int | None
    input_shapes: str  # static | dynamic | unknown
    distribution: str | None  # an inventory distribution, or None when not said
    model: str | None
    compiler_enabled: bool
    precision_source: str | None = None  # the hyperparameter the precision came from


def _precision(hp: Mapping[str, str]) -> tuple[str, str | None]:
    for key in ("bf16", "fp16", "amp", "use_amp", "tf32"):
        if _truthy(hp.get(key)):
            return ("fp16" if key in ("amp", "use_amp") else key), key
    for key in ("mixed_precision", "precision", "dtype", "torch_dtype"):
        raw = hp.get(key)
        if raw is None:
            continue
        v = raw.strip().lower()
        if v in ("bf16", "bf16-mixed", "bfloat16", "bf16-true"):
            return "bf16", key
        if v in ("fp16", "16", "16-mixed", "float16", "half", "amp", "mixed_float16"):
            return "fp16", key
        if v in ("fp32", "32", "32-true", "float32", "no", "full"):
            return "fp32", key
        if v in ("tf32",):
            return "tf32", key
    return "unknown", None


def _input_shapes(hp: Mapping[str, str]) -> str:
    pad = _truthy(hp.get("pad_to_max_length"))
    if pad is True:
        return "static"
    padding = (hp.get("padding") or "").strip().lower()
    if padding in ("max_length", "max-length"):
        return "static"
    if padding in ("longest", "true", "dynamic"):
        return "dynamic"
    if pad is False:
        return "dynamic"
    return "unknown"


def _distribution(hp: Mapping[str, str]) -> str | None:
    if _truthy(hp.get("sagemaker_distributed_dataparallel_enabled")):
        return "smddp"
    if "mp_parameters" in hp or _truthy(hp.get("sagemaker_modelparallel_enabled")):
        return "smp"
    if _truthy(hp.get(STC_XLA_MULTI_WORKER)):
        return "pytorchxla"
    if _truthy(hp.get("sagemaker_mpi_enabled")):
        return "horovod"
    if _truthy(hp.get("sagemaker_torch_distributed_enabled")):
        return "ddp"
    for key in ("deepspeed", "deepspeed_config"):
        if key in hp and _truthy(hp.get(key)) is not False:
            return "deepspeed"
    if "fsdp" in hp and _truthy(hp.get("fsdp")) is not False:
        return "fsdp"
    return None


def hyperparameter_facts(hyperparameters: Mapping[str, Any] | None) -> HyperparameterFacts:
    """Precision, batch, sequence length, shapes, distribution and model from hyperparameters."""
    hp = {str(k).strip().lower(): decode_hyperparameter(v) for k, v in (hyperparameters or {}).items()}
    precision, source = _precision(hp)
    batch = next((b for k in _BATCH_KEYS if (b := _positive_int(hp.get(k))) is not None), None)
    seq = next((s for k in _SEQ_KEYS if (s := _positive_int(hp.get(k))) is not None), None)
    model = next((hp[k] for k in _MODEL_KEYS if hp.get(k)), None)
    return HyperparameterFacts(
        precision=precision,
        batch_size=batch,
        sequence_length=seq,
        input_shapes=_input_shapes(hp),
        distribution=_distribution(hp),
        model=model,
        compiler_enabled=bool(_truthy(hp.get(STC_ENABLED))),
        precision_source=source,
    )


# Checked in order (CNN names first: "resnet50" contains "t5"); matched at the start of a
# name part, so "distilbert" is a BERT and "resnet50" is not a T5.
_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("diffusion", ("stable-diffusion", "diffusion", "sdxl", "ddpm")),
    (
        "cnn",
        (
            "resnet",
            "resnext",
            "efficientnet",
            "vgg",
            "mobilenet",
            "densenet",
            "inception",
            "convnext",
            "yolo",
            "regnet",
            "alexnet",
            "unet",
            "wide_resnet",
        ),
    ),
    (
        "transformer",
        (
            "bert",
            "distilbert",
            "roberta",
            "gpt",
            "t5",
            "bart",
            "llama",
            "mistral",
            "vit",
            "swin",
            "deit",
            "xlnet",
            "electra",
            "albert",
            "opt",
            "bloom",
            "falcon",
            "whisper",
            "wav2vec",
            "clip",
            "transformer",
            "pegasus",
            "marian",
            "deberta",
            "longformer",
            "qwen",
            "gemma",
            "phi",
            "camembert",
            "xlm",
        ),
    ),
    ("gbdt", ("xgboost", "lightgbm", "catboost", "gbdt")),
)


def model_family(model: str | None, framework: str) -> str | None:
    """A model family guessed from the model id (``None``: cannot tell; the analyzer infers)."""
    if framework in ("xgboost", "lightgbm"):
        return "gbdt"
    if not model:
        return None
    parts = [p for p in re.split(r"[^a-z0-9]+", model.lower()) if p]
    for family, needles in _FAMILIES:
        if any(p.startswith(n) or (len(n) > 4 and n in p) for p in parts for n in needles):
            return family
    return None


# --- job names -------------------------------------------------------------------------------

# Timestamp and run-id shapes found in SageMaker job names. The SDK appends
# "-YYYY-MM-DD-HH-MM-SS-mmm" to a base name; pipelines and schedulers add their own.
_NAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 2024-05-01-12-00-00-123 (the SDK's suffix) and 2024-05-01
    re.compile(r"(?<![0-9])\d{4}-\d{2}-\d{2}(?:-\d{2}-\d{2}-\d{2}(?:-\d{1,6})?)?(?![0-9])"),
)
_RUN_TOKEN = re.compile(
    r"^\d{4,}(?:t\d{4,6}z?)?$|"  # 20240501, 20240501t1200, 1714567890, 0042
    r"^(?:run|trial|attempt|retry|try|r)\d+$|"  # run7, attempt2, r12
    r"^(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}$"  # hex ids: a1b2c3d4, 5f3c9e0b7d
)


def normalise_job_name(name: str) -> str:
    """The recurring part of a job name: timestamps, run ids and counters stripped.

    ``bert-nightly-2024-05-01-02-00-13-512`` and ``bert-nightly-2024-05-02-02-00-11-004``
    both give ``bert-nightly``; ``resnet-50-20240501`` gives ``resnet-50`` (short numbers that
    are part of a model name are kept).
    """
    text = name.lower()
    for pattern in _NAME_PATTERNS:
        text = pattern.sub("-", text)
    tokens = [t for t in re.split(r"[-_.]+", text) if t]
    kept = [t for t in tokens if not _RUN_TOKEN.match(t)]
    out = "-".join(kept).strip("-")
    return out or name.lower()


# --- timing ----------------------------------------------------------------------------------

MIN_WINDOW_DAYS = 7.0  # a history shorter than a week is read as one week
MIN_CADENCE_SPAN_DAYS = 1.0  # below this, runs are retries, not a cadence


@dataclass(frozen=True)
class Frequency:
    """Runs per week and how it was derived."""

    runs_per_week: float
    basis: str


def runs_per_week(created: Sequence[datetime], window_start: datetime, window_end: datetime) -> Frequency:
    """How often a recurring job runs.

    With at least three runs spread over a day or more, the cadence is the number of
    intervals over the span between the first and the last run (a nightly job seen on
    days 1..10 runs 7 times a week, whatever the import window). Otherwise it is the number of
    runs over the observation window (``--since``..``--until``, else first job seen..now),
    read as at least one week so that a short history is not extrapolated.
    """
    if not created:
        raise ValueError("no runs")
    times = sorted(created)
    span_days = (times[-1] - times[0]).total_seconds() / 86400.0
    if len(times) >= 3 and span_days >= MIN_CADENCE_SPAN_DAYS:
        rate = (len(times) - 1) / (span_days / 7.0)
        return Frequency(round(rate, 4), f"{len(times)} runs over {span_days:.1f} days")
    window_days = max((window_end - window_start).total_seconds() / 86400.0, MIN_WINDOW_DAYS)
    rate = len(times) / (window_days / 7.0)
    return Frequency(round(rate, 4), f"{len(times)} run(s) in a {window_days:.1f}-day observation window")


def spot_discount(training_seconds: float | None, billable_seconds: float | None) -> float | None:
    """The effective managed-spot discount: 1 - billable / training (``None``: unknown).

    SageMaker reports ``BillableTimeInSeconds`` below ``TrainingTimeInSeconds`` for spot
    jobs by the saving; the ratio is clamped to [0, 0.99].
    """
    if not training_seconds or billable_seconds is None or training_seconds <= 0:
        return None
    ratio = 1.0 - float(billable_seconds) / float(training_seconds)
    return round(min(max(ratio, 0.0), 0.99), 4)


# --- one job ---------------------------------------------------------------------------------

IMPORTED_STATUSES = ("Completed", "Stopped")


@dataclass(frozen=True)
class JobRecord:
    """The facts fitcheck keeps from one DescribeTrainingJob response (nothing secret)."""

    name: str
    status: str
    created: datetime
    instance_type: str | None
    instance_count: int
    duration_seconds: float | None
    duration_source: str  # TrainingTimeInSeconds | TrainingEndTime-TrainingStartTime | unknown
    billable_seconds: float | None
    spot: bool
    debugger: bool
    profiler: bool
    image: ImageInfo
    facts: HyperparameterFacts
    heterogeneous: str | None = None  # "ml.p4d.24xlarge x2 + ml.c5.xlarge x1"
    notes: tuple[str, ...] = ()


def _accelerated(instance_type: str) -> bool:
    family = instance_type.removeprefix("ml.").split(".", 1)[0]
    return family[:1] in ("p", "g") or family.startswith(("trn", "inf", "dl"))


def _resources(
    resource_config: Mapping[str, Any],
) -> tuple[str | None, int, str | None, str | None]:
    """Instance type, count, heterogeneous description, note."""
    groups = resource_config.get("InstanceGroups") or []
    if groups:
        described = " + ".join(f"{g.get('InstanceType')} x{g.get('InstanceCount', 1)}" for g in groups)
        chosen = next((g for g in groups if _accelerated(str(g.get("InstanceType", "")))), groups[0])
        note = (
            f"heterogeneous cluster ({described}): written as {chosen.get('InstanceType')} "
            f"x{chosen.get('InstanceCount', 1)}; the other groups' cost is not included"
        )
        return chosen.get("InstanceType"), int(chosen.get("InstanceCount", 1)), described, note
    return (
        resource_config.get("InstanceType"),
        int(resource_config.get("InstanceCount") or 1),
        None,
        None,
    )


def _debugger_on(desc: Mapping[str, Any]) -> tuple[bool, bool]:
    hook = bool(desc.get("DebugHookConfig")) or bool(desc.get("DebugRuleConfigurations"))
    profiler_config = desc.get("ProfilerConfig") or {}
    profiler = bool(profiler_config) and not profiler_config.get("DisableProfiler", False)
    profiler = profiler or bool(desc.get("ProfilerRuleConfigurations"))
    return hook, profiler


def job_record(desc: Mapping[str, Any]) -> JobRecord:
    """The fitcheck facts of one DescribeTrainingJob response."""
    notes: list[str] = []
    instance_type, count, hetero, note = _resources(desc.get("ResourceConfig") or {})
    if note:
        notes.append(note)
    training = desc.get("TrainingTimeInSeconds")
    start, end = desc.get("TrainingStartTime"), desc.get("TrainingEndTime")
    duration: float | None
    if training:
        duration, source = float(training), "TrainingTimeInSeconds"
    elif isinstance(start, datetime) and isinstance(end, datetime) and end > start:
        duration, source = (end - start).total_seconds(), "TrainingEndTime-TrainingStartTime"
    else:
        duration, source = None, "unknown"
        if isinstance(start, datetime) and isinstance(end, datetime):
            notes.append("no TrainingTimeInSeconds and TrainingEndTime is not after TrainingStartTime")
        else:
            notes.append("no TrainingTimeInSeconds and no TrainingStartTime/TrainingEndTime")
    billable = desc.get("BillableTimeInSeconds")
    hook, profiler = _debugger_on(desc)
    algorithm = desc.get("AlgorithmSpecification") or {}
    image = parse_image_uri(algorithm.get("TrainingImage"))
    if not algorithm.get("TrainingImage") and algorithm.get("AlgorithmName"):
        notes.append(f"algorithm resource {algorithm['AlgorithmName']}: framework unknown")
    return JobRecord(
        name=str(desc["TrainingJobName"]),
        status=str(desc.get("TrainingJobStatus", "")),
        created=desc["CreationTime"],
        instance_type=instance_type,
        instance_count=count,
        duration_seconds=duration,
        duration_source=source,
        billable_seconds=float(billable) if billable is not None else None,
        spot=bool(desc.get("EnableManagedSpotTraining", False)),
        debugger=hook,
        profiler=profiler,
        image=image,
        facts=hyperparameter_facts(desc.get("HyperParameters")),
        heterogeneous=hetero,
        notes=tuple(notes),
    )


# --- grouping --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadDraft:
    """One inventory workload (``fields``) with the notes that explain it."""

    name: str
    fields: dict[str, Any]
    jobs: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedGroup:
    """A recurring job that cannot be written (no duration), with why and what was seen."""

    name: str
    jobs: tuple[str, ...]
    reason: str
    fields: dict[str, Any] = field(default_factory=dict)


def _slug_instance(instance_type: str | None) -> str:
    return (instance_type or "unknown").removeprefix("ml.").replace(".", "-")


def _most_common(values: Iterable[Any]) -> Any:
    counts: dict[Any, int] = defaultdict(int)
    order: list[Any] = []
    for v in values:
        if v not in counts:
            order.append(v)
        counts[v] += 1
    return max(order, key=lambda v: counts[v]) if order else None


def _fields(records: Sequence[JobRecord], freq: Frequency, region: str | None) -> dict[str, Any]:
    """Inventory fields of one group (the latest run sets the configuration)."""
    latest = max(records, key=lambda r: r.created)
    facts = latest.facts
    framework = latest.image.framework
    model = facts.model or (framework if framework in ("xgboost", "lightgbm") else None)
    model = model or normalise_job_name(latest.name)
    out: dict[str, Any] = {
        "framework": framework,
    }
    if latest.image.framework_version:
        out["framework_version"] = latest.image.framework_version
    out["model"] = model
    family = model_family(model, framework)
    if family:
        out["model_family"] = family
    out["instance_type"] = latest.instance_type
    out["instance_count"] = latest.instance_count
    durations = [r.duration_seconds for r in records if r.duration_seconds]
    if durations:
        out["duration_hours"] = round(statistics.median(durations) / 3600.0, 4)
    out["runs_per_week"] = freq.runs_per_week
    out["precision"] = facts.precision
    out["input_shapes"] = facts.input_shapes
    if facts.batch_size:
        out["batch_size"] = facts.batch_size
    if facts.sequence_length:
        out["sequence_length"] = facts.sequence_length
    if facts.distribution:
        out["distribution"] = facts.distribution
    out["debugger"] = bool(latest.debugger or latest.profiler)
    out["spot"] = latest.spot
    if latest.spot:
        discounts = [
            d
            for r in records
            if r.spot and (d := spot_discount(r.duration_seconds, r.billable_seconds)) is not None
        ]
        if discounts:
            out["spot_discount"] = round(statistics.median(discounts), 4)
    if region:
        out["region"] = region
    out["compiler_enabled"] = bool(facts.compiler_enabled)
    return out


def group_workloads(
    records: Sequence[JobRecord],
    window_start: datetime,
    window_end: datetime,
    region: str | None = None,
) -> tuple[list[WorkloadDraft], list[SkippedGroup]]:
    """Group job records into recurring workloads.

    Runs group by normalised name, instance type and count (a job that moved to another
    instance type becomes a second workload, so each is priced on its own hardware). The
    latest run of a group sets its configuration; the duration is the median over runs
    with a known duration; ``runs_per_week`` comes from :func:`runs_per_week`.
    """
    groups: dict[tuple[str, str | None, int], list[JobRecord]] = defaultdict(list)
    for r in records:
        groups[(normalise_job_name(r.name), r.instance_type, r.instance_count)].append(r)
    per_base: dict[str, int] = defaultdict(int)
    for base, _, _ in groups:
        per_base[base] += 1
    drafts: list[WorkloadDraft] = []
    skipped: list[SkippedGroup] = []
    used: set[str] = set()
    for (base, instance_type, count), runs in sorted(groups.items(), key=lambda kv: kv[0][0]):
        name = base
        if per_base[base] > 1:
            name = f"{base}-{_slug_instance(instance_type)}" + (f"-x{count}" if count > 1 else "")
        while name in used:
            name += "-2"
        used.add(name)
        runs = sorted(runs, key=lambda r: r.created)
        jobs = tuple(r.name for r in runs)
        freq = runs_per_week([r.created for r in runs], window_start, window_end)
        fields = _fields(runs, freq, region)
        notes: list[str] = [f"{len(runs)} run(s); runs_per_week from {freq.basis}"]
        sources = sorted({r.duration_source for r in runs if r.duration_seconds})
        if sources:
            notes.append("duration: median of " + " / ".join(sources))
        for r in runs:
            notes.extend(n for n in r.notes if n not in notes and "Training" not in n)
        unknown = [r.name for r in runs if r.duration_seconds is None]
        if unknown and len(unknown) < len(runs):
            notes.append(f"{len(unknown)} run(s) without a known duration left out of the median")
        if instance_type is None:
            skipped.append(SkippedGroup(name, jobs, "no instance type in ResourceConfig", fields))
            continue
        if "duration_hours" not in fields or not fields["duration_hours"] > 0:
            reasons = sorted({n for r in runs for n in r.notes if "Training" in n})
            skipped.append(SkippedGroup(name, jobs, "duration unknown: " + "; ".join(reasons), fields))
            continue
        tags = {
            "source": "sagemaker",
            "jobs": str(len(runs)),
            "last_job": runs[-1].name,
            "runs_basis": freq.basis,
        }
        if runs[-1].heterogeneous:
            tags["heterogeneous"] = runs[-1].heterogeneous
        if runs[-1].image.compiler_image:
            tags["compiler_image"] = runs[-1].image.repository
        if runs[-1].facts.precision_source:
            tags["precision_from"] = runs[-1].facts.precision_source
        fields["tags"] = tags
        drafts.append(WorkloadDraft(name, {"name": name, **fields}, jobs, tuple(notes)))
    return drafts, skipped


def window_bounds(
    created: Sequence[datetime], since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The observation window: ``since``..``until``, else first job seen..now."""
    start = since or (min(created) if created else now - timedelta(days=MIN_WINDOW_DAYS))
    end = until or now
    return start, end
