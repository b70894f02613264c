"""``fitcheck import sagemaker``: a training-job history turned into a workload inventory.

1. List training jobs (ListTrainingJobs paginator, 100 per page, creation-time and name
   filters).
2. Describe the Completed and Stopped ones concurrently in a bounded thread pool
   (DescribeTrainingJob; the client retries throttling in botocore's adaptive mode).
3. Map each description to a :class:`~fitcheck.aws.mapping.JobRecord`, group recurring jobs
   and write the inventory (documented format, notes as YAML comments) atomically.

A failure part-way (throttling that outlasted the retries, a dropped connection, Ctrl-C)
keeps what was described so far: it is written to ``<output>.partial.yaml`` next to the
output (which is left untouched) and the error says how far the import got.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fitcheck.aws.mapping import (
    IMPORTED_STATUSES,
    JobRecord,
    SkippedGroup,
    WorkloadDraft,
    group_workloads,
    job_record,
    window_bounds,
)
from fitcheck.aws.session import AwsFailure, aws_errors, client, make_session, resolve_region
from fitcheck.errors import InputError, Location
from fitcheck.io.atomic import atomic_write_text

PAGE_SIZE = 100  # ListTrainingJobs MaxResults
DEFAULT_WORKERS = 8


class ImportInterrupted(Exception):
    """The import stopped part-way; ``result`` tells what was kept and written."""

    def __init__(self, message: str, result: ImportResult, input_error: bool) -> None:
        super().__init__(message)
        self.result = result
        self.input_error = input_error


class NothingToWrite(InputError):
    """Jobs were found, but none could be written (e.g. no job has a known duration)."""

    def __init__(self, message: str, result: ImportResult) -> None:
        super().__init__(message)
        self.result = result


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

    def summary_lines(self) -> list[str]:
        """The terminal summary (also written as the inventory's header comments)."""
        lines = [
            f"{self.listed} training job(s) listed in {self.region}; "
            f"{self.described} described ({' / '.join(IMPORTED_STATUSES)})"
        ]
        if self.not_imported_status:
            parts = ", ".join(f"{n} {s}" for s, n in sorted(self.not_imported_status.items()))
            lines.append(f"not imported (status): {parts}")
        if self.failed_describe:
            lines.append(f"not imported (DescribeTrainingJob failed): {', '.join(self.failed_describe)}")
        lines.append(f"{len(self.workloads)} workload(s) written")
        for s in self.skipped:
            lines.append(f"SKIPPED {s.name} ({len(s.jobs)} job(s)): {s.reason}")
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
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
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
        out.write("\n# Skipped (cannot be written without a duration or an instance type):\n")
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


def describe_all(
    sm: Any,
    names: Sequence[str],
    max_workers: int,
    on_done: Callable[[], None] | None = None,
) -> tuple[list[JobRecord], list[str], BaseException | None]:
    """Describe ``names`` concurrently; stop at the first failure and keep what finished.

    Returns (records, jobs that no longer exist, the error that stopped it or None).
    """
    from botocore.exceptions import ClientError

    records: list[JobRecord] = []
    missing: list[str] = []
    error: BaseException | None = None

    def one(name: str) -> JobRecord | None:
        try:
            return job_record(sm.describe_training_job(TrainingJobName=name))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in (
                "ResourceNotFound",
                "ValidationException",
            ):
                missing.append(name)
                return None
            raise

    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="describe")
    futures: list[Future[JobRecord | None]] = []
    try:
        futures = [pool.submit(one, n) for n in names]
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


def import_sagemaker(
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    name_contains: str | None = None,
    output: Path | str = "workloads.yaml",
    max_workers: int = DEFAULT_WORKERS,
    show_progress: bool = True,
    now: datetime | None = None,
    sagemaker_client: Any = None,
) -> ImportResult:
    """Import the SageMaker training history of ``region`` into the inventory ``output``.

    Raises :class:`InputError` (exit 2) for bad options, no credentials, an unknown region,
    access denied, an unreachable endpoint or an empty history; :class:`ImportInterrupted`
    when it stopped part-way (after writing the partial inventory). ``sagemaker_client``
    lets a caller pass its own client (e.g. one wrapped in botocore's Stubber).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    out_path = Path(output)
    since_t = parse_when(since, "--since")
    until_t = parse_when(until, "--until", end_of_day=True)
    if since_t and until_t and until_t <= since_t:
        raise InputError(f"--until {until} is not after --since {since}", Location(field="--until"))
    if max_workers < 1:
        raise InputError(f"{max_workers} is not >= 1", Location(field="--workers"))
    now = now or datetime.now(UTC)

    with aws_errors("list SageMaker training jobs", region):
        session = make_session(region)
        region_name = resolve_region(session, region)
        sm = sagemaker_client or client(session, "sagemaker", region_name, max_workers=max_workers)

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show_progress,
        transient=True,
    )
    with progress:
        listing = progress.add_task("listing training jobs", total=None)
        with aws_errors("list SageMaker training jobs", region_name):
            summaries = list_training_jobs(
                sm,
                since_t,
                until_t,
                name_contains,
                on_page=lambda n: progress.update(listing, completed=n),
            )
        progress.update(listing, total=len(summaries), completed=len(summaries))
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
        wanted = [s["TrainingJobName"] for s in summaries if s.get("TrainingJobStatus") in IMPORTED_STATUSES]
        not_imported = {k: v for k, v in status.items() if k not in IMPORTED_STATUSES}
        describing = progress.add_task("describing training jobs", total=len(wanted))
        records, missing, error = describe_all(
            sm, wanted, max_workers, on_done=lambda: progress.advance(describing)
        )

    created = [_utc(r.created) for r in records]
    records = [_with_utc(r) for r in records]
    start, end = window_bounds(created, since_t, until_t, now)
    drafts, skipped = group_workloads(records, start, min(end, now), region_name)
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
        )

    header_scope = [
        "Imported from SageMaker by 'fitcheck import sagemaker' at " + now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"region {region_name}; jobs created {start.date()} to {min(end, now).date()}"
        + (f"; name contains {name_contains!r}" if name_contains else ""),
    ]
    if error is not None:
        target = partial_path(out_path)
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
            f"those jobs to {target}; {out_path} was not changed; run the import again to complete"
        )
        raise ImportInterrupted(message, res, input_error=_is_input_error(error, region_name))

    if not drafts:
        res = result(None, False)
        raise NothingToWrite(
            f"none of the {len(records)} described job(s) could be written as a workload "
            f"(see the SKIPPED lines); {out_path} was not written",
            res,
        )
    res = result(out_path, False)
    header = [*header_scope, *res.summary_lines()]
    atomic_write_text(out_path, render_inventory(drafts, skipped, header, region_name))
    return res


def _with_utc(r: JobRecord) -> JobRecord:
    from dataclasses import replace

    return replace(r, created=_utc(r.created))


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
    "describe_all",
    "render_inventory",
    "partial_path",
]
