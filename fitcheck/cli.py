"""The command line: a thin layer over :mod:`fitcheck.api`.

Nothing heavy is imported at module level (no pandas, no torch, no boto3), so
``fitcheck --help`` answers at once. Each command parses options, calls one plain
function and writes the result.

One boundary for every command, ``analyze``, ``report``, ``bench``, ``import`` and ``prices``
alike (:class:`OneLineErrors`): an expected failure is a :class:`~fitcheck.errors.FitcheckError`
and says its own exit code: bad input of any kind (a file, a value, an option, the output
path, missing AWS credentials) is one line on stderr and exit code 2; an expected failure that
is not the input's (an AWS call that kept failing) is one line and exit code 1; anything else
is one line with a bug-report hint and exit code 1; never a traceback. Commands raise; they do
not print errors themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from fitcheck import __version__
from fitcheck.errors import (
    EXIT_FAILURE,
    EXIT_INPUT,
    FitcheckError,
    InputError,
    Location,
    internal_error,
    one_line,
)


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
        _plain_metavars(self)
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
        except FitcheckError as err:
            for line in err.details:  # context first (e.g. what a stopped import kept) ...
                typer.echo(one_line(line), err=True)
            code = _say(f"error: {err}", err.exit_code)  # ... then the one line that says what failed
        except ModuleNotFoundError as err:
            install = _EXTRAS.get((err.name or "").split(".")[0])
            if install is None:
                code = _say(f"error: {internal_error(err)}", EXIT_FAILURE)
            else:  # an optional part that is not installed: say how to install it
                code = _say(
                    f"error: this command needs the Python package {err.name!r}, which is not installed; "
                    f"install it with: pip install 'fitcheck[{install}]'",
                    EXIT_FAILURE,
                )
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


# Optional packages and the extra that installs each (pyproject.toml).
_EXTRAS = {
    "boto3": "aws",
    "botocore": "aws",
    "torch": "bench",
    "torchvision": "bench",
    "transformers": "bench",
    "diffusers": "bench",
    "torch_xla": "xla",
    "tensorflow": "tf",
    "keras_hub": "tf",
}
_METAVARS = {"Path": "PATH", "int": "N", "float": "NUMBER"}


def _plain_metavars(command: Any) -> None:
    """Help in the user's words: a value is shown as PATH, N, NUMBER or TEXT (never a Python
    type such as ``<list[Path]>``), a flag shows none, an argument its name in capitals.
    Applies to every command of the tree, whichever module defines it; an explicit
    ``metavar=`` is kept."""
    for sub in getattr(command, "commands", {}).values():
        _plain_metavars(sub)
    params = list(getattr(command, "params", ()))
    make_context = getattr(command, "context_class", None)
    if make_context is not None and getattr(command, "add_help_option", False):
        params.append(command.get_help_option(make_context(command)))  # built on first use
    for param in params:
        if param is None or param.metavar is not None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif getattr(param, "param_type_name", "") == "argument":
            param.metavar = str(param.name).upper()
            setattr(param, "display_type_rich", _no_type)  # noqa: B010 - the name says it all
        else:
            descriptor = getattr(param, "type_descriptor", None)
            annotation = getattr(descriptor, "annotation", str)
            inner = getattr(annotation, "__args__", None)
            if inner and getattr(annotation, "__origin__", None) is list:
                annotation = inner[0]
            param.metavar = _METAVARS.get(getattr(annotation, "__name__", ""), "TEXT")


def _no_type(ctx: Any) -> None:
    return None


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
    epilog="""Examples:
