"""Typer command groups for AWS: ``fitcheck import sagemaker`` and ``fitcheck prices refresh``.

Thin wrappers: each parses options, calls one plain function of :mod:`fitcheck.aws` (which
imports boto3 only when it runs), prints a short summary and maps errors to exit codes:
bad input / credentials / region / access -> 2, an AWS failure part-way -> 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fitcheck.errors import EXIT_FAILURE, EXIT_INPUT, InputError

import_app = typer.Typer(
    help="Import workload inventories from where the truth lives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
prices_app = typer.Typer(
    help="Live instance prices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@import_app.callback()
def _import_group() -> None:
    """Import workload inventories from where the truth lives."""


@prices_app.callback()
def _prices_group() -> None:
    """Live instance prices."""


def _error(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


class _BarReporter:
    """A live progress bar on a terminal (rich), for the import's long steps."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[str, Any] = {}

    def start(self, task: str, total: int | None = None) -> None:
        if not self._tasks:
            self._bar.start()
        self._tasks[task] = self._bar.add_task(task, total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        if task in self._tasks:
            self._bar.advance(self._tasks[task], amount)

    def finish(self, task: str) -> None:
        if task in self._tasks:
            self._bar.remove_task(self._tasks.pop(task))
        if not self._tasks:
            self._bar.stop()


def _reporter(show: bool) -> Any:
    """A live bar on a terminal, plain periodic lines otherwise (logs, CI), nothing when off."""
    import sys

    from fitcheck.aws.progress import NullReporter, PlainReporter

    if not show:
        return NullReporter()
    if sys.stderr.isatty():
        return _BarReporter()
    return PlainReporter(sys.stderr)


@import_app.command("sagemaker")
def import_sagemaker_cmd(
    region: Annotated[
        str | None,
        typer.Option("--region", help="AWS region (default: AWS_DEFAULT_REGION / profile)"),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Jobs created on or after (YYYY-MM-DD or ISO time)"),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Jobs created up to this day, inclusive")
    ] = None,
    name_contains: Annotated[
        str | None, typer.Option("--name-contains", help="Only jobs whose name contains this")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Inventory to write")] = Path(
        "workloads.yaml"
    ),
    workers: Annotated[int, typer.Option("--workers", help="Concurrent AWS calls")] = 8,
    group_tag: Annotated[
        list[str] | None,
        typer.Option(
            "--group-tag", help="Tag whose value names the workload (repeatable; default: workload)"
        ),
    ] = None,
    stale_days: Annotated[
        float, typer.Option("--stale-days", help="A workload without a run for this many days has stopped")
    ] = 30.0,
    include_stopped: Annotated[
        bool, typer.Option("--include-stopped", help="Write stopped workloads too (tagged as stopped)")
    ] = False,
    gpu: Annotated[
        bool,
        typer.Option("--gpu-utilization/--no-gpu-utilization", help="Read GPU utilisation from CloudWatch"),
    ] = True,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a failed import from its partial files")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show progress on stderr")
    ] = True,
) -> None:
    """Import the SageMaker training-job history into a workload inventory."""
    from fitcheck.aws.grouping import DEFAULT_GROUP_TAGS
    from fitcheck.aws.importer import ImportInterrupted, NothingToWrite, import_sagemaker
    from fitcheck.aws.session import AwsFailure

    try:
        result = import_sagemaker(
            region=region,
            since=since,
            until=until,
            name_contains=name_contains,
            output=output,
            max_workers=workers,
            progress=_reporter(progress),
            group_tags=tuple(group_tag) if group_tag else DEFAULT_GROUP_TAGS,
            stale_days=stale_days,
            include_stopped=include_stopped,
            gpu_utilization=gpu,
            resume=resume,
        )
    except NothingToWrite as err:
        for line in err.result.summary_lines():
            typer.echo(line, err=True)
        raise _error(str(err), EXIT_INPUT) from None
    except InputError as err:
        raise _error(str(err), EXIT_INPUT) from None
    except ImportInterrupted as err:
        for line in err.result.summary_lines():
            typer.echo(line, err=True)
        raise _error(str(err), EXIT_INPUT if err.input_error else EXIT_FAILURE) from None
    except AwsFailure as err:
        raise _error(str(err), EXIT_FAILURE) from None
    for line in result.summary_lines():
        typer.echo(line)
    typer.echo(f"wrote {result.written}")


@prices_app.command("refresh")
def prices_refresh_cmd(
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Region whose prices to fetch (default: the inventory's, else us-east-1)"
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for prices.csv")] = Path("prices"),
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", help="Price the instance types of this inventory only"),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show progress on stderr")
    ] = True,
) -> None:
    """Fetch on-demand SageMaker training prices from the AWS Price List API."""
    from fitcheck.aws.prices import refresh_prices
    from fitcheck.aws.session import AwsFailure

    try:
        result = refresh_prices(
            region=region, output=output, inventory=inventory, progress=_reporter(progress)
        )
    except InputError as err:
        raise _error(str(err), EXIT_INPUT) from None
    except AwsFailure as err:
        raise _error(str(err), EXIT_FAILURE) from None
    dates = sorted({p.date for p in result.prices})
    typer.echo(
        f"{len(result.prices)} price(s) for {result.prices[0].region} written to {result.path} "
        f"(price dates {dates[0]} to {dates[-1]})"
    )
    if result.missing:
        typer.echo(f"no on-demand training price found for: {', '.join(result.missing)}")
