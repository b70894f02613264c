"""Job records -> recurring workloads: grouping, cadence, recency, historical evidence.

Pure: reads :class:`~fitcheck.aws.mapping.JobRecord` values, returns plain values.

A job joins a group by the first of these that it has (:func:`group_key`):

1. its hyperparameter-tuning parent (``TuningJobArn``): every trial of every sweep of one
   tuning job name (timestamps stripped) is one workload;
2. its SageMaker Pipelines step: the ``sagemaker:pipeline-execution-arn`` tag names the
   pipeline, the job name ``pipelines-<execution>-<Step>-<id>`` the step;
3. a user tag (``--group-tag``, default ``workload``): its value names the workload;
4. its name signature (:func:`name_signatures`): timestamps and run counters stripped. A
   signature that is only the SDK's default base name (``huggingface-pytorch-training``)
   groups jobs only when image, entry point and key hyperparameters match too.

Inside every group, runs also split by instance type and count (each workload is priced on its
own hardware) and by model: two models are never one workload. fitcheck's own benchmark jobs
(tags ``fitcheck:*``) are left out.

Evidence from history, never a measurement: the ratio of median training seconds per run with
the compiler on and off (:func:`historical_ratio`), and before / after each change of
configuration that stayed changed (:func:`historical_changes`); hardware a workload moved away
from for good is its past (:func:`superseded_hardware`), not a second workload.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from fitcheck.aws.images import is_sdk_default_name
from fitcheck.aws.mapping import JobRecord, model_family, spot_discount

DEFAULT_GROUP_TAGS = ("workload",)
DEFAULT_STALE_DAYS = 30.0
MIN_WINDOW_DAYS = 7.0  # a one-off's rate is read over at least a week
MIN_CADENCE_SPAN_DAYS = 1.0  # runs closer together than this are one occasion (retries, a burst)
FITCHECK_TAG_PREFIX = "fitcheck:"
PIPELINE_TAG = "sagemaker:pipeline-execution-arn"
SYSTEM_TAG_PREFIXES = ("aws:", "sagemaker:", "fitcheck:")
IMPORT_TAG_PREFIX = "sagemaker."  # the keys fitcheck itself writes into a workload's tags
MAX_USER_TAGS = 30  # of the inventory's 50 tags per workload; the rest are fitcheck's own

# --- job names -------------------------------------------------------------------------------

_STAMPS: tuple[re.Pattern[str], ...] = (
    # the SDK's -YYYY-MM-DD-HH-MM-SS-mmm suffix, and plain dates (2024-05-01, 2024_05_01)
    re.compile(r"(?<![0-9])\d{4}([-_])\d{2}\1\d{2}(?:\1\d{2}\1\d{2}\1\d{2}(?:\1\d{1,6})?)?(?![0-9])"),
    # uuids
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
)
_RUN_ID = re.compile(
    r"^\d{9,}$|"  # epoch seconds / milliseconds, 20240501120000
    r"^\d{8}(?:t\d{4,6}z?)?$|"  # 20240501, 20240501t1200z
    r"^0\d+$|"  # zero-padded counters: 001, 0042
    r"^(?:run|trial|attempt|retry|try)\d+$|"  # run7, attempt2 (r12: a counter or a LoRA rank, below)
    r"^(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}$"  # hex ids: a1b2c3d4, 5f3c9e0b7d
)
_COUNTER = re.compile(r"^r?\d+$")  # a trailing number that may be a run counter: 7, r7
_PIPELINE_JOB = re.compile(r"^pipelines-([a-z0-9]{8,16})-(.+)-([A-Za-z0-9]{6,12})$")


def _date_like(token: str) -> bool:
    """``yymmdd`` (240501): the SDK's short timestamp for tuning jobs."""
    if len(token) != 6 or not token.isdigit():
        return False
    month, day = int(token[2:4]), int(token[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def _long_date(token: str) -> bool:
    """``yyyymmdd`` (20240501): a date a time of day may follow (``20240501-1200``)."""
    if len(token) != 8 or not token.isdigit() or token[:2] not in ("19", "20"):
        return False
    month, day = int(token[4:6]), int(token[6:8])
    return 1 <= month <= 12 and 1 <= day <= 31


def _time_like(token: str) -> bool:
    """``hhmm`` or ``hhmmss`` right after a date."""
    if len(token) not in (4, 6) or not token.isdigit():
        return False
    return int(token[:2]) < 24 and int(token[2:4]) < 60 and (len(token) == 4 or int(token[4:6]) < 60)


def name_tokens(name: str) -> list[str]:
    """The tokens of a job name with every unambiguous timestamp and run id removed."""
    text = name.lower()
    for pattern in _STAMPS:
        text = pattern.sub("-", text)
    kept: list[str] = []
    after_date = False
    for token in (t for t in re.split(r"[-_.]+", text) if t):
        if _date_like(token) or _long_date(token) or (after_date and _time_like(token)):
            after_date = True
            continue
        after_date = False
        if _RUN_ID.match(token):
            continue
        kept.append(token)
    return kept


def _counters(values: Sequence[str]) -> bool:
    """Whether trailing numbers of the jobs that share a prefix are run counters.

    Counters are all different and close together (1, 2, 3 ... or 17, 18, 21); numbers that
    repeat (2048 for several runs) or lie far apart (18, 50) mean something: kept. ``r7``
    counts like ``7`` (``job-r1``, ``job-r2``), but ``lora-r16`` and ``lora-r64`` stay apart.
    """
    if len(values) < 2 or len(set(values)) != len(values):
        return False
    numbers = [int(v.lstrip("r")) for v in values]
    return max(numbers) - min(numbers) <= 3 * len(numbers) + 3


def name_signatures(names: Iterable[str]) -> dict[str, str]:
    """Each job name -> its signature, the recurring part of the name.

    Timestamps (the SDK's suffix, dates, ``yymmdd-hhmm``), epochs, uuids, hex ids, zero-padded
    counters and ``run7``-style ids are removed from every name; then a trailing number is
    removed where the jobs that share the rest of the name carry different, close-together
    numbers (``train-1``, ``train-2``, ...). ``llama3-8b-2048`` and ``llama3-8b-8192`` stay apart.
    """
    current = {n: name_tokens(n) for n in names}
    changed = True
    while changed:
        changed = False
        by_prefix: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for n, tokens in current.items():
            if len(tokens) >= 2 and _COUNTER.match(tokens[-1]):
                by_prefix[(*tokens[:-1], tokens[-1].rstrip("0123456789"))].append(n)  # 7, r7 apart
        for prefix, members in by_prefix.items():
            if _counters([current[n][-1] for n in members]):
                for n in members:
                    current[n] = list(prefix[:-1])
                changed = True
    return {n: "-".join(tokens) or n.lower() for n, tokens in current.items()}


def normalise_job_name(name: str) -> str:
    """The signature of one name on its own (no other jobs to compare counters with)."""
    return name_signatures([name])[name]


def pipeline_step(record: JobRecord) -> tuple[str | None, str | None, str] | None:
    """(pipeline name, execution id, step name) of a SageMaker Pipelines job, else ``None``."""
    arn = record.tag_map.get(PIPELINE_TAG)
    pipeline = execution = None
    if arn and "pipeline/" in arn:
        tail = arn.split("pipeline/", 1)[1]
        pipeline, _, rest = tail.partition("/")
        execution = rest.rsplit("/", 1)[-1] if rest.startswith("execution/") else None
    m = _PIPELINE_JOB.match(record.name)
    if m:
        return pipeline, execution or m.group(1), m.group(2)
    if arn:
        return pipeline, execution, record.name if pipeline is None else "training"
    return None


def slug(text: str) -> str:
    """Lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "workload"


# --- which group -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupKey:
    """Why a job is in its group: the rule, the key, the name it gives, the run it belongs to."""

    rule: str  # tuning | pipeline | tag | name | sdk-default
    key: tuple[Any, ...]
    display: str
    occasion: str  # one run of the workload: a tuning job, a pipeline execution, a job


def is_fitcheck_job(record: JobRecord) -> bool:
    """A job that ``fitcheck bench --on sagemaker`` launched (tags ``fitcheck:*``)."""
    return any(k.startswith(FITCHECK_TAG_PREFIX) for k, _ in record.tags)


def group_key(record: JobRecord, signature: str, group_tags: Sequence[str]) -> GroupKey:
    """The group a job belongs to (see the module's docstring for the order)."""
    if record.tuning_job:
        sig = normalise_job_name(record.tuning_job)
        return GroupKey("tuning", ("tuning", sig), sig, record.tuning_job)
    step = pipeline_step(record)
    if step is not None:
        pipeline, execution, step_name = step
        display = slug(f"{pipeline}-{step_name}") if pipeline else slug(f"pipelines-{step_name}")
        return GroupKey("pipeline", ("pipeline", pipeline, step_name), display, execution or record.name)
    tags = record.tag_map
    for tag in group_tags:
        value = tags.get(tag)
        if value:
            return GroupKey("tag", ("tag", tag, value), slug(value), record.name)
    if is_sdk_default_name(signature, record.image):
        f = record.facts
        key = ("sdk", signature, record.image_uri, f.program, f.batch_size, f.sequence_length, f.precision)
        return GroupKey("sdk-default", key, signature, record.name)
    return GroupKey("name", ("name", signature), signature, record.name)


# --- cadence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frequency:
    """Runs per week and how it was derived."""

    runs_per_week: float
    basis: str
    one_off: bool = False


def cadence(
    occasions: Sequence[datetime],
    jobs: int,
    window_start: datetime,
    window_end: datetime,
) -> Frequency:
    """How often a workload runs.

    ``occasions`` are the start times of its runs (a run is a job, a tuning sweep or a
    pipeline execution; ``jobs`` counts the jobs of all of them). With two or more runs at
    least a day apart, the rate is the observed one over the window in which the workload was
    active: (runs - 1) / (last - first), times jobs per run. Otherwise the workload is a
    one-off: its jobs over the observation window, read as at least one week.
    """
    if not occasions:
        raise ValueError("no runs")
    times = sorted(occasions)
    n = len(times)
    span_days = (times[-1] - times[0]).total_seconds() / 86400.0
    per_run = jobs / n
    if n >= 2 and span_days >= MIN_CADENCE_SPAN_DAYS:
        rate = (n - 1) / (span_days / 7.0) * per_run
        basis = f"{n} runs over {span_days:.1f} days active ({times[0].date()} to {times[-1].date()})"
        if jobs != n:
            basis += f", {per_run:g} jobs per run"
        return Frequency(round(rate, 4), basis)
    window_days = max((window_end - window_start).total_seconds() / 86400.0, MIN_WINDOW_DAYS)
    rate = jobs / (window_days / 7.0)
    when = times[0].date() if n == 1 or span_days < 1 else f"{times[0].date()} to {times[-1].date()}"
    return Frequency(
        round(rate, 4),
        f"one-off: {jobs} job(s) on {when}; rate over the {window_days:.1f}-day observation window",
        one_off=True,
    )


def runs_per_week(created: Sequence[datetime], window_start: datetime, window_end: datetime) -> Frequency:
    """:func:`cadence` with one job per run."""
    return cadence(created, len(created), window_start, window_end)


# --- evidence from history -------------------------------------------------------------------


@dataclass(frozen=True)
class HistoricalRatio:
    """Median training seconds per run with the compiler on / off, from the job history."""

    ratio: float
    runs_on: int
    runs_off: int

    def text(self) -> str:
        return (
            f"historical evidence, not a benchmark: median training seconds per run with the "
            f"compiler on / off = {self.ratio:.3f} ({self.runs_on} run(s) on, {self.runs_off} off; "
            "data size and settings may differ between runs)"
        )


def historical_ratio(runs: Sequence[JobRecord]) -> HistoricalRatio | None:
    """The observed on/off ratio where a workload ran both with and without a compiler."""
    on = [r.duration_seconds for r in runs if r.facts.compiler_enabled and r.duration_seconds]
    off = [r.duration_seconds for r in runs if not r.facts.compiler_enabled and r.duration_seconds]
    if not on or not off:
        return None
    return HistoricalRatio(round(statistics.median(on) / statistics.median(off), 4), len(on), len(off))


# --- evidence from history: before / after a change -----------------------------------------

CHANGE_MIN_RUNS = 2  # runs with a known duration on each side of a change, at least


@dataclass(frozen=True)
class InstancePrice:
    """An hourly on-demand price of an instance type and what it is (for the cost ratio)."""

    usd_per_hour: float
    basis: str  # e.g. "us-east-1 catalog"


_INERT = re.compile(r"[^A-Za-z0-9._:@+/-]")


def _image_label(record: JobRecord) -> str:
    """The image as a change names it: ``repository:tag`` (the full tag tells builds apart)."""
    uri = record.image_uri or ""
    tail = _INERT.sub("?", uri.rsplit("/", 1)[-1])[:128]  # TrainingImage is any non-blank text
    return tail or "unknown image"


def run_configuration(record: JobRecord) -> tuple[tuple[str, str], ...]:
    """What a change between two runs of one workload can be: (attribute, value) pairs."""
    f = record.facts
    return (
        ("image", _image_label(record)),
        ("instance type", record.instance_type or "unknown"),
        ("instance count", str(record.instance_count)),
        ("precision", f.precision),
        ("batch_size", str(f.batch_size) if f.batch_size else "unset"),
        ("sequence_length", str(f.sequence_length) if f.sequence_length else "unset"),
        ("input shapes", f.input_shapes),
        ("distribution", f.distribution or "none"),
        ("compiler", "enabled" if f.compiler_enabled else "disabled"),
        ("spot", "enabled" if record.spot else "disabled"),
        ("debugger", "enabled" if (record.debugger or record.profiler) else "disabled"),
    )


def _version_of_tag(label: str) -> tuple[str, str]:
    repository, _, tag = label.partition(":")
    m = re.match(r"\d+(?:\.\d+){0,2}", tag)
    return repository, m.group(0) if m else tag


def describe_change(before: JobRecord, after: JobRecord) -> str:
    """The change between two configurations, named: ``image pytorch-training:2.0.1 -> 2.1.0``."""
    parts: list[str] = []
    for (attribute, old), (_, new) in zip(run_configuration(before), run_configuration(after), strict=True):
        if old == new:
            continue
        if attribute == "image":
            (repo_old, ver_old), (repo_new, ver_new) = _version_of_tag(old), _version_of_tag(new)
            if repo_old == repo_new and ver_old != ver_new:
                parts.append(f"image {repo_old}:{ver_old} -> {ver_new}")
            elif repo_old != repo_new:
                parts.append(f"image {repo_old}:{ver_old} -> {repo_new}:{ver_new}")
            else:
                parts.append(f"image {old} -> {new}")
            continue
        parts.append(f"{attribute} {old} -> {new}")
    return ", ".join(parts)


@dataclass(frozen=True)
class HistoricalChange:
    """Median training seconds (and cost) per run after / before a change of configuration.

    Observed in the job history, never measured: the data and every setting the import cannot
    see may differ between runs. ``time_ratio`` is withheld (None) when the instance count
    changed: the same work split over more or fewer instances takes a time that says nothing
    about the configuration's speed. ``cost_ratio`` is given when the instances changed: the
    ratio of instance-hours per run (same instance type), or of instance-hours times the
    on-demand price per hour (a new instance type; None without a price for both).
    """

    change: str
    when: date  # the day of the first run after the change
    runs_before: int
    runs_after: int
    median_seconds_before: float
    median_seconds_after: float
    time_ratio: float | None
    cost_ratio: float | None = None
    cost_basis: str | None = None  # what cost_ratio is, or why there is none
    before_hardware: tuple[str | None, int] = (None, 1)
    after_hardware: tuple[str | None, int] = (None, 1)

    @property
    def label(self) -> str:
        return f"{self.change} on {self.when.isoformat()}"

    def text(self) -> str:
        runs = f"{self.runs_before} run(s) before, {self.runs_after} after"
        caveat = "data size and other settings may differ between runs"
        head = f"historical evidence, not a benchmark: {self.label}: "
        if self.time_ratio is not None:
            ratio = f"{self.time_ratio:.3f}"
            body = f"median training seconds per run after / before = {ratio} ({runs}; {caveat})"
        else:
            body = (
                "training seconds per run not compared: another instance count splits the work "
                f"differently ({runs}; {caveat})"
            )
        if self.cost_basis:
            value = f" = {self.cost_ratio:.3f}" if self.cost_ratio is not None else ""
            body += f"; {self.cost_basis}{value}"
        return head + body


def _segments(runs: Sequence[JobRecord]) -> list[list[JobRecord]] | None:
    """Consecutive runs with one configuration; None when a configuration comes back (A B A):
    an alternating history has no before and after."""
    segments: list[list[JobRecord]] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    current: tuple[tuple[str, str], ...] | None = None
    for run in sorted(runs, key=lambda r: r.created):
        config = run_configuration(run)
        if config == current:
            segments[-1].append(run)
            continue
        if config in seen:
            return None
        seen.add(config)
        current = config
        segments.append([run])
    return segments


def _cost_ratio(
    before: JobRecord,
    after: JobRecord,
    seconds: tuple[float, float],
    prices: Mapping[str, InstancePrice],
) -> tuple[float | None, str | None]:
    """(cost ratio after / before, what it is) when the instances changed, else (None, None)."""
    (type_b, n_b), (type_a, n_a) = (
        (before.instance_type, before.instance_count),
        (
            after.instance_type,
            after.instance_count,
        ),
    )
    if (type_b, n_b) == (type_a, n_a):
        return None, None
    s_b, s_a = seconds
    if type_b == type_a:
        return round(s_a * n_a / (s_b * n_b), 4), "instance-hours (cost) per run after / before"
    p_b, p_a = prices.get(type_b or ""), prices.get(type_a or "")
    missing = [t for t, p in ((type_b, p_b), (type_a, p_a)) if p is None]
    if p_b is None or p_a is None:
        return None, f"cost per run not compared: no on-demand price for {', '.join(map(str, missing))}"
    bases = " / ".join(sorted({p_b.basis, p_a.basis}))
    basis = (
        f"on-demand cost per run after / before at {type_b} ${p_b.usd_per_hour:g}/h and "
        f"{type_a} ${p_a.usd_per_hour:g}/h ({bases})"
    )
    ratio = (s_a * n_a * p_a.usd_per_hour) / (s_b * n_b * p_b.usd_per_hour)
    return round(ratio, 4), basis


def historical_changes(
    runs: Sequence[JobRecord], prices: Mapping[str, InstancePrice] | None = None
) -> list[HistoricalChange]:
    """Each change of configuration that split one workload's runs into a before and an after.

    ``runs`` are the runs of one workload (one model) on any hardware. A change counts when
    the configuration (:func:`run_configuration`) changed and stayed changed: a history where
    a configuration comes back is left alone (the compiler on/off case is
    :func:`historical_ratio`). Each side needs :data:`CHANGE_MIN_RUNS` runs with a known
    duration.
    """
    segments = _segments(runs)
    if not segments or len(segments) < 2:
        return []
    out: list[HistoricalChange] = []
    for before, after in zip(segments, segments[1:], strict=False):
        secs_b = [r.duration_seconds for r in before if r.duration_seconds]
        secs_a = [r.duration_seconds for r in after if r.duration_seconds]
        if len(secs_b) < CHANGE_MIN_RUNS or len(secs_a) < CHANGE_MIN_RUNS:
            continue
        med_b, med_a = statistics.median(secs_b), statistics.median(secs_a)
        first_b, first_a = before[0], after[0]
        same_count = first_b.instance_count == first_a.instance_count
        cost, basis = _cost_ratio(first_b, first_a, (med_b, med_a), prices or {})
        out.append(
            HistoricalChange(
                change=describe_change(first_b, first_a),
                when=first_a.created.date(),
                runs_before=len(secs_b),
                runs_after=len(secs_a),
                median_seconds_before=med_b,
                median_seconds_after=med_a,
                time_ratio=round(med_a / med_b, 4) if same_count else None,
                cost_ratio=cost,
                cost_basis=basis,
                before_hardware=(first_b.instance_type, first_b.instance_count),
                after_hardware=(first_a.instance_type, first_a.instance_count),
            )
        )
    return out


# --- the workloads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadDraft:
    """One inventory workload (``fields``) with the notes that explain it and its jobs."""

    name: str
    fields: dict[str, Any]
    jobs: tuple[str, ...]
    notes: tuple[str, ...] = ()
    records: tuple[JobRecord, ...] = ()
    rule: str = "name"


@dataclass(frozen=True)
class SkippedGroup:
    """A group that is not written (no duration, no instance type, stopped), with why."""

    name: str
    jobs: tuple[str, ...]
    reason: str
    fields: dict[str, Any] = field(default_factory=dict)
    kind: str = "skipped"  # skipped | stopped


@dataclass(frozen=True)
class Grouping:
    """What :func:`group_workloads` made of the job records."""

    drafts: list[WorkloadDraft]
    skipped: list[SkippedGroup]
    excluded: list[str]  # fitcheck's own benchmark jobs
    evidence: dict[str, HistoricalRatio]
    changes: dict[str, list[HistoricalChange]] = field(default_factory=dict)  # before / after a change


def _slug_instance(instance_type: str | None, count: int) -> str:
    text = (instance_type or "unknown").removeprefix("ml.").replace(".", "-")
    return text + (f"-x{count}" if count > 1 else "")


def user_tags(record: JobRecord) -> dict[str, str]:
    """The job's own tags (team, cost centre, ...): not AWS's, SageMaker's or fitcheck's."""
    return {k: v for k, v in record.tags if not k.lower().startswith(SYSTEM_TAG_PREFIXES)}


def _fields(
    records: Sequence[JobRecord],
    freq: Frequency,
    region: str | None,
    transformers_field: bool,
) -> dict[str, Any]:
    """Inventory fields of one group (the latest run sets the configuration)."""
    latest = max(records, key=lambda r: r.created)
    facts = latest.facts
    framework = latest.image.framework
    model = facts.model or (framework if framework in ("xgboost", "lightgbm") else None)
    model = model or normalise_job_name(latest.name)
    out: dict[str, Any] = {"framework": framework}
    if latest.image.framework_version:
        out["framework_version"] = latest.image.framework_version
    if transformers_field and latest.image.transformers_version:
        out["transformers_version"] = latest.image.transformers_version
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


def _suffixes(members: Sequence[tuple[Any, ...]], with_model: bool = True) -> list[str]:
    """Name suffixes that tell apart the subgroups of one group (model, hardware)."""
    if len(members) == 1:
        return [""]
    models = {m[2] for m in members} if with_model else set()
    hardware = {(m[0], m[1]) for m in members}
    out = []
    for instance_type, count, model in members:
        parts = []
        if len(models) > 1:
            parts.append(slug(str(model or "unknown-model")))
        if len(hardware) > 1:
            parts.append(_slug_instance(instance_type, count))
        out.append("-" + "-".join(parts) if parts else "")
    return out


def group_workloads(
    records: Sequence[JobRecord],
    window_start: datetime,
    window_end: datetime,
    region: str | None = None,
    *,
    group_tags: Sequence[str] = DEFAULT_GROUP_TAGS,
    stale_days: float = DEFAULT_STALE_DAYS,
    include_stopped: bool = False,
    transformers_field: bool = False,
    prices: Mapping[str, InstancePrice] | None = None,
) -> Grouping:
    """Group job records into recurring workloads (see the module's docstring).

    The latest run of a group sets its configuration; the duration is the median over runs
    with a known duration; ``runs_per_week`` comes from :func:`cadence`. A group whose last
    run is more than ``stale_days`` before ``window_end`` has stopped: it is reported, and
    written (tagged ``sagemaker.status: stopped``) only with ``include_stopped``. So has the
    hardware a workload moved away from (:func:`superseded_hardware`). Changes of
    configuration over time (:func:`historical_changes`, priced with ``prices`` when the
    instance type changed) are reported on the workload that runs the new configuration.
    """
    excluded = sorted(r.name for r in records if is_fitcheck_job(r))
    kept = [r for r in records if not is_fitcheck_job(r)]
    signatures = name_signatures(r.name for r in kept)
    keys: dict[tuple[Any, ...], GroupKey] = {}
    groups: dict[tuple[Any, ...], dict[tuple[Any, ...], list[JobRecord]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in kept:
        gk = group_key(r, signatures[r.name], group_tags)
        keys.setdefault(gk.key, gk)
        groups[gk.key][(r.instance_type, r.instance_count, r.facts.model)].append(r)
    occasion_of = {r.name: group_key(r, signatures[r.name], group_tags).occasion for r in kept}

    drafts: list[WorkloadDraft] = []
    skipped: list[SkippedGroup] = []
    evidence: dict[str, HistoricalRatio] = {}
    changes: dict[str, list[HistoricalChange]] = {}
    used: set[str] = set()
    ordered = sorted(groups.items(), key=lambda kv: (keys[kv[0]].display, str(kv[0])))
    for key, subgroups in ordered:
        gk = keys[key]
        members = sorted(subgroups, key=lambda m: tuple(str(x) for x in m))
        moved, member_changes = _history_of_group(subgroups, prices or {})
        active = [m for m in members if m not in moved]
        with_model = gk.rule != "sdk-default"
        all_suffixes = dict(zip(members, _suffixes(members, with_model), strict=True))
        suffixes = dict(zip(active, _suffixes(active, with_model), strict=True))
        for member in members:
            suffix = suffixes.get(member, all_suffixes[member])
            runs = sorted(subgroups[member], key=lambda r: r.created)
            base = gk.display
            if gk.rule == "sdk-default" and runs[-1].facts.model:
                base = slug(f"{gk.display}-{runs[-1].facts.model}")
            name = unique = base + suffix
            n = 1
            while unique in used:
                n += 1
                unique = f"{name}-{n}"
            name = unique
            used.add(name)
            stopped = _stopped(name, runs, occasion_of, window_start, window_end, region, stale_days)
            if member in moved:
                stopped = _moved(name, runs, occasion_of, window_start, window_end, region, moved[member])
            if stopped is not None and not include_stopped:
                skipped.append(stopped)
                continue
            draft = _draft(name, gk, runs, occasion_of, window_start, window_end, region, transformers_field)
            if isinstance(draft, SkippedGroup):
                skipped.append(draft)
                continue
            if stopped is not None:  # written on request, marked
                draft.fields["tags"][IMPORT_TAG_PREFIX + "status"] = "stopped"
                draft = replace(draft, notes=(*draft.notes, stopped.reason))
            ratio = historical_ratio(runs)
            if ratio is not None:
                evidence[name] = ratio
                draft.fields["tags"][IMPORT_TAG_PREFIX + "historical_compiler_ratio"] = f"{ratio.ratio:.4g}"
                draft = replace(draft, notes=(*draft.notes, ratio.text()))
            found = member_changes.get(member, [])
            if found:
                changes[name] = found
                latest = found[-1]
                tags = draft.fields["tags"]
                tags[IMPORT_TAG_PREFIX + "historical_change"] = latest.label[:256]
                if latest.time_ratio is not None:
                    tags[IMPORT_TAG_PREFIX + "historical_change_ratio"] = f"{latest.time_ratio:.4g}"
                if latest.cost_ratio is not None:
                    tags[IMPORT_TAG_PREFIX + "historical_change_cost_ratio"] = f"{latest.cost_ratio:.4g}"
                draft = replace(draft, notes=(*draft.notes, *(c.text() for c in found)))
            drafts.append(draft)
    return Grouping(drafts, skipped, excluded, evidence, changes)


Member = tuple[Any, ...]  # (instance type, instance count, model): one workload of a group


def _history_of_group(
    subgroups: Mapping[Member, Sequence[JobRecord]], prices: Mapping[str, InstancePrice]
) -> tuple[dict[Member, str], dict[Member, list[HistoricalChange]]]:
    """Per model of one group: the hardware it moved away from, and its changes over time.

    Returns (member -> why it was superseded, member -> the changes that led to its runs).
    """
    by_model: dict[Any, list[JobRecord]] = defaultdict(list)
    for member, runs in subgroups.items():
        by_model[member[2]].extend(runs)
    moved: dict[Member, str] = {}
    found: dict[Member, list[HistoricalChange]] = defaultdict(list)
    for model, runs in by_model.items():
        for change in historical_changes(runs, prices):
            found[(*change.after_hardware, model)].append(change)
        for member, why in superseded_hardware(runs).items():
            moved[(*member, model)] = why
    return moved, dict(found)


def superseded_hardware(runs: Sequence[JobRecord]) -> dict[tuple[str | None, int], str]:
    """The hardware (instance type, count) a workload moved away from, and why.

    ``runs`` are one model's runs on any hardware. When the history has a clean before and
    after (no configuration comes back) and the latest configuration, on other hardware,
    has run :data:`CHANGE_MIN_RUNS` times, the runs on the old hardware are the workload's
    past, not a second workload: counting both would count its runs twice.
    """
    segments = _segments(runs)
    if not segments or len(segments) < 2 or len(segments[-1]) < CHANGE_MIN_RUNS:
        return {}
    last = segments[-1][0]
    now_on = (last.instance_type, last.instance_count)
    since = last.created.date().isoformat()
    return {
        (r.instance_type, r.instance_count): (
            f"superseded: the workload moved to {last.instance_type} x{last.instance_count} on {since}"
        )
        for segment in segments[:-1]
        for r in segment
        if (r.instance_type, r.instance_count) != now_on
    }


def _frequency(
    runs: Sequence[JobRecord], occasion_of: Mapping[str, str], window_start: datetime, window_end: datetime
) -> Frequency:
    first: dict[str, datetime] = {}
    for r in runs:
        occ = occasion_of[r.name]
        first[occ] = min(first.get(occ, r.created), r.created)
    return cadence(list(first.values()), len(runs), window_start, window_end)


def _stopped(
    name: str,
    runs: Sequence[JobRecord],
    occasion_of: Mapping[str, str],
    window_start: datetime,
    window_end: datetime,
    region: str | None,
    stale_days: float,
) -> SkippedGroup | None:
    """The group as stopped when its last run is older than the staleness limit, else None."""
    last = max(r.created for r in runs)
    age_days = (window_end - last).total_seconds() / 86400.0
    if age_days <= stale_days:
        return None
    freq = _frequency(runs, occasion_of, window_start, window_end)
    fields = _fields(runs, freq, region, False)
    reason = (
        f"stopped: last run {last.date()}, {age_days:.0f} days before {window_end.date()} "
        f"(staleness limit {stale_days:g} days)"
    )
    return SkippedGroup(name, tuple(r.name for r in runs), reason, fields, kind="stopped")


def _moved(
    name: str,
    runs: Sequence[JobRecord],
    occasion_of: Mapping[str, str],
    window_start: datetime,
    window_end: datetime,
    region: str | None,
    reason: str,
) -> SkippedGroup:
    """The runs on hardware the workload has left, as a stopped group."""
    freq = _frequency(runs, occasion_of, window_start, window_end)
    fields = _fields(runs, freq, region, False)
    return SkippedGroup(name, tuple(r.name for r in runs), reason, fields, kind="stopped")


def _draft(
    name: str,
    gk: GroupKey,
    runs: Sequence[JobRecord],
    occasion_of: Mapping[str, str],
    window_start: datetime,
    window_end: datetime,
    region: str | None,
    transformers_field: bool,
) -> WorkloadDraft | SkippedGroup:
    jobs = tuple(r.name for r in runs)
    freq = _frequency(runs, occasion_of, window_start, window_end)
    fields = _fields(runs, freq, region, transformers_field)
    notes: list[str] = [f"{len(runs)} job(s), grouped by {gk.rule}; runs_per_week from {freq.basis}"]
    sources = sorted({r.duration_source for r in runs if r.duration_seconds})
    if sources:
        notes.append("duration: median of " + " / ".join(sources))
    for r in runs:
        notes.extend(n for n in r.notes if n not in notes and "Training" not in n)
    unknown = [r.name for r in runs if r.duration_seconds is None]
    if unknown and len(unknown) < len(runs):
        notes.append(f"{len(unknown)} run(s) without a known duration left out of the median")
    latest = runs[-1]
    if latest.instance_type is None:
        return SkippedGroup(name, jobs, "no instance type in ResourceConfig", fields)
    if "duration_hours" not in fields or not fields["duration_hours"] > 0:
        reasons = sorted({n for r in runs for n in r.notes if "Training" in n})
        return SkippedGroup(name, jobs, "duration unknown: " + "; ".join(reasons), fields)
    tags = user_tags(latest)
    unprintable = sorted(k for k, v in tags.items() if not (k + v).isprintable())
    if unprintable:
        tags = {k: v for k, v in tags.items() if k not in unprintable}
        notes.append(f"{len(unprintable)} tag(s) with unprintable characters not copied")
    if len(tags) > MAX_USER_TAGS:
        dropped = list(tags)[MAX_USER_TAGS:]  # the first ones, in the order AWS returned them, stay
        tags = {k: tags[k] for k in list(tags)[:MAX_USER_TAGS]}
        notes.append(
            f"{len(dropped)} tag(s) not copied (the inventory keeps at most 50): {', '.join(dropped)}"
        )
    ours = {
        "source": "sagemaker",
        "grouped_by": gk.rule,
        "jobs": str(len(runs)),
        "last_job": latest.name,
        "last_run": latest.created.date().isoformat(),
        "runs_basis": freq.basis,
        "cadence": "one-off" if freq.one_off else "recurring",
    }
    if latest.heterogeneous:
        ours["heterogeneous"] = latest.heterogeneous
    if latest.image.compiler_image:
        ours["compiler_image"] = latest.image.repository
    if latest.facts.precision_source:
        ours["precision_from"] = latest.facts.precision_source
    if latest.facts.compiler_source:
        ours["compiler_from"] = latest.facts.compiler_source
    if latest.image.transformers_version and not transformers_field:
        ours["transformers_version"] = latest.image.transformers_version
    tags.update({IMPORT_TAG_PREFIX + k: v for k, v in ours.items()})
    fields["tags"] = tags
    if freq.one_off:
        notes.append("one-off: ran once in the window (not a recurring workload)")
    return WorkloadDraft(name, {"name": name, **fields}, jobs, tuple(notes), tuple(runs), gk.rule)


def window_bounds(
    created: Sequence[datetime], since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The observation window: ``since``..``until``, else first job seen..now."""
    start = since or (min(created) if created else now - timedelta(days=MIN_WINDOW_DAYS))
    end = until or now
    return start, end
