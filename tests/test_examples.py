"""Every inventory in examples/ runs, and the example decisions are the ones we sign."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from tests.conftest import EXAMPLES, NOW

INVENTORIES = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yaml", ".yml", ".csv", ".parquet"))


@pytest.mark.parametrize("path", INVENTORIES, ids=lambda p: p.name)
def test_example_runs(path, tmp_path):
    result = CliRunner().invoke(app, ["analyze", str(path), "-f", "json", "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output


def test_example_decisions_are_the_ones_a_platform_engineer_signs():
    table = api.analyze(EXAMPLES / "workloads.yaml", now=NOW).table
    got = dict(zip(table["name"], table["decision"], strict=True))
    assert got == {
        "bert-doc-classifier": "enable",  # transformer, fp16, static, busy GPUs, big spend
        "roberta-intent-legacy": "skip",  # STC cannot run with SMDDP
        "llm-sft-weekly": "benchmark",  # large savings, but FSDP + compile needs checking
        "gpt2-support-chat": "skip",  # dynamic shapes: never breaks even until padded
        "t5-summarizer-debug": "skip",  # 12-minute debug runs
        "resnet50-defects": "skip",  # fp32: too little to gain
        "vit-product-tagger": "skip",  # input-bound at 41 % GPU
        "sd-unet-finetune": "benchmark",  # diffusion, spot: gains model-specific
        "ranker-custom-tower": "skip",  # custom model, small optimistic savings
        "xgb-churn": "skip",  # trees on CPU
        "tf-wide-deep": "skip",  # too small to pay for the work
        "jax-protein-lm": "skip",  # already compiled
        "distilbert-nightly-eval": "skip",  # $268/year
    }
    bert = table.set_index("name").loc["bert-doc-classifier"]
    assert bert["change"].startswith("model = torch.compile(model)")
    assert bert["recommended_batch_size"] == 50 and bert["learning_rate_scale"] == 1.562
