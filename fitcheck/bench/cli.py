"""The ``fitcheck bench`` command (torch-free at import; torch loads only in the workers).

Its options are generated from :class:`fitcheck.bench.config.BenchOptions` (one pydantic
field per option), so a flag, its default, its help and its bounds are written once.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from fitcheck.bench.options import PLACES, BenchOptions, flag_of, parse_options
from fitcheck.errors import EXIT_FAILURE, FitcheckError, InputError, Location, one_of, shown


def _typer_parameter(name: str, field: FieldInfo, options: type[BaseModel]) -> inspect.Parameter | None:
    """The command-line option of one field: flag from the field name (or its ``flag``), the
    field's help text and default; None for a field that is not on the command line."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if extra.get("flag") == "":
        return None
    decls = [flag_of(name, options)] + ([str(extra["short"])] if extra.get("short") else [])
    panel = extra.get("panel")
    option = typer.Option(*decls, help=field.description, rich_help_panel=str(panel) if panel else None)
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=field.default,
        annotation=Annotated[field.annotation, option],
    )


def command_signature(options: type[BaseModel], *leading: inspect.Parameter) -> inspect.Signature:
    """A typer command's signature generated from a pydantic options model."""
    params = [p for name, f in options.model_fields.items() if (p := _typer_parameter(name, f, options))]
    return inspect.Signature([*leading, *params], return_annotation=None)


def bench(ctx: typer.Context, **values: Any) -> None:
    """Measure eager vs compiled training steps (interleaved, with a confidence interval)."""
    if ctx.invoked_subcommand is not None:  # ``fitcheck bench collect ...``
        return
    run_bench_command(parse_options(values))


bench.__signature__ = command_signature(  # type: ignore[attr-defined]
    BenchOptions, inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
)


def run_bench_command(o: BenchOptions) -> None:
    """``fitcheck bench`` with validated options: a local run, or the pair sent to SageMaker."""
    if o.on not in PLACES:
        raise InputError(one_of(o.on, PLACES), Location(field="--on"))
    if o.on == "sagemaker":
        _on_sagemaker(o)
        return
    from fitcheck.bench.config import build_config

    cfg = build_config(o)
    _check_output(o.output)
    _check_device(cfg.device)
    from fitcheck.bench.results import write_bench_results
    from fitcheck.bench.runner import Progress, RichProgress, run_bench

    results = run_bench(cfg, Progress() if o.quiet else RichProgress())
    write_bench_results(results, o.output)
    from fitcheck.bench.report import render_summary

    typer.echo(render_summary(results))
    typer.echo(f"results written to {o.output}")
    if results.interrupted:
        raise FitcheckError("interrupted; the results file holds what was measured so far", EXIT_FAILURE)
    broken = [f"{n}: {b.reason}" for n, b in results.backends.items() if b.status in ("failed", "timed_out")]
    if broken:
        raise FitcheckError("backend failed: " + "; ".join(broken), EXIT_FAILURE)


def _check_device(device: str) -> None:
    """--device cuda on a machine without a visible CUDA device is bad input, said at once."""
    if device != "cuda":
        return
    import torch  # the bench command may import torch; analyze never does

    if not torch.cuda.is_available():
        raise InputError(
            "'cuda' asked, but torch sees no CUDA device on this machine; use --device cpu or auto",
            Location(field="--device"),
        )


def _check_output(output: Path) -> None:
    """Before measuring: the file must be replaceable and its folder exist (none is created)."""
    from fitcheck.io.atomic import check_output_path

    check_output_path(output)


HARNESS = "harness"
PAIRS = "pairs"
METHODS = (HARNESS, PAIRS)
# fields of BenchOptions that say where and how to run, not what ``fitcheck bench`` measures in
# the harness job (the job's own ``--output`` and ``--quiet`` are set by its entry point)
_NOT_FOR_THE_JOB = frozenset(
    {
        "output",
        "quiet",
        "on",
        "role",
        "image",
        "entry_point",
        "source_dir",
        "instance_type",
        "instance_count",
        "compiler",
        "region",
        "inventory",
        "method",
        "pairs",
        "like",
        "dry_run",
        "no_wait",
    }
)


