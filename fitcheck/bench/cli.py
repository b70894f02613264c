"""The ``fitcheck bench`` command (torch-free at import; torch loads only in the workers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fitcheck.errors import EXIT_FAILURE, FitcheckError, InputError, Location, one_of

PLACES = ("local", "sagemaker")


def _fail_input(err: InputError) -> InputError:
    """Bad input goes to the command line's one handler (fitcheck.cli: one line, exit code 2)."""
    return err


def bench(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Catalog name (e.g. bert-base-uncased, gpt2-tiny) or package.module:function",
        ),
    ] = None,
    workload: Annotated[
        str | None, typer.Option("--workload", help="Inventory workload these results stand for")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Per-device batch")] = None,
    seq_len: Annotated[int | None, typer.Option("--seq-len", help="Sequence length (text)")] = None,
    image_size: Annotated[
        int | None, typer.Option("--image-size", help="Image size (vision; latent size for UNet)")
    ] = None,
    precision: Annotated[str, typer.Option("--precision", help="fp32, fp16 or bf16")] = "fp32",
    backends: Annotated[
        str | None,
        typer.Option(
            "--backends",
            help="Baseline plus candidates: eager,inductor (default), xla, openxla; "
            "with --framework tensorflow: tf-eager,tf-xla (default)",
        ),
    ] = None,
    framework: Annotated[
        str,
        typer.Option("--framework", help="pytorch (default) or tensorflow (Keras, jit_compile off vs on)"),
    ] = "pytorch",
    device: Annotated[str, typer.Option("--device", help="auto, cuda or cpu")] = "auto",
    min_steps: Annotated[int, typer.Option("--min-steps", help="Fewest steady steps")] = 20,
    max_seconds: Annotated[
        float, typer.Option("--max-seconds", help="Time budget of the steady measurement")
    ] = 120.0,
    target_ci: Annotated[
        float, typer.Option("--target-ci", help="Stop when the 95 % interval is within ± this")
    ] = 0.03,
    dynamic_shapes: Annotated[
        bool, typer.Option("--dynamic-shapes", help="Also measure with a size that varies per step")
    ] = False,
    find_max_batch: Annotated[
        bool, typer.Option("--find-max-batch", help="Search the largest batch per backend (GPU)")
    ] = False,
    warmup_steps: Annotated[int, typer.Option("--warmup-steps", help="Compile/warm-up steps")] = 3,
    block_steps: Annotated[int, typer.Option("--block-steps", help="Steps per block")] = 5,
    max_blocks: Annotated[int, typer.Option("--max-blocks", help="Most blocks per backend")] = 200,
    loss_tolerance: Annotated[
        float | None,
        typer.Option("--loss-tolerance", help="Relative loss difference allowed (default by precision)"),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of weights and batches")] = 0,
    profile: Annotated[
        Path | None,
        typer.Option(
            "--profile", help="Profile whose measured thresholds decide when to stop (default: bundled)"
        ),
    ] = None,
    warmup_timeout: Annotated[
        float, typer.Option("--warmup-timeout", help="Seconds a worker may take to build and compile")
    ] = 1800.0,
    block_timeout: Annotated[
        float, typer.Option("--block-timeout", help="Seconds one block may take before its worker is stopped")
    ] = 600.0,
    threads: Annotated[
        int | None, typer.Option("--threads", help="Threads per worker (default: equal shares of the cores)")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="torch.compile mode: default, reduce-overhead, max-autotune")
    ] = "default",
    warm_compile: Annotated[
        bool,
        typer.Option(
            "--measure-warm-compile",
            help="Also time inductor's compile from its filled cache in a fresh process (recurring jobs)",
        ),
    ] = False,
    compile_scope: Annotated[
        str,
        typer.Option(
            "--compile-scope",
            help="model: torch.compile(model); step: the whole step (forward, backward, optimizer)",
        ),
    ] = "model",
    gpu: Annotated[
        int | None, typer.Option("--gpu", help="Which visible CUDA device (index into CUDA_VISIBLE_DEVICES)")
    ] = None,
    warm_compile_cache: Annotated[
        bool,
        typer.Option(
            "--warm-compile-cache",
            help="Let inductor reuse its on-disk cache (compile time then understates a fresh run)",
        ),
    ] = False,
    output: Annotated[Path, typer.Option("--output", "-o", help="Results JSON file")] = Path(
        "bench-results.json"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display")] = False,
    on: Annotated[str, typer.Option("--on", help="Where to run: local or sagemaker")] = "local",
    role: Annotated[str | None, typer.Option("--role", help="SageMaker execution role ARN")] = None,
    image: Annotated[str | None, typer.Option("--image", help="Training image URI")] = None,
    entry_point: Annotated[
        str | None, typer.Option("--entry-point", help="Training script (SageMaker)")
    ] = None,
    source_dir: Annotated[
        Path | None, typer.Option("--source-dir", help="Folder of the training code (SageMaker)")
    ] = None,
    instance_type: Annotated[
        str | None, typer.Option("--instance-type", help="e.g. ml.g5.2xlarge (SageMaker)")
    ] = None,
    instance_count: Annotated[
        int | None, typer.Option("--instance-count", help="Instances (SageMaker)")
    ] = None,
    compiler: Annotated[
        str | None,
        typer.Option("--compiler", help="sagemaker-training-compiler, torch.compile or tf-xla (SageMaker)"),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region")] = None,
    inventory: Annotated[
        Path | None, typer.Option("--inventory", help="Inventory to look the workload up in")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="SageMaker: print the jobs, start nothing")
    ] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="SageMaker: start the jobs and return")] = False,
) -> None:
    """Measure eager vs compiled training steps (interleaved, with a confidence interval)."""
    if on not in PLACES:
        raise _fail_input(InputError(one_of(on, PLACES), Location(field="--on")))
    if on == "sagemaker":
        _on_sagemaker(
            workload=workload,
            role=role,
            image=image,
            entry_point=entry_point,
            source_dir=source_dir,
            instance_type=instance_type,
            instance_count=instance_count,
            compiler=compiler,
            region=region,
            inventory=inventory,
            dry_run=dry_run,
            wait=not no_wait,
            output=output,
        )
        return
    from fitcheck.bench.config import build_config

    try:
        if model is None:
            raise InputError("is required for a local benchmark", Location(field="--model"))
        cfg = build_config(
            model=model,
            workload=workload,
            batch_size=batch_size,
            seq_len=seq_len,
            image_size=image_size,
            precision=precision,
            backends=backends,
            device=device,
            min_steps=min_steps,
            max_seconds=max_seconds,
            target_ci=target_ci,
            dynamic_shapes=dynamic_shapes,
            find_max_batch=find_max_batch,
            warmup_steps=warmup_steps,
            block_steps=block_steps,
            max_blocks=max_blocks,
            seed=seed,
            loss_tolerance=loss_tolerance,
            cold_compile_cache=not warm_compile_cache,
            profile=str(profile) if profile is not None else None,
            warmup_timeout=warmup_timeout,
            block_timeout=block_timeout,
            threads=threads,
            mode=mode,
            gpu=gpu,
            warm_compile=warm_compile,
            compile_scope=compile_scope,
            framework=framework,
        )
        _check_output(output)
        _check_device(cfg.device)
        from fitcheck.bench.results import write_bench_results
        from fitcheck.bench.runner import Progress, RichProgress, run_bench

        results = run_bench(cfg, Progress() if quiet else RichProgress())
    except InputError as err:
        raise _fail_input(err) from None
    write_bench_results(results, output)
    from fitcheck.bench.report import render_summary

    typer.echo(render_summary(results))
    typer.echo(f"results written to {output}")
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