fitcheck analyze examples/workloads.yaml      decide, per job
fitcheck analyze jobs.yaml -o fit.html        the report for a reviewer
fitcheck bench -m bert-base-uncased           measure the speedup here
fitcheck import sagemaker --since 2025-01-01  inventory from SageMaker
fitcheck COMMAND --help                       a command's options, examples
Exit codes: 0 done, 2 bad input (one line: what and where), 1 other failure.
""",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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

FORMATS_HELP = "table, json, csv, markdown or html; default: from the --output suffix, else table"
OUTPUT_HELP = "Write to this file (its folder must exist) instead of the terminal"
GROUP_BY_HELP = "Subtotals per value of a tag, e.g. --group-by team"


ANALYZE_EXAMPLES = """Examples:
fitcheck analyze examples/workloads.yaml        the table on the terminal
fitcheck analyze jobs.csv -o fit.html           HTML, from the suffix
fitcheck analyze jobs.yaml --bench bench.json   with a measured speedup
fitcheck analyze jobs.yaml -f json -o fit.json  saved for 'fitcheck report'
"""

REPORT_EXAMPLES = """Examples:
fitcheck report fit.json                         the table on the terminal
fitcheck report fit.json -o fit.html             HTML, from the suffix
fitcheck report fit.json -f csv --group-by team  CSV, subtotals per team
"""


@app.command(epilog=ANALYZE_EXAMPLES)
def analyze(
    inventory: Annotated[Path, typer.Argument(help="Workload inventory: .yaml/.yml, .csv or .parquet")],
    profile: Annotated[
        Path | None,
        typer.Option("--profile", metavar="FOLDER", help="Profile folder (default: the bundled one)"),
    ] = None,
    bench: Annotated[
        list[Path] | None,
        typer.Option(
            "--bench", metavar="FILE", help="Benchmark results JSON from 'fitcheck bench' (repeatable)"
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices", metavar="FOLDER", help="Price folder from 'fitcheck prices refresh' (live prices)"
        ),
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", metavar="FORMAT", help=FORMATS_HELP)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help=OUTPUT_HELP)] = None,
    group_by: Annotated[str | None, typer.Option("--group-by", metavar="TAG", help=GROUP_BY_HELP)] = None,
) -> None:
    """Decide enable / benchmark / skip for every workload, with the dollars it moves."""
    from fitcheck import api

    _check_before_analysis(api, inventory, profile, bench or [], prices, fmt, output)
    result = api.analyze(inventory, profile_dir=profile, bench_paths=bench or [], prices_dir=prices)
    _deliver(api.emit(result, fmt=fmt, output=output, group_by=group_by), output)


@app.command(epilog=REPORT_EXAMPLES)
def report(
    results: Annotated[Path, typer.Argument(help="A saved 'fitcheck analyze --format json' file")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", metavar="FORMAT", help=FORMATS_HELP)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help=OUTPUT_HELP)] = None,
    group_by: Annotated[str | None, typer.Option("--group-by", metavar="TAG", help=GROUP_BY_HELP)] = None,
) -> None:
    """Re-render a saved JSON analysis (no re-analysis, no network)."""
    from fitcheck import api
    from fitcheck.io.limits import MAX_ANALYSIS_JSON_BYTES, check_input_file

    check_input_file(results, MAX_ANALYSIS_JSON_BYTES)
    _check_format(api, fmt, output)
    if output is not None:
        from fitcheck.io.atomic import check_output_path

        check_output_path(output, [results])
    result = api.load_analysis(results)
    _deliver(api.emit(result, fmt=fmt, output=output, group_by=group_by), output)


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


def _check_format(api: Any, fmt: str | None, output: Path | None, tty: bool | None = None) -> None:
    """The format is known; HTML goes to a file or a pipe, never onto an interactive terminal."""
    chosen = api.format_for_output(fmt, output) if hasattr(api, "format_for_output") else fmt
    if api.parse_format(chosen).value == "html" and output is None:
        if sys.stdout.isatty() if tty is None else tty:
            raise InputError(
                "html is a page for a browser, not for the terminal; add -o report.html "
                "(or pipe it: ... > report.html)",
                Location(field="--format"),
            )


# --- other command groups register below (each module is import-light) --------------------
# (bench, import, prices)
from fitcheck.bench.cli import bench_app as _bench_app  # noqa: E402

BENCH_EXAMPLES = """Examples:
fitcheck bench -m bert-base-uncased --batch-size 32 --precision bf16
fitcheck bench -m gpt2-tiny --device cpu --max-seconds 60 -o gpt2.json
fitcheck bench -m mypkg.models:build --workload nightly-bert -o bench.json
Then: fitcheck analyze jobs.yaml --bench bench.json
SageMaker, one job running the interleaved benchmark (torch.compile):
fitcheck bench --on sagemaker -m gpt2 --instance-type ml.g5.xlarge --workload W --role ARN --image URI
SageMaker, pairs of jobs of your own script (STC, TensorFlow):
fitcheck bench --on sagemaker --entry-point train.py --inventory jobs.yaml --workload W --role ARN --image URI
Collect a --no-wait SageMaker run: fitcheck bench collect JOB|PAIR-ID
"""

app.add_typer(_bench_app, name="bench", epilog=BENCH_EXAMPLES)

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
