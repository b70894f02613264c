"""The command line: a thin layer over :mod:`fitcheck.api`.

Nothing heavy is imported at module level (no pandas, no torch, no boto3), so
``fitcheck --help`` answers at once. Each command parses options, calls one plain
function and writes the result.

One boundary for every command (:class:`OneLineErrors`): bad input of any kind (a file,
a value, an option, the output path) is one line on stderr and exit code 2; a fault that
is not the input's is one line with a bug-report hint and exit code 1; never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from fitcheck import __version__
from fitcheck.errors import EXIT_FAILURE, EXIT_INPUT, InputError, internal_error, one_line


class OneLineErrors(TyperGroup):
    """Every way a command can end, mapped to one line and a fixed exit code."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except _clicks("NoArgsIsHelpError"):
            code = EXIT_INPUT  # the help has been shown: a command is needed
        except _clicks("UsageError") as err:
            ctx = getattr(err, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            code = _say(f"error: {_message(err)}{where}", EXIT_INPUT)
        except _clicks("ClickException") as err:
            code = _say(f"error: {_message(err)}", getattr(err, "exit_code", EXIT_INPUT))
        except _clicks("Abort"):
            code = _say("aborted", 130)
        except InputError as err:
            code = _say(f"error: {err}", EXIT_INPUT)
        except OSError as err:
            if err.filename is None:
                code = _say(f"error: {internal_error(err)}", EXIT_FAILURE)
            else:  # a path given on the command line that the system refused
                code = _say(f"error: {err.filename}: {err.strerror or err}", EXIT_INPUT)
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as err:  # noqa: BLE001 - the last line of defence: no traceback
            code = _say(f"error: {internal_error(err)}", EXIT_FAILURE)
        if standalone_mode:
            sys.exit(code)
        return code


def _clicks(name: str) -> tuple[type[BaseException], ...]:
    """Click's exception ``name`` and typer's own copy of it (typer vendors click)."""
    import importlib

    modules: list[Any] = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            modules.append(importlib.import_module(module))
        except ImportError:
            pass
    return tuple(getattr(m, name) for m in modules if hasattr(m, name))


def _message(err: BaseException) -> str:
    format_message = getattr(err, "format_message", None)
    return str(format_message()) if callable(format_message) else str(err)


def _say(line: str, code: int) -> int:
    typer.echo(one_line(line), err=True)
    return code


app = typer.Typer(
    cls=OneLineErrors,
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

FORMATS_HELP = "table (terminal), json, csv, markdown or html; default: the --output suffix, else table"


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
    fmt: Annotated[str | None, typer.Option("--format", "-f", help=FORMATS_HELP)] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of the terminal")
    ] = None,
    group_by: Annotated[
        str | None, typer.Option("--group-by", help="Subtotals per value of a tag, e.g. --group-by team")
    ] = None,
) -> None:
    """Decide enable / benchmark / skip for every workload, with the dollars it moves."""
    from fitcheck import api

    try:
        _check_before_analysis(api, inventory, profile, bench or [], prices, fmt, output)
        result = api.analyze(inventory, profile_dir=profile, bench_paths=bench or [], prices_dir=prices)
        _deliver(api.emit(result, fmt=fmt, output=output, group_by=group_by), output)
    except InputError as err:
        raise fail_input(err) from None


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A saved 'fitcheck analyze --format json' file")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help=FORMATS_HELP)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file")] = None,
    group_by: Annotated[
        str | None, typer.Option("--group-by", help="Subtotals per value of a tag, e.g. --group-by team")
    ] = None,
) -> None:
    """Re-render a saved JSON analysis (no re-analysis, no network)."""
    from fitcheck import api
    from fitcheck.io.limits import MAX_ANALYSIS_JSON_BYTES, check_input_file

    try:
        check_input_file(results, MAX_ANALYSIS_JSON_BYTES)
        _check_format(api, fmt, output)
        if output is not None:
            from fitcheck.io.atomic import check_output_path

            check_output_path(output, [results])
        result = api.load_analysis(results)
        _deliver(api.emit(result, fmt=fmt, output=output, group_by=group_by), output)
    except InputError as err:
        raise fail_input(err) from None


def _check_before_analysis(
    api: Any,
    inventory: Path,
    profile: Path | None,
    bench: list[Path],
    prices: Path | None,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Options and files that can be checked without the analysis, checked first: a wrong
    output path or format costs nothing, however large the inventory."""
    from fitcheck.io.jsonfile import load_json
    from fitcheck.io.profiles import default_profile_dir

    _check_format(api, fmt, output)
    if output is not None:
        from fitcheck.io.atomic import check_output_path

        folder = profile if profile is not None else default_profile_dir()
        inputs = [
            inventory,
            *bench,
            *(folder / n for n in ("policy.yaml", "instances.csv", "tested_models.csv")),
        ]
        if prices is not None:
            inputs.append(prices / "prices.csv")
        check_output_path(output, inputs)
    for path in bench:
        load_json(path)  # size, nesting, finite numbers, no duplicate keys; the schema comes later


def _check_format(api: Any, fmt: str | None, output: Path | None) -> None:
    chosen = api.format_for_output(fmt, output) if hasattr(api, "format_for_output") else fmt
    api.parse_format(chosen)


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
