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
        # was "never breaks even": dynamic shapes are now modelled per compiler (torch.compile
        # goes dynamic after one recompile); it skips because even padded it saves under $5,000
        "gpt2-support-chat": "skip",
        # new: a monthly (12/52 runs a week) Hugging Face STC job on 4 nodes; the savings'
        # low end is under $5,000/year, so measure before enabling
        "bert-legal-monthly": "benchmark",
        "t5-summarizer-debug": "skip",  # 12-minute debug runs, within 2x break-even
        # fp32 is a fixable blocker now; it skips because even in bf16 it saves under $5,000
        "resnet50-defects": "skip",
        # input-bound at 41 % is a fixable blocker now; the job is too small to be worth it
        "vit-product-tagger": "skip",
        "sd-unet-finetune": "benchmark",  # diffusion, spot: gains model-specific
        "ranker-custom-tower": "skip",  # custom model, small optimistic savings
        "xgb-churn": "skip",  # trees on CPU
        "tf-wide-deep": "skip",  # too small to pay for the work
        "jax-protein-lm": "skip",  # already compiled
        "distilbert-nightly-eval": "skip",  # $268/year
    }
    by_name = table.set_index("name")
    bert = by_name.loc["bert-doc-classifier"]
    assert bert["change"].startswith("model = torch.compile(model)")
    # The tested-models batch is STC's, so torch.compile gets "measure it", not batch 50 x1.56
    assert bert["recommended_batch_size"] != bert["recommended_batch_size"]  # NaN
    assert any("--find-max-batch" in step for step in bert["next_steps"])
    # every skip says what would unblock it
    skips = by_name[by_name["decision"] == "skip"]
    assert skips["unblock"].map(bool).all(), skips["unblock"]
    monthly = by_name.loc["bert-legal-monthly"]
    assert monthly["compiler"] == "sagemaker-training-compiler"
    assert monthly["recommended_batch_size"] == 24 and monthly["learning_rate_scale"] == 1.5
    # the legacy STC job: its remedy is the upgrade
    assert "upgrade to PyTorch 2.x" in by_name.loc["roberta-intent-legacy", "unblock"]
