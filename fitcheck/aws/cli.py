"""Typer command groups for AWS: ``fitcheck import sagemaker`` and ``fitcheck prices refresh``.

Thin wrappers: each parses options, calls one plain function of :mod:`fitcheck.aws` (which
imports boto3 only when it runs) and prints a short summary. Failures are raised, not printed:
the command line's one handler (``fitcheck.cli``) prints each as one line with its exit code
(bad input / credentials / region / access -> 2, an AWS failure part-way -> 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fitcheck.errors import InputError, Location

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


IMPORT_EXAMPLES = """Examples:
fitcheck import sagemaker --region us-east-1 --since 2025-01-01
fitcheck import sagemaker --name-contains bert --group-tag team -o bert.yaml
fitcheck import sagemaker --resume        continue a stopped import
Then: fitcheck analyze workloads.yaml
"""

PRICES_EXAMPLES = """Examples:
fitcheck prices refresh --region eu-west-1       adds a region to prices/
fitcheck prices refresh --inventory workloads.yaml -o prices
Then: fitcheck analyze workloads.yaml --prices prices
"""


@import_app.command("sagemaker", epilog=IMPORT_EXAMPLES)
def import_sagemaker_cmd(
    region: Annotated[
        str | None,
        typer.Option(
            "--region", metavar="REGION", help="AWS region (default: AWS_DEFAULT_REGION or the profile's)"
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="Jobs created on or after (YYYY-MM-DD or ISO time)"),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Jobs created up to this day, inclusive")
    ] = None,
    name_contains: Annotated[
        str | None, typer.Option("--name-contains", help="Only jobs whose name contains this")
    ] = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FILE", help="Inventory to write (its folder must exist)"),
    ] = Path("workloads.yaml"),
    workers: Annotated[int, typer.Option("--workers", help="Concurrent AWS calls")] = 8,
    group_tag: Annotated[
        list[str] | None,
        typer.Option(
            "--group-tag",
            metavar="TAG",
            help="Tag whose value names the workload (repeatable; default: workload)",
        ),
    ] = None,
    stale_days: Annotated[
        float,
        typer.Option(
            "--stale-days", metavar="DAYS", help="A workload without a run for this many days has stopped"
        ),
    ] = 30.0,
    include_stopped: Annotated[
        bool, typer.Option("--include-stopped", help="Write stopped workloads too (tagged as stopped)")
    ] = False,
    gpu: Annotated[
        bool,
        typer.Option(
            "--gpu-utilization/--no-gpu-utilization",
            show_default=False,
            help="Read GPU utilisation from CloudWatch (default: on)",
        ),
    ] = True,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a failed import from its partial files")
    ] = False,
    progress: Annotated[
        bool,
        typer.Option("--progress/--no-progress", show_default=False, help="Progress on stderr (default: on)"),
    ] = True,
) -> None:
    """Import the SageMaker training-job history into a workload inventory."""
    from fitcheck.aws.grouping import DEFAULT_GROUP_TAGS
    from fitcheck.aws.importer import import_sagemaker
    from fitcheck.io.atomic import check_output_path

    check_output_path(output)  # before any AWS call: a wrong path costs nothing
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
    for line in result.summary_lines():
        typer.echo(line)
    typer.echo(f"wrote {result.written}")


@prices_app.command("refresh", epilog=PRICES_EXAMPLES)
def prices_refresh_cmd(
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="Region whose prices to fetch and add (default: the inventory's regions, else us-east-1)",
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FOLDER", help="Folder for prices.csv (created; its parent must exist)"
        ),
    ] = Path("prices"),
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", metavar="FILE", help="Price the instance types of this inventory only"),
    ] = None,
    progress: Annotated[
        bool,
        typer.Option("--progress/--no-progress", show_default=False, help="Progress on stderr (default: on)"),
    ] = True,
) -> None:
    """Fetch on-demand SageMaker training prices from the AWS Price List API."""
    from fitcheck.aws.prices import refresh_prices

    _prices_folder(output)
    result = refresh_prices(region=region, output=output, inventory=inventory, progress=_reporter(progress))
    dates = sorted({p.date for p in result.prices})
    kept = f"; {result.kept} earlier row(s) kept" if result.kept else ""
    typer.echo(
        f"{len(result.prices)} price(s) for {', '.join(result.regions)} written to {result.path} "
        f"(price dates {dates[0]} to {dates[-1]}{kept})"
    )
    if result.missing:
        typer.echo(f"no on-demand training price found for: {', '.join(result.missing)}")


def _prices_folder(folder: Path) -> None:
    """The price folder named by ``--output``, checked before any AWS call: an existing folder,
    or a new one in an existing folder (the fetch creates that one folder, never its parents)."""
    from fitcheck.aws.prices import PRICES_FILE
    from fitcheck.io.atomic import check_output_path

    where = Location(str(folder), field="--output")
    if folder.exists() and not folder.is_dir():
        raise InputError("is a file; give the folder prices.csv goes to", where)
    if folder.is_dir():
        check_output_path(folder / PRICES_FILE, option="--output")
    else:
        check_output_path(folder, option="--output")  # its parent must exist and be writable