def _on_sagemaker(
    *,
    workload: str | None,
    role: str | None,
    image: str | None,
    entry_point: str | None,
    source_dir: Path | None,
    instance_type: str | None,
    instance_count: int | None,
    compiler: str | None,
    region: str | None,
    inventory: Path | None,
    dry_run: bool,
    wait: bool,
    output: Path,
) -> None:
    """Hand the paired benchmark to SageMaker: no local work at all."""
    required = {"--workload": workload, "--role": role, "--image": image, "--entry-point": entry_point}
    for flag, value in required.items():
        if not value:
            raise _fail_input(InputError("is required with --on sagemaker", Location(field=flag)))
    try:
        from fitcheck.aws.paired import bench_on_sagemaker
    except ImportError as err:
        raise FitcheckError(f"running on SageMaker is not available here: {err}", EXIT_FAILURE) from None
    _check_output(output)
    extra: dict[str, Any] = {"compiler": compiler} if compiler else {}
    try:
        outcome = bench_on_sagemaker(
            workload=str(workload),
            role=str(role),
            image=str(image),
            entry_point=str(entry_point),
            source_dir=source_dir,
            instance_type=instance_type,
            instance_count=instance_count,
            region=region,
            inventory=inventory,
            dry_run=dry_run,
            wait=wait,
            output=output,
            **extra,
        )
    except InputError as err:
        raise _fail_input(err) from None
    state = "sent" if outcome.sent else "not sent (dry run)"
    typer.echo(f"SageMaker jobs {', '.join(outcome.job_names)}: {state}")
    if outcome.results_path is not None:
        typer.echo(f"results written to {outcome.results_path}")
