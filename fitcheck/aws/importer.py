"""``fitcheck import sagemaker``: a training-job history turned into a workload inventory.

1. List training jobs (ListTrainingJobs paginator, 100 per page, creation-time and name
   filters).
2. Describe the Completed and Stopped ones and read their tags, concurrently in a bounded
   thread pool (DescribeTrainingJob + ListTags; the client retries throttling in botocore's
   adaptive mode).
3. Group the jobs into recurring workloads (:mod:`fitcheck.aws.grouping`): tuning parent,
   pipeline step, ``--group-tag``, name signature; cadence over the active window; stopped
   workloads reported; fitcheck's own benchmark jobs left out.
4. Read each workload's GPU utilisation from CloudWatch (:mod:`fitcheck.aws.cloudwatch`).
5. Write the inventory (documented format, notes as YAML comments) atomically.

A failure part-way (throttling that outlasted the retries, a dropped connection, Ctrl-C)
keeps what was described so far: the workloads go to ``<output>.partial.yaml`` next to the
output (which is left untouched), the described jobs' facts to ``<output>.partial.jobs.jsonl``,
and ``--resume`` continues from there without describing them again.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fitcheck.aws.grouping import (
    DEFAULT_GROUP_TAGS,
    DEFAULT_STALE_DAYS,
    IMPORT_TAG_PREFIX,
    HistoricalChange,
    HistoricalRatio,
    InstancePrice,
    SkippedGroup,
    WorkloadDraft,
    group_workloads,
    window_bounds,
)
from fitcheck.aws.mapping import IMPORTED_STATUSES, JobRecord, job_record, record_from_dict, record_to_dict
from fitcheck.aws.progress import NullReporter, Reporter
from fitcheck.aws.session import AwsFailure, aws_errors, client, make_session, resolve_region
from fitcheck.errors import EXIT_FAILURE, EXIT_INPUT, FitcheckError, InputError, Location
from fitcheck.io.atomic import atomic_write_text

PAGE_SIZE = 100  # ListTrainingJobs MaxResults
DEFAULT_WORKERS = 8
LISTING = "listing training jobs"
DESCRIBING = "describing training jobs"
READING_GPU = "reading GPU utilisation"


class ImportInterrupted(FitcheckError):
    """The import stopped part-way; ``result`` tells what was kept and written."""

    def __init__(self, message: str, result: ImportResult, input_error: bool) -> None:
        super().__init__(message, EXIT_INPUT if input_error else EXIT_FAILURE, details=result.summary_lines())
        self.result = result
        self.input_error = input_error


class NothingToWrite(InputError):
    """Jobs were found, but none could be written (e.g. no job has a known duration)."""

    def __init__(self, message: str, result: ImportResult) -> None:
        super().__init__(message)
        self.result = result
        self.details = tuple(result.summary_lines())


@dataclass(frozen=True)
class ImportResult:
    """What one import saw, kept and wrote."""

    region: str
    listed: int
    described: int
    not_imported_status: dict[str, int]
    workloads: list[WorkloadDraft]
    skipped: list[SkippedGroup]
    written: Path | None
    partial: bool = False
    failed_describe: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # fitcheck's own benchmark jobs
    evidence: dict[str, HistoricalRatio] = field(default_factory=dict)
    changes: dict[str, list[HistoricalChange]] = field(default_factory=dict)  # before / after a change
    resumed: int = 0  # jobs read back from the partial state instead of described again
    gpu_notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """The terminal summary (also written as the inventory's header comments)."""
        lines = [
            f"{self.listed} training job(s) listed in {self.region}; "
            f"{self.described} described ({' / '.join(IMPORTED_STATUSES)})"
            + (f", {self.resumed} of them read back from the partial import" if self.resumed else "")
        ]
        if self.not_imported_status:
            parts = ", ".join(f"{n} {s}" for s, n in sorted(self.not_imported_status.items()))
            lines.append(f"not imported (status): {parts}")
        if self.failed_describe:
            lines.append(f"not imported (DescribeTrainingJob failed): {', '.join(self.failed_describe)}")
        if self.excluded:
            lines.append(f"left out: {len(self.excluded)} fitcheck benchmark job(s) (tags fitcheck:*)")
        lines.append(f"{len(self.workloads)} workload(s) written")
        for s in self.skipped:
            label = "STOPPED" if s.kind == "stopped" else "SKIPPED"
            lines.append(f"{label} {s.name} ({len(s.jobs)} job(s)): {s.reason}")
        for name, ratio in sorted(self.evidence.items()):
            lines.append(f"HISTORY {name}: {ratio.text()}")
        for name, found in sorted(self.changes.items()):
            lines.extend(f"HISTORY {name}: {change.text()}" for change in found)
        lines.extend(self.gpu_notes)
        return lines


# --- dates -----------------------------------------------------------------------------------


def parse_when(text: str | None, option: str, end_of_day: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO-8601 time (UTC unless it says otherwise).

    A bare date given to ``--until`` means the end of that day.
    """
    if text is None:
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            moment = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{text!r} is not a date: use YYYY-MM-DD or an ISO-8601 time such as 2024-05-01T12:00:00Z",
            Location(field=option),
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the inventory text ----------------------------------------------------------------------


def _yaml_block(data: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined,assignment]
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def _comment(text: str, indent: str = "") -> str:
    return "".join(f"{indent}# {line}\n" for line in text.splitlines() or [""])


def render_inventory(
    drafts: Sequence[WorkloadDraft],
    skipped: Sequence[SkippedGroup],
    header: Sequence[str],
    region: str | None,
) -> str:
    """The inventory YAML: header comments, then each workload with its notes above it."""
    out = io.StringIO()
    for line in header:
        out.write(_comment(line))
    out.write("version: 1\n")
    if region:
        out.write(_yaml_block({"defaults": {"region": region}}))
    if not drafts:
        out.write("workloads: []\n")
    else:
        out.write("workloads:\n")
    for d in drafts:
        fields = {k: v for k, v in d.fields.items() if not (k == "region" and v == region)}
        shown = ", ".join(d.jobs[-3:]) + (f" (+{len(d.jobs) - 3} earlier)" if len(d.jobs) > 3 else "")
        out.write(_comment(f"jobs: {shown}", "  "))
        for note in d.notes:
            out.write(_comment(note, "  "))
        body = _yaml_block([fields])
        out.write("".join(f"  {line}\n" for line in body.splitlines()))
    if skipped:
        out.write("\n# Not written: stopped workloads, and groups without a duration or an instance type:\n")
        for s in skipped:
            out.write(_comment(f"- {s.name} ({len(s.jobs)} job(s): {', '.join(s.jobs[-3:])}): {s.reason}"))
            seen = ", ".join(f"{k}={v}" for k, v in s.fields.items() if k not in ("tags",) and v is not None)
            out.write(_comment(f"  seen: {seen}"))
    return out.getvalue()


def partial_path(output: Path) -> Path:
    """Where a partial import is written: ``workloads.yaml`` -> ``workloads.partial.yaml``."""
    suffix = output.suffix or ".yaml"
    return output.with_name(f"{output.stem}.partial{suffix}")


def validate_drafts(
    drafts: Sequence[WorkloadDraft],
) -> tuple[list[WorkloadDraft], list[SkippedGroup]]:
    """Check every workload against the inventory schema; a failing one is skipped with why."""
    try:
        from pydantic import ValidationError

        from fitcheck.core.schema import Workload
    except ImportError:  # pragma: no cover - the schema ships with fitcheck
        return list(drafts), []
    ok: list[WorkloadDraft] = []
    bad: list[SkippedGroup] = []
    for d in drafts:
        try:
            Workload.model_validate(d.fields)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            bad.append(
                SkippedGroup(d.name, d.jobs, f"{where}: {first.get('input')!r}: {first['msg']}", d.fields)
            )
        else:
            ok.append(d)
    return ok, bad


# --- the AWS calls ---------------------------------------------------------------------------


def list_training_jobs(
    sm: Any,
    since: datetime | None,
    until: datetime | None,
    name_contains: str | None,
    on_page: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Every training job summary matching the filters (ListTrainingJobs paginator)."""
    params: dict[str, Any] = {"PaginationConfig": {"PageSize": PAGE_SIZE}}
    if since:
        params["CreationTimeAfter"] = since
    if until:
        params["CreationTimeBefore"] = until
    if name_contains:
        params["NameContains"] = name_contains
    out: list[dict[str, Any]] = []
    for page in sm.get_paginator("list_training_jobs").paginate(**params):
        out.extend(page.get("TrainingJobSummaries", []))
        if on_page:
            on_page(len(out))
    return out


def state_path(output: Path) -> Path:
    """The described jobs of a partial import: ``workloads.yaml`` -> ``workloads.partial.jobs.jsonl``."""
    return output.with_name(f"{output.stem}.partial.jobs.jsonl")


def write_state(path: Path, region: str, records: Sequence[JobRecord]) -> None:
    """One JSON line per described job (its facts only: no raw hyperparameters)."""
    lines = [json.dumps({"kind": "fitcheck-import-state", "version": 1, "region": region})]
    lines += [json.dumps(record_to_dict(r), sort_keys=True) for r in records]
    atomic_write_text(path, "\n".join(lines) + "\n")


def read_state(path: Path, region: str) -> list[JobRecord]:
    """The records a partial import kept; one clear error for a file that is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(
            f"cannot read the partial import: {err.strerror}", Location(file=str(path))
        ) from None
    out: list[JobRecord] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if number == 1:
                if data.get("kind") != "fitcheck-import-state" or data.get("version") != 1:
                    raise ValueError("not a fitcheck import state (kind fitcheck-import-state, version 1)")
                if data.get("region") != region:
                    raise ValueError(f"written for region {data.get('region')!r}, not {region!r}")
                continue
            out.append(record_from_dict(data))
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise InputError(
                f"not a job record of a partial import: {err}; delete it to import from scratch",
                Location(file=str(path), line=number),
            ) from None
    return out


# --- the AWS calls ---------------------------------------------------------------------------


def list_tags(sm: Any, arn: str | None) -> list[dict[str, str]]:
    """Every tag of one SageMaker resource (ListTags, following NextToken)."""
    if not arn:
        return []
    tags: list[dict[str, str]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"ResourceArn": arn, "MaxResults": 100}
        if token:
            params["NextToken"] = token
        page = sm.list_tags(**params)
        tags.extend(page.get("Tags", []))
        token = page.get("NextToken")
        if not token:
            return tags


def describe_all(
    sm: Any,
    jobs: Sequence[tuple[str, str | None]],
    max_workers: int,
    on_done: Callable[[], None] | None = None,
) -> tuple[list[JobRecord], list[str], BaseException | None]:
    """Describe ``jobs`` (name, ARN) and read their tags concurrently; stop at the first failure.

    Returns (records, jobs that no longer exist, the error that stopped it or None); what
    finished before the failure is kept.
    """
    from botocore.exceptions import ClientError

    records: list[JobRecord] = []
    missing: list[str] = []
    error: BaseException | None = None

    def one(job: tuple[str, str | None]) -> JobRecord | None:
        name, arn = job
        try:
            desc = sm.describe_training_job(TrainingJobName=name)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("ResourceNotFound", "ValidationException"):
                missing.append(name)
                return None
            raise
        return job_record(desc, list_tags(sm, arn or desc.get("TrainingJobArn")))

    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="describe")
    futures: list[Future[JobRecord | None]] = []
    try:
        futures = [pool.submit(one, j) for j in jobs]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
            for fut in done:
                exc = fut.exception()
                if exc is not None:
                    error = error or exc
                    continue
                rec = fut.result()
                if rec is not None:
                    records.append(rec)
                if on_done:
                    on_done()
            if error is not None:
                break
    except KeyboardInterrupt as interrupt:
        error = interrupt
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if error is not None:  # keep what finished while the pool drained; report the first failure
        seen = {r.name for r in records}
        first_failure = next(
            (f.exception() for f in futures if f.done() and not f.cancelled() and f.exception()),
            None,
        )
        if first_failure is not None and not isinstance(error, KeyboardInterrupt):
            error = first_failure
        for fut in futures:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                rec = fut.result()
                if rec is not None and rec.name not in seen:
                    records.append(rec)
    return records, missing, error


def _schema_has(name: str) -> bool:
    from fitcheck.core.schema import Workload

    return name in Workload.model_fields


def catalog_prices(catalog: Path | None = None) -> dict[str, InstancePrice]:
    """Instance type -> on-demand price per hour from the bundled catalog (``instances.csv``),
    for the cost ratio of a change of instance type; an unreadable row is left out."""
    import csv

    if catalog is None:
        from fitcheck.io.profiles import default_profile_dir

        catalog = default_profile_dir() / "instances.csv"
    out: dict[str, InstancePrice] = {}
    try:
        with open(catalog, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                try:
                    price = float(row.get("price_usd_per_hour") or "")
                except ValueError:
                    continue
                if not price > 0 or not row.get("instance_type"):
                    continue
                where = row.get("price_region") or row.get("price_basis") or "region not stated"
                out[row["instance_type"]] = InstancePrice(price, f"fitcheck's catalog, {where}")
    except OSError:
        return {}
    return out


def add_gpu_utilisation(
    cw: Any,
    drafts: Sequence[WorkloadDraft],
    now: datetime,
    max_workers: int,
    progress: Reporter,
) -> tuple[list[WorkloadDraft], list[str]]:
    """The drafts with their CloudWatch GPU utilisation, and a note per workload without."""
    from fitcheck.aws.cloudwatch import GroupWindows, gpus_per_instance, read_utilisation, windows_of

    gpus = gpus_per_instance()
    groups = [
        GroupWindows(d.name, windows_of(d.records), gpus.get(str(d.fields.get("instance_type")), 0))
        for d in drafts
    ]
    jobs = sum(len(g.windows) for g in groups if g.gpus > 0)
    progress.start(READING_GPU, jobs)
    try:
        found, why = read_utilisation(
            cw, groups, now, max_workers, on_done=lambda: progress.advance(READING_GPU)
        )
    finally:
        progress.finish(READING_GPU)
    out: list[WorkloadDraft] = []
    for d in drafts:
        u = found.get(d.name)
        if u is None:
            if d.name in why and why[d.name] != "no GPU on this instance type":
                d = replace(d, notes=(*d.notes, f"gpu_utilization not read: {why[d.name]}"))
            out.append(d)
            continue
        fields = dict(d.fields)
        fields["tags"] = dict(fields.get("tags") or {})
        fields["gpu_utilization"] = u.mean
        for key, value in (("gpu_utilization_p5", u.p5), ("gpu_utilization_p95", u.p95)):
            if _schema_has(key):
                fields[key] = value
            else:
                fields["tags"][IMPORT_TAG_PREFIX + key] = f"{value:g}"
        fields["tags"][IMPORT_TAG_PREFIX + "gpu_utilization_window"] = u.window_text()[:256]
        note = f"gpu_utilization: mean {u.mean:.2f}, p5 {u.p5:.2f}, p95 {u.p95:.2f} from {u.window_text()}"
        out.append(replace(d, fields=fields, notes=(*d.notes, note)))
    with_data = sum(1 for d in drafts if d.name in found)
    gpu_workloads = sum(1 for g in groups if g.gpus > 0)
    notes = [f"GPU utilisation from CloudWatch for {with_data} of {gpu_workloads} GPU workload(s)"]
    return out, notes


def import_sagemaker(
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    name_contains: str | None = None,
    output: Path | str = "workloads.yaml",
    max_workers: int = DEFAULT_WORKERS,
    progress: Reporter | None = None,
    now: datetime | None = None,
    sagemaker_client: Any = None,
    *,
    group_tags: Sequence[str] = DEFAULT_GROUP_TAGS,
    stale_days: float = DEFAULT_STALE_DAYS,
    include_stopped: bool = False,
    gpu_utilization: bool = True,
    cloudwatch_client: Any = None,
    resume: bool = False,
) -> ImportResult:
    """Import the SageMaker training history of ``region`` into the inventory ``output``.

    Raises :class:`InputError` (exit 2) for bad options, no credentials, an unknown region,
    access denied, an unreachable endpoint or an empty history; :class:`ImportInterrupted`
    when it stopped part-way (after writing the partial inventory and the described jobs).
    ``sagemaker_client`` / ``cloudwatch_client`` let a caller pass its own clients (e.g.
    wrapped in botocore's Stubber); ``progress`` reports the long steps (None: silent);
    ``resume`` reads the jobs a failed import described from ``<output>.partial.jobs.jsonl``.
    """
    out_path = Path(output)
    reporter: Reporter = progress or NullReporter()
    since_t = parse_when(since, "--since")
    until_t = parse_when(until, "--until", end_of_day=True)
    if since_t and until_t and until_t <= since_t:
        raise InputError(f"--until {until} is not after --since {since}", Location(field="--until"))
    if max_workers < 1:
        raise InputError(f"{max_workers} is not >= 1", Location(field="--workers"))
    if not stale_days > 0:
        raise InputError(f"{stale_days} is not > 0", Location(field="--stale-days"))
    tags_to_group = tuple(t for t in group_tags if t)
    now = now or datetime.now(UTC)

    with aws_errors("list SageMaker training jobs", region):
        session = make_session(region)
        region_name = resolve_region(session, region)
        sm = sagemaker_client or client(session, "sagemaker", region_name, max_workers=max_workers)

    kept: list[JobRecord] = []
    state = state_path(out_path)
    if resume:
        if not state.is_file():
            raise InputError(
                "no partial import to resume (run without --resume)",
                Location(file=str(state), field="--resume"),
            )
        kept = read_state(state, region_name)

    reporter.start(LISTING)
    try:
        with aws_errors("list SageMaker training jobs", region_name):
            summaries = list_training_jobs(
                sm, since_t, until_t, name_contains, on_page=lambda n: reporter.advance(LISTING, n)
            )
    finally:
        reporter.finish(LISTING)
    if not summaries:
        filters = []
        if since_t or until_t:
            filters.append(f"created {since or '...'} to {until or 'now'}")
        if name_contains:
            filters.append(f"name containing {name_contains!r}")
        scope = f" ({'; '.join(filters)})" if filters else ""
        raise InputError(
            f"no training jobs found in {region_name}{scope}{_endpoint_note()}: nothing written",
            Location(field="--region"),
        )
    status = Counter(str(s.get("TrainingJobStatus")) for s in summaries)
    wanted = [
        (str(s["TrainingJobName"]), s.get("TrainingJobArn"))
        for s in summaries
        if s.get("TrainingJobStatus") in IMPORTED_STATUSES
    ]
    listed_names = {n for n, _ in wanted}
    kept = [r for r in kept if r.name in listed_names]
    known = {r.name for r in kept}
    to_describe = [(n, a) for n, a in wanted if n not in known]
    not_imported = {k: v for k, v in status.items() if k not in IMPORTED_STATUSES}
    reporter.start(DESCRIBING, len(to_describe))
    try:
        described, missing, error = describe_all(
            sm, to_describe, max_workers, on_done=lambda: reporter.advance(DESCRIBING)
        )
    finally:
        reporter.finish(DESCRIBING)
    records = [_with_utc(r) for r in kept + described]

    created = [r.created for r in records]
    start, end = window_bounds(created, since_t, until_t, now)
    grouping = group_workloads(
        records,
        start,
        min(end, now),
        region_name,
        group_tags=tags_to_group,
        stale_days=stale_days,
        include_stopped=include_stopped,
        transformers_field=_schema_has("transformers_version"),
        prices=catalog_prices(),
    )
    drafts, skipped = grouping.drafts, list(grouping.skipped)
    gpu_notes: list[str] = []
    if gpu_utilization and error is None and drafts:
        try:
            with aws_errors("read GPU utilisation from CloudWatch (GetMetricData)", region_name):
                cw = cloudwatch_client or client(session, "cloudwatch", region_name, max_workers=max_workers)
                drafts, gpu_notes = add_gpu_utilisation(cw, drafts, now, max_workers, reporter)
        except (InputError, AwsFailure) as err:
            gpu_notes = [f"GPU utilisation not read ({err}); the inventory is written without it"]
        except KeyboardInterrupt as interrupt:  # keep every described job for --resume
            error = interrupt
    drafts, invalid = validate_drafts(drafts)
    skipped = skipped + invalid

    def result(written: Path | None, partial: bool) -> ImportResult:
        return ImportResult(
            region=region_name,
            listed=len(summaries),
            described=len(records),
            not_imported_status=not_imported,
            workloads=drafts,
            skipped=skipped,
            written=written,
            partial=partial,
            failed_describe=missing,
            excluded=grouping.excluded,
            evidence={k: v for k, v in grouping.evidence.items() if any(d.name == k for d in drafts)},
            changes={k: v for k, v in grouping.changes.items() if any(d.name == k for d in drafts)},
            resumed=len(kept),
            gpu_notes=gpu_notes,
        )

    header_scope = [
        "Imported from SageMaker by 'fitcheck import sagemaker' at " + now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"region {region_name}; jobs created {start.date()} to {min(end, now).date()}"
        + (f"; name contains {name_contains!r}" if name_contains else "")
        + f"; grouped by tuning job, pipeline step, tag {'/'.join(tags_to_group) or '-'}, name"
        + f"; stopped after {stale_days:g} days without a run",
    ]
    if error is not None:
        target = partial_path(out_path)
        write_state(state, region_name, records)
        res = result(target, True)
        header = [
            "PARTIAL IMPORT: stopped after describing "
            f"{len(records)} of {len(wanted)} jobs ({_describe_error(error, region_name)})",
            *header_scope,
            *res.summary_lines(),
        ]
        atomic_write_text(target, render_inventory(drafts, skipped, header, region_name))
        message = (
            f"import stopped after describing {len(records)} of {len(wanted)} training jobs: "
            f"{_describe_error(error, region_name)}; wrote the {len(drafts)} workload(s) from "
            f"those jobs to {target} and the described jobs to {state}; {out_path} was not changed; "
            "run the same command with --resume to describe only the rest"
        )
        raise ImportInterrupted(message, res, input_error=_is_input_error(error, region_name))

    if not drafts:
        res = result(None, False)
        raise NothingToWrite(
            f"none of the {len(records)} described job(s) could be written as a workload "
            f"(see the SKIPPED and STOPPED lines); {out_path} was not written",
            res,
        )
    res = result(out_path, False)
    header = [*header_scope, *res.summary_lines()]
    atomic_write_text(out_path, render_inventory(drafts, skipped, header, region_name))
    for leftover in (state, partial_path(out_path)):
        if leftover.exists():
            leftover.unlink()
    return res


def _with_utc(r: JobRecord) -> JobRecord:
    return replace(
        r,
        created=_utc(r.created),
        started=_utc(r.started) if r.started else None,
        ended=_utc(r.ended) if r.ended else None,
    )


def _endpoint_note() -> str:
    from fitcheck.aws.session import endpoint_hint

    return endpoint_hint()


def _describe_error(error: BaseException, region: str) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    from fitcheck.aws.session import translate

    replacement = translate(error, "describe SageMaker training jobs", region)
    return str(replacement) or type(error).__name__


def _is_input_error(error: BaseException, region: str) -> bool:
    if isinstance(error, KeyboardInterrupt):
        return False
    from fitcheck.aws.session import translate

    return isinstance(translate(error, "describe SageMaker training jobs", region), InputError)


__all__ = [
    "AwsFailure",
    "ImportInterrupted",
    "NothingToWrite",
    "ImportResult",
    "import_sagemaker",
    "list_training_jobs",
    "list_tags",
    "describe_all",
    "render_inventory",
    "partial_path",
    "state_path",
]
