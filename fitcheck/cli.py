"""The command line: a thin layer over :mod:`fitcheck.api`.

Nothing heavy is imported at module level (no pandas, no torch, no boto3), so
``fitcheck --help`` answers at once. Each command parses options, calls one plain
function, writes the result and maps :class:`~fitcheck.errors.InputError` to exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fitcheck import __version__
from fitcheck.errors import EXIT_INPUT, InputError

app = typer.Typer(
    name="fitcheck",
    help="Should a training job turn on a graph compiler, and what is it worth?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail_input(err: InputError) -> typer.Exit:
    """Print one clear line for bad input and return the exit to raise."""
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(EXIT_INPUT)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fitcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """fitcheck: workload-fit decisions and cost savings for ML training compilers."""


def _deliver(text: str, output: Path | None) -> None:
    """Terminal output when no file was asked for; a one-line receipt otherwise."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        typer.echo(f"wrote {output}", err=True)


# --- analyze -----------------------------------------------------------------------------

FORMATS_HELP = "table (terminal), json, csv, markdown or html"


@app.command()
def analyze(
    inventory: Annotated[Path, typer.Argument(help="Workload inventory: .yaml/.yml, .csv or .parquet")],
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Profile folder (default: the bundled one)")
    ] = None,
    bench: Annotated[
        list[Path] | None,
        typer.Option("--bench", help="Benchmark results JSON from 'fitcheck bench' (repeatable)"),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Price folder from 'fitcheck prices refresh' (live prices)"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=FORMATS_HELP)] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of the terminal")
    ] = None,
) -> None:
    """Decide enable / benchmark / skip for every workload, with the dollars it moves."""
    from fitcheck import api

    try:
        result = api.analyze(inventory, profile_dir=profile, bench_paths=bench or [], prices_dir=prices)
        _deliver(api.emit(result, fmt=fmt, output=output), output)
    except InputError as err:
        raise fail_input(err) from None


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A saved 'fitcheck analyze --format json' file")],
    fmt: Annotated[str, typer.Option("--format", "-f", help=FORMATS_HELP)] = "html",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file")] = None,
) -> None:
    """Re-render a saved JSON analysis (no re-analysis, no network)."""
    from fitcheck import api

    try:
        result = api.load_analysis(results)
        _deliver(api.emit(result, fmt=fmt, output=output), output)
    except InputError as err:
        raise fail_input(err) from None


# --- other command groups register below (each module is import-light) --------------------
# (bench, import, prices)
from fitcheck.bench.cli import bench as _bench_cmd  # noqa: E402

app.command("bench")(_bench_cmd)

from fitcheck.aws.cli import import_app, prices_app  # noqa: E402

app.add_typer(import_app, name="import")
app.add_typer(prices_app, name="prices")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
