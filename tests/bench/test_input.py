"""Bad input: one clear line on stderr and exit code 2, before any model is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fitcheck.bench.catalog import catalog_names
from fitcheck.bench.results import load_bench_results
from fitcheck.cli import app
from fitcheck.errors import InputError

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bench" / "bert-tiny-cpu.json"


def _bench(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["bench", "-q", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_unknown_model_lists_the_catalog(tmp_path: Path) -> None:
    code, out = _bench("--model", "bert-tiny", "-o", str(tmp_path / "r.json"))
    assert code == 2
    assert "--model: 'bert-tiny' is not one of" in out
    for name in catalog_names():
        assert name in out
    assert "Traceback" not in out
    assert not (tmp_path / "r.json").exists()


def test_catalog_has_every_architecture_with_a_tiny_variant() -> None:
    names = set(catalog_names())
    for base in (
        "bert-base-uncased",
        "roberta-base",
        "distilbert-base-uncased",
        "gpt2",
        "t5-small",
        "vit-base",
        "resnet50",
        "stable-diffusion-v1-5-unet",
    ):
        assert base in names and f"{base}-tiny" in names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "no_such_pkg_xyz.models:build"], "cannot import module 'no_such_pkg_xyz.models'"),
        (["--model", "json:"], "is not 'package.module:function'"),
        (["--model", "gpt2-tiny", "--seq-len", "4096"], "--seq-len: 4096 is impossible for gpt2-tiny"),
        (["--model", "vit-base-tiny", "--image-size", "30"], "a multiple of 4"),
        (["--model", "vit-base-tiny", "--seq-len", "16"], "vit-base-tiny takes --image-size"),
        (["--model", "gpt2-tiny", "--batch-size", "0"], "--batch-size: 0 must be greater than 0"),
        (["--model", "gpt2-tiny", "--backends", "eager,tvm"], "'tvm' is not one of eager, inductor"),
        (["--model", "gpt2-tiny", "--backends", "eager"], "names no candidate"),
        (["--model", "gpt2-tiny", "--precision", "half"], "'half' is not one of fp32, fp16, bf16"),
        (["--model", "gpt2-tiny", "--target-ci", "3"], "--target-ci: 3.0 must be between 0 and 1"),
        (["--model", "gpt2-tiny", "--device", "tpu"], "'tpu' is not one of auto, cuda, cpu"),
        (["--on", "laptop"], "--on: 'laptop' is not one of local, sagemaker"),
        (["--model", "gpt2-tiny", "--mode", "fast"], "--mode: 'fast' is not one of default, reduce-overhead"),
        (
            ["--model", "gpt2-tiny", "--compile-scope", "graph"],
            "--compile-scope: 'graph' is not one of model, step",
        ),
        (["--model", "gpt2-tiny", "--precision", "fp16", "--compile-scope", "step"], "fp16 gradient scaler"),
        (["--model", "gpt2-tiny", "--threads", "0"], "--threads: 0 must be between 1 and 4096"),
        (["--model", "gpt2-tiny", "--block-timeout", "0"], "--block-timeout: 0.0 must be greater than 0"),
        (["--on", "sagemaker", "--role", "r"], "--workload: is required with --on sagemaker"),
        ([], "--model: is required"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    code, out = _bench(*args)
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


def test_function_missing_in_an_importable_module_exits_2(tmp_path: Path) -> None:
    out_file = tmp_path / "r.json"
    code, out = _bench("--model", "bench_usermodels:no_such_factory", "-o", str(out_file))
    assert code == 2, out
    assert "module 'bench_usermodels' has no function 'no_such_factory'" in out
    assert not out_file.exists()


def test_factory_returning_the_wrong_thing_exits_2(tmp_path: Path) -> None:
    code, out = _bench("--model", "bench_usermodels:not_a_triple", "-o", str(tmp_path / "r.json"))
    assert code == 2, out
    assert "must return (model, make_batch, loss_fn)" in out


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("{not json", "bad.json:1: not valid JSON"),
        ("[1, 2]", "bad.json: expected a JSON object"),
        ('{"kind": "something-else"}', "bad.json: kind: 'something-else' is not"),
        (
            '{"kind": "fitcheck-bench-results", "fitcheck_version": "0.1.0"}',
            "bad.json: format_version: None is not 2",
        ),
        (
            '{"kind": "fitcheck-bench-results", "format_version": 2, "fitcheck_version": "0.1.0"}',
            "bad.json: created_at: missing",
        ),
        ('{"kind": "fitcheck-bench-results", "kind": "x"}', "bad.json: duplicate key 'kind'"),
    ],
)
def test_bad_results_file_names_file_and_field(tmp_path: Path, content: str, where: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(InputError) as err:
        load_bench_results(bad)
    assert str(err.value).replace(str(tmp_path) + "/", "").startswith(where)


def test_bad_field_value_in_results_file(tmp_path: Path) -> None:
    example = json.loads(EXAMPLE.read_text())
    example["comparisons"][0]["speedup"]["mid"] = "fast"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(example))
    with pytest.raises(InputError, match=r"comparisons\[0\]\.speedup\.mid: 'fast'"):
        load_bench_results(bad)


def test_example_results_file_loads() -> None:
    res = load_bench_results(EXAMPLE)
    assert res.model == "bert-base-uncased-tiny"
    assert {c.candidate for c in res.comparisons} >= {"inductor", "xla"}
    for c in res.comparisons:
        assert c.measurement == "interval" and c.blocks >= 10
        assert c.speedup is not None and c.speedup.low <= c.speedup.mid <= c.speedup.high
    assert all(b.status == "ok" for b in res.backends.values())


def test_cuda_asked_without_a_gpu_is_bad_input(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        app, ["bench", "-q", "--model", "gpt2-tiny", "--device", "cuda", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "--device: 'cuda' asked, but torch sees no CUDA device" in result.stderr
    assert not out.exists()