def sagemaker_method(o: BenchOptions) -> str:
    """``--method``, or its default: the harness without ``--entry-point``, pairs with it (a
    script the user brought is what the pairs measure; the harness would leave it out)."""
    if o.method is None:
        return PAIRS if o.entry_point else HARNESS
    method = o.method.strip().lower()
    if method not in METHODS:
        raise InputError(one_of(o.method, METHODS), Location(field="--method"))
    return method


def _on_sagemaker(o: BenchOptions) -> None:
    """Hand the benchmark to SageMaker: no local work at all."""
    required = {"--workload": o.workload, "--role": o.role, "--image": o.image}
    for flag, value in required.items():
        if not value:
            raise InputError("is required with --on sagemaker", Location(field=flag))
    method = sagemaker_method(o)
    try:
        import fitcheck.aws.paired  # noqa: F401 - boto3 is an optional extra
    except ImportError as err:
        raise FitcheckError(f"running on SageMaker is not available here: {err}", EXIT_FAILURE) from None
    _check_output(o.output)
    if method == HARNESS:
        _harness_on_sagemaker(o)
    else:
        _pairs_on_sagemaker(o)


def _pairs_on_sagemaker(o: BenchOptions) -> None:
    """``--method pairs``: N pairs of eager and compiled jobs of the user's entry point."""
    from fitcheck.aws.paired import bench_on_sagemaker, collect_command

    if not o.entry_point:
        raise InputError(
            "is required with --method pairs: both jobs of a pair run your training script "
            "(without a script, --method harness runs fitcheck's own benchmark in one job)",
            Location(field="--entry-point"),
        )
    extra: dict[str, Any] = {"compiler": o.compiler} if o.compiler else {}
    outcome = bench_on_sagemaker(
        workload=str(o.workload),
        role=str(o.role),
        image=str(o.image),
        entry_point=str(o.entry_point),
        source_dir=o.source_dir,
        instance_type=o.instance_type,
        instance_count=o.instance_count,
        region=o.region,
        inventory=o.inventory,
        dry_run=o.dry_run,
        wait=not o.no_wait,
        output=o.output,
        like=o.like,
        pairs=o.pairs,
        **extra,
    )
    jobs = ", ".join(outcome.all_jobs or outcome.job_names)
    if not outcome.sent:
        typer.echo(f"SageMaker jobs {jobs}: not sent (dry run)")
        return
    typer.echo(f"SageMaker jobs {jobs}: sent; pair id {outcome.pair_id}")
    if outcome.results_path is None:
        typer.echo(f"when they have ended, collect the results with: {collect_command(outcome.pair_id)}")
        return
    typer.echo(f"results written to {outcome.results_path}")
    if outcome.results is not None:
        _fail_if_nothing_measured(outcome.results, outcome.results_path)


