"""Bench options are defined once (``BenchOptions``): the command, the checks and the config.

The command's options are generated from the pydantic fields; these tests hold the flags, the
defaults and the results' ``config`` keys in place, and show that what the command line gives
is what the run gets.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fitcheck.bench import cli as bench_cli
from fitcheck.bench import runner
from fitcheck.bench.config import BenchConfig, BenchOptions, build_config, flag_of
from fitcheck.cli import app
from fitcheck.errors import InputError

# Every flag the command has had (a flag may be added; none may disappear or change name).
FLAGS = {
    "--model", "-m", "--workload", "--batch-size", "--seq-len", "--image-size", "--precision",
    "--backends", "--framework", "--device", "--min-steps", "--max-seconds", "--target-ci",
    "--dynamic-shapes", "--find-max-batch", "--warmup-steps", "--block-steps", "--max-blocks",
    "--loss-tolerance", "--seed", "--profile", "--warmup-timeout", "--block-timeout", "--threads",
    "--mode", "--measure-warm-compile", "--compile-scope", "--gpu", "--warm-compile-cache",
    "--output", "-o", "--quiet", "-q", "--on", "--role", "--image", "--entry-point", "--source-dir",
    "--instance-type", "--instance-count", "--compiler", "--region", "--inventory", "--dry-run",
    "--no-wait",
}  # fmt: skip
# The keys of the results' ``config`` block (readers rely on them).
CONFIG_KEYS = {
    "model", "workload", "batch_size", "size_kind", "size", "precision", "backends", "device",
    "min_steps", "max_seconds", "target_ci", "confidence", "dynamic_shapes", "find_max_batch",
    "warmup_steps", "block_steps", "max_blocks", "seed", "learning_rate", "loss_tolerance",
    "parity_steps", "cold_compile_cache", "enable_above", "skip_below", "decision_confidence",
    "profile", "warmup_timeout", "block_timeout", "threads", "mode", "gpu", "warm_compile",
    "compile_scope", "grad_parity", "framework", "optimizer", "block_lead_steps", "dropout",
}  # fmt: skip


def _command_flags() -> set[str]:
    import typer.main

    group = typer.main.get_command(bench_cli.bench_app)
    return {o for p in group.params for o in p.opts} - {"--help"}


def test_the_command_has_every_flag_and_each_comes_from_one_field() -> None:
    flags = _command_flags()
    assert flags >= FLAGS, FLAGS - flags
    params = inspect.signature(bench_cli.bench).parameters
    on_cli = [n for n in BenchOptions.model_fields if flag_of(n).startswith("--")]
    assert list(params)[1:] == on_cli  # ctx, then one parameter per field, in field order
    derived = {n: flag_of(n) for n in on_cli if flag_of(n) != "--" + n.replace("_", "-")}
    # the one flag kept from before, and an on/off pair for an option that is on by default
    assert derived == {
        "warm_compile": "--measure-warm-compile",
        "grad_parity": "--grad-parity/--no-grad-parity",
    }
    for name in on_cli:
        field = BenchOptions.model_fields[name]
        assert field.description, name
        assert params[name].default == field.default, name


def test_config_block_keeps_its_keys() -> None:
    cfg = build_config(model="gpt2-tiny", device="cpu")
    assert set(cfg.to_json()) == CONFIG_KEYS
    assert cfg.to_json()["backends"] == ["eager", "inductor"]
    assert cfg.cold_compile_cache is True and cfg.loss_tolerance == 1e-2


def _cfg_from_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> BenchConfig:
    seen: list[BenchConfig] = []

    class Stop(Exception):
        pass

    def fake_run(cfg: BenchConfig, progress: object = None) -> None:
        seen.append(cfg)
        raise Stop

    monkeypatch.setattr(runner, "run_bench", fake_run)
    res = CliRunner().invoke(app, ["bench", "-q", *args, "-o", str(tmp_path / "r.json")])
    assert isinstance(res.exception, Stop) or seen, res.output
    return seen[0]


def test_the_command_line_gives_the_run_what_the_python_api_gives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plain = _cfg_from_cli(monkeypatch, tmp_path, "-m", "gpt2-tiny", "--device", "cpu")
    assert plain == build_config(model="gpt2-tiny", device="cpu")
    args = (
        "-m", "gpt2-tiny", "--device", "CPU", "--batch-size", "3", "--seq-len", "32",
        "--precision", "BF16", "--backends", "inductor,eager,xla", "--min-steps", "7",
        "--max-seconds", "9.5", "--target-ci", "0.05", "--warmup-steps", "4", "--block-steps", "2",
        "--max-blocks", "30", "--seed", "5", "--loss-tolerance", "0.2", "--warmup-timeout", "60",
        "--block-timeout", "30", "--threads", "2", "--mode", "max-autotune", "--measure-warm-compile",
        "--compile-scope", "step", "--gpu", "1", "--warm-compile-cache", "--dynamic-shapes",
    )  # fmt: skip
    got = _cfg_from_cli(monkeypatch, tmp_path, *args)
    expected = build_config(
        model="gpt2-tiny",
        device="cpu",
        batch_size=3,
        seq_len=32,
        precision="bf16",
        backends="eager,inductor,xla",
        min_steps=7,
        max_seconds=9.5,
        target_ci=0.05,
        warmup_steps=4,
        block_steps=2,
        max_blocks=30,
        seed=5,
        loss_tolerance=0.2,
        warmup_timeout=60,
        block_timeout=30,
        threads=2,
        mode="max-autotune",
        warm_compile=True,
        compile_scope="step",
        gpu=1,
        warm_compile_cache=True,
        dynamic_shapes=True,
    )
    assert got == expected
    assert (got.size_kind, got.size, got.backends, got.cold_compile_cache) == (
        "seq_len",
        32,
        ("eager", "inductor", "xla"),
        False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-blocks", "1"], "error: --max-blocks: 1 must be at least 2"),
        (["--warmup-steps", "1"], "error: --warmup-steps: 1 must be at least 2"),
        (["--gpu", "2000"], "error: --gpu: 2000 must be between 0 and 1024 (a device index: 0, 1, ...)"),
        (["--target-ci", "nan"], "error: --target-ci: nan is not valid: Input should be a finite number"),
        (["--loss-tolerance", "-1"], "error: --loss-tolerance: -1.0 must be greater than 0"),
        (["--instance-count", "0", "--on", "sagemaker"], "error: --instance-count: 0 must be at least 1"),
    ],
)
def test_a_value_out_of_bounds_is_one_line_naming_the_flag(args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["bench", "-m", "gpt2-tiny", *args])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip().splitlines() == [message]


def test_the_python_api_names_a_wrong_keyword_and_a_wrong_value() -> None:
    with pytest.raises(InputError, match=r"^cold_cache: is not an option; the options are model, "):
        build_config(model="gpt2-tiny", cold_cache=True)
    with pytest.raises(InputError, match=r"^learning_rate: 0.0 must be greater than 0$"):
        build_config(model="gpt2-tiny", learning_rate=0.0)
    with pytest.raises(
        InputError, match=r"^--min-steps: 'many' is not valid: Input should be a valid integer"
    ):
        build_config(model="gpt2-tiny", min_steps="many")
