"""One DescribeTrainingJob response -> the facts fitcheck keeps: pure, no boto3, no I/O.

The import is split in three pure parts and one orchestration module:

- :mod:`fitcheck.aws.images`: training image URI -> framework, full version, compiler image.
- :mod:`fitcheck.aws.hyperparams`: hyperparameters -> precision, batch, sequence length,
  shapes, distribution, model, compiler on/off.
- this module: :func:`job_record` (a :class:`JobRecord` per job, with its tags, tuning parent,
  training window), :func:`model_family`, :func:`spot_discount`, and the JSON form of a record
  that a resumed import reads back.
- :mod:`fitcheck.aws.grouping`: job records -> recurring workloads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from fitcheck.aws.hyperparams import (
    STC_DEBUG,
    STC_ENABLED,
    STC_XLA_MULTI_WORKER,
    HyperparameterFacts,
    decode_hyperparameter,
    hyperparameter_facts,
)
from fitcheck.aws.images import ImageInfo, parse_image_uri
from fitcheck.core.family import infer_family

__all__ = [
    "STC_DEBUG",
    "STC_ENABLED",
    "STC_XLA_MULTI_WORKER",
    "HyperparameterFacts",
    "ImageInfo",
    "IMPORTED_STATUSES",
    "JobRecord",
    "decode_hyperparameter",
    "hyperparameter_facts",
    "job_record",
    "model_family",
    "parse_image_uri",
    "record_from_dict",
    "record_to_dict",
    "spot_discount",
]


def model_family(model: str | None, framework: str) -> str | None:
    """A model family guessed from the model id (``None``: cannot tell; the analyzer infers).

    The one inference of the project (:mod:`fitcheck.core.family`), so the importer and the
    analyzer never disagree."""
    if framework in ("xgboost", "lightgbm"):
        return "gbdt"
    if not model:
        return None
    family = infer_family(model, framework)
    return None if family == "other" else family


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
    """The facts fitcheck keeps from one DescribeTrainingJob response (nothing secret).

    Raw hyperparameters and environment variables are not kept: they can hold tokens.
    """

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
    arn: str | None = None
    tuning_job: str | None = None  # the hyperparameter-tuning parent's name (TuningJobArn)
    image_uri: str | None = None
    started: datetime | None = None  # TrainingStartTime
    ended: datetime | None = None  # TrainingEndTime
    tags: tuple[tuple[str, str], ...] = ()  # ListTags, in the order AWS returned them

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)


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
        resource_config.get("InstanceType") or None,
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


def _arn_name(arn: str | None) -> str | None:
    """The resource name at the end of an ARN (``...:hyper-parameter-tuning-job/NAME``)."""
    if not arn:
        return None
    return arn.rsplit("/", 1)[-1] or None


def job_record(desc: Mapping[str, Any], tags: Sequence[Mapping[str, str]] = ()) -> JobRecord:
    """The fitcheck facts of one DescribeTrainingJob response and its ListTags tags."""
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
        arn=desc.get("TrainingJobArn"),
        tuning_job=_arn_name(desc.get("TuningJobArn")),
        image_uri=algorithm.get("TrainingImage") or None,
        started=start if isinstance(start, datetime) else None,
        ended=end if isinstance(end, datetime) else None,
        tags=tuple((str(t.get("Key", "")), str(t.get("Value", ""))) for t in tags if t.get("Key")),
    )


# --- the JSON form (a resumed import reads what an interrupted one described) -----------------

_TIMES = ("created", "started", "ended")


def record_to_dict(record: JobRecord) -> dict[str, Any]:
    """A JSON-ready dict of ``record`` (times as ISO-8601 text)."""
    data = asdict(record)
    for key in _TIMES:
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


def record_from_dict(data: Mapping[str, Any]) -> JobRecord:
    """The :class:`JobRecord` that :func:`record_to_dict` wrote (raises on a malformed one)."""
    values = dict(data)
    for key in _TIMES:
        if values.get(key) is not None:
            values[key] = datetime.fromisoformat(str(values[key]))
    values["image"] = ImageInfo(**values["image"])
    values["facts"] = HyperparameterFacts(**values["facts"])
    values["notes"] = tuple(values.get("notes") or ())
    values["tags"] = tuple((str(k), str(v)) for k, v in values.get("tags") or ())
    return JobRecord(**values)