def _harness_on_sagemaker(o: BenchOptions) -> None:
    """``--method harness``: one job runs ``fitcheck bench`` with fitcheck's own entry point."""
    from fitcheck.aws.harness import bench_harness_on_sagemaker
    from fitcheck.aws.images import parse_image_uri
    from fitcheck.aws.paired import (
        TORCH_COMPILE,
        _workload_from_inventory,
        canonical_compiler,
        collect_command,
    )
    from fitcheck.bench.catalog import is_user_model
    from fitcheck.bench.config import build_config

    why = "the harness ships its own entry point and runs fitcheck's benchmark (--model ...)"
    for flag, given in (("--entry-point", o.entry_point), ("--source-dir", o.source_dir)):
        if given:
            raise InputError(
                f"{why}; leave out --entry-point and --source-dir, or pass --method pairs to measure "
                "your own script",
                Location(field=flag),
            )
    info = parse_image_uri(str(o.image))
    if o.method is None and (info.framework != "pytorch" or info.compiler_image):
        kind = "SageMaker Training Compiler" if info.compiler_image else (info.framework or "non-PyTorch")
        raise InputError(
            f"is required with the image {shown(o.image)}: a {kind} image is measured by pairs of jobs of "
            "your training script (the harness runs torch.compile in a PyTorch >= 2.0 image)",
            Location(field="--entry-point"),
        )
    if o.compiler and canonical_compiler(o.compiler) != TORCH_COMPILE:
        raise InputError(
            f"the harness measures torch.compile; {canonical_compiler(o.compiler)} lives in the container, "
            "so it is measured by pairs of jobs of your script: pass --method pairs and --entry-point",
            Location(field="--compiler"),
        )
    if o.like:
        raise InputError(
            "clones a past job into both jobs of a pair; it goes with --method pairs",
            Location(field="--like"),
        )
    if o.instance_count is not None and o.instance_count > 1:
        raise InputError(
            f"{o.instance_count} instances: the harness job runs on one instance (all its GPUs)",
            Location(field="--instance-count"),
        )
    if o.profile is not None:
        raise InputError(
            "a local profile does not travel into the job; the harness uses the bundled profile",
            Location(field="--profile"),
        )
    if o.model is None:
        raise InputError(
            "is required with --method harness: the catalog model the job benchmarks",
            Location(field="--model"),
        )
    if is_user_model(o.model):
        raise InputError(
            f"{shown(o.model)} is your own model factory, which the harness job does not have; pass a "
            "catalog model, or --method pairs with an entry point that trains your model",
            Location(field="--model"),
        )
    if o.framework.strip().lower() != "pytorch":
        raise InputError(
            "the harness runs torch.compile in a PyTorch image; for TensorFlow use --method pairs "
            "--compiler tf-xla",
            Location(field="--framework"),
        )
    build_config(o)  # every option the job's ``fitcheck bench`` gets is checked here first
    instance_type = o.instance_type
    if not instance_type and o.inventory is not None:
        instance_type = _workload_from_inventory(Path(o.inventory), str(o.workload)).get("instance_type")
    if not instance_type:
        raise InputError(
            "no instance type: pass --instance-type or --inventory", Location(field="--instance-type")
        )
    request, path = bench_harness_on_sagemaker(
        workload=str(o.workload),
        role=str(o.role),
        image=str(o.image),
        bench_args=harness_bench_args(o),
        instance_type=str(instance_type),
        region=o.region,
        dry_run=o.dry_run,
        wait=not o.no_wait,
        output=o.output,
    )
    job = request["TrainingJobName"]
    if o.dry_run:
        typer.echo(f"SageMaker job {job}: not sent (dry run)")
        return
    typer.echo(f"SageMaker job {job}: sent")
    if path is None:
        typer.echo(f"when it has ended, collect the results with: {collect_command(job)}")
        return
    typer.echo(f"results written to {path}")
    from fitcheck.io.evidence import load_bench_results

    _fail_if_nothing_measured(load_bench_results(path), path)


def harness_bench_args(o: BenchOptions) -> list[str]:
    """The ``fitcheck bench`` options the harness job runs with: every measurement option given
    a value other than its default (SageMaker's own options, --output and --quiet stay here)."""
    args: list[str] = []
    for name, field in BenchOptions.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if name in _NOT_FOR_THE_JOB or extra.get("flag") == "":
            continue
        value = getattr(o, name)
        if value == field.default:
            continue
        flag = flag_of(name)
        if isinstance(value, bool):  # a switch: "--x", or an on/off pair "--x/--no-x"
            on, _, off = flag.partition("/")
            args.append(on if value else (off or "--no-" + on.removeprefix("--")))
        else:
            args += [flag, str(value)]
    return args


def _fail_if_nothing_measured(results: Any, path: Path) -> None:
    """Exit 1, in one line, when a SageMaker run measured nothing (or some of its pairs nothing):
    the results file is written and says what failed."""
    failed = [c for c in results.comparisons if c.measurement == "failed"]
    pairs = results.config.get("pairs") if isinstance(results.config, dict) else None
    if failed or not results.comparisons:
        by_reason: dict[str, list[str]] = {}
        for n, b in results.backends.items():
            if b.status != "ok":
                by_reason.setdefault(b.reason or b.status, []).append(n)
        reasons = "; ".join(f"{', '.join(names)}: {why}" for why, names in by_reason.items())
        raise FitcheckError(
            f"the SageMaker run measured nothing ({reasons or 'no comparison'}); see {path}", EXIT_FAILURE
        )
    if isinstance(pairs, list):
        empty = [str(p.get("pair_id")) for p in pairs if isinstance(p, dict) and p.get("ratio") is None]
        if empty:
            raise FitcheckError(
                f"{len(empty)} of {len(pairs)} pairs measured nothing (pair {', '.join(empty)}); "
                f"the spread in {path} holds the others",
                EXIT_FAILURE,
            )


# --- fitcheck bench collect ----------------------------------------------------------------
PAIR_ID = re.compile(r"[0-9a-f]{6,16}")  # the hex id in fc-<workload>-<pair id>-e / -c
# SageMaker's training-job name pattern (CreateTrainingJob: TrainingJobName)
JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


class CollectOptions(BaseModel):
    """Options of ``fitcheck bench collect``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    output: Path | None = Field(
        None,
        description="Results JSON file (default: bench-JOB.json; for a pair bench-WORKLOAD-sagemaker.json)",
        json_schema_extra={"short": "-o"},
    )
    region: str | None = Field(None, description="AWS region")


def collect(ref: str, **values: Any) -> None:
    """Collect a SageMaker benchmark's results: a harness job by name, a paired run by pair id.

    For runs started with --no-wait, or left running after Ctrl-C. Exit 1 when the run measured
    nothing (the results file, written, says why).

    REF: a training-job name (harness job), or the hex pair id in fc-WORKLOAD-PAIRID-e / -c
    (the id printed at launch; for several pairs it collects them all).
    """
    o = parse_options(values, CollectOptions)
    if o.output is not None:
        _check_output(o.output)
    if PAIR_ID.fullmatch(ref):
        from fitcheck.aws.paired import collect_pair

        outcome = collect_pair(ref, region=o.region, output=o.output)
        typer.echo(f"pair {ref}: jobs {', '.join(outcome.all_jobs or outcome.job_names)}")
        typer.echo(f"results written to {outcome.results_path}")
        if outcome.results is not None and outcome.results_path is not None:
            _fail_if_nothing_measured(outcome.results, outcome.results_path)
        return
    if not JOB_NAME.fullmatch(ref):
        raise InputError(
            f"{shown(ref)} is neither a pair id (6 to 16 hex digits) nor a SageMaker training-job name "
            "(letters, digits and hyphens, at most 63)",
            Location(field="REF"),
        )
    from fitcheck.aws.harness import collect_harness

    path = collect_harness(ref, region=o.region, output=o.output)
    typer.echo(f"job {ref}: results written to {path}")
    from fitcheck.io.evidence import load_bench_results

    _fail_if_nothing_measured(load_bench_results(path), path)


collect.__signature__ = command_signature(  # type: ignore[attr-defined]
    CollectOptions,
    inspect.Parameter(
        "ref",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[
            str, typer.Argument(help="Training-job name (harness job) or pair id (paired jobs)")
        ],
    ),
)

COLLECT_EXAMPLES = """Examples:
fitcheck bench collect fitcheck-bench-nightly-bert-0f3a9c
fitcheck bench collect 0f3a9c2b -o bench/bert-sagemaker.json
"""

bench_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
bench_app.callback(invoke_without_command=True)(bench)
bench_app.command("collect", epilog=COLLECT_EXAMPLES)(collect)
