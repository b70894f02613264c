"""Benchmark plans that can produce the evidence they ask for, per compiler and cluster shape."""

from __future__ import annotations

import shlex

import pytest

from fitcheck.core.analysis import analyze_inventory
from tests.conftest import TODAY, inventory_frame, workload

# A workload that is benchmarked (a CNN: model-specific gains), one node by default.
CNN = {"model": "resnet50", "instance_count": 1, "runs_per_week": 20}


@pytest.fixture(scope="module")
def rows(profile):
    frame = inventory_frame(
        workload(name="local", **CNN),
        workload(name="multi", **{**CNN, "instance_count": 4}),
        workload(name="stc", framework_version="1.13.1", model="two-tower ranker", runs_per_week=20),
        workload(name="tf", framework="tensorflow", framework_version="2.14", **CNN),
        workload(
            name="llm-big",
            model="meta-llama/Llama-2-70b-hf",
            instance_type="ml.p4d.24xlarge",
            instance_count=1,
            precision="bf16",
            distribution="fsdp",
        ),
        workload(name="seg", **{**CNN, "model": "unet-brain-mri-segmentation"}),
        workload(name="sd", **{**CNN, "model": "stable-diffusion-v1-5 unet"}),
        workload(name="v100", **{**CNN, "instance_type": "ml.p3.16xlarge", "precision": "bf16"}),
        workload(name="odd name; rm -rf ~", **CNN),
    )
    return analyze_inventory(frame, profile, TODAY).table.set_index("name")


def test_every_plan_row_is_a_benchmark(rows):
    assert (rows["decision"] == "benchmark").all(), rows["decision"]


def test_single_node_pytorch_runs_locally_on_the_single_gpu_sibling(rows, profile):
    row = rows.loc["local"]
    assert row["plan_command"].startswith("fitcheck bench --model resnet50 --workload local")
    assert "--backends eager,inductor" in row["plan_command"] and "xla" not in row["plan_command"]
    assert "ml.g5.xlarge" in row["plan_where"]  # the cheapest one-A10G instance
    price = profile.instances.loc["ml.g5.xlarge", "price_usd_per_hour"]
    assert row["plan_cost_usd"] == pytest.approx(2 * profile.policy.benchmark.hours_per_variant * price)


def test_multi_node_stc_tf_and_big_models_are_paired_sagemaker_jobs(rows, profile):
    b = profile.policy.benchmark
    for name, compiler, count in (
        ("multi", "torch.compile", 4),
        ("stc", "sagemaker-training-compiler", 2),
        ("tf", "tf-xla", 1),
        ("llm-big", "torch.compile", 1),
    ):
        row = rows.loc[name]
        assert row["plan_command"].startswith(f"fitcheck bench --on sagemaker --workload {name} "), name
        assert f"--compiler {compiler}" in row["plan_command"]
        assert f"--instance-count {count}" in row["plan_command"]
        # eager and compiled, three pairs, every instance of the shape
        assert b.sagemaker_pairs == 3 and f"--pairs {b.sagemaker_pairs} " in row["plan_command"]
        assert row["plan_hours"] == pytest.approx(2 * 3 * b.sagemaker_hours_per_variant * count)
        assert row["plan_cost_usd"] == pytest.approx(
            2 * 3 * b.sagemaker_hours_per_variant * count * row["hourly_price_usd"]
        )
        assert "3 pairs" in row["plan_where"] and "not an interval" in row["plan_decide_by"]


def test_a_catalog_architecture_only_when_the_model_is_that_architecture(rows):
    assert "--model your_package.module:make_training_step" in rows.loc["seg"]["plan_command"]
    assert "--model stable-diffusion-v1-5-unet" in rows.loc["sd"]["plan_command"]


def test_precision_is_one_the_gpu_supports(rows):
    assert "--precision fp16" in rows.loc["v100"]["plan_command"]  # V100 has no bf16
    assert "--precision fp16" in rows.loc["local"]["plan_command"]


def test_user_values_are_shell_quoted(rows):
    name = "odd name; rm -rf ~"
    cmd = rows.loc[name]["plan_command"]
    assert f"--workload {shlex.quote(name)}" in cmd
    assert shlex.split(cmd)[shlex.split(cmd).index("--workload") + 1] == name


@pytest.fixture(scope="module")
def stc_rows(profile):
    big = {"runs_per_week": 10}
    frame = inventory_frame(
        # TF 2.10 ResNet152 on ml.g5.48xlarge: the table's 1536/1792 is a global batch over 8 GPUs
        workload(
            name="tf-resnet152",
            framework="tensorflow",
            framework_version="2.10",
            model="ResNet152",
            batch_size=192,
            **big,
        ),
        # PyTorch 1.13.1 BERT at 512 tokens on ml.g5.48xlarge: the 512-token row (29 -> 50)
        workload(name="bert-512", framework_version="1.13.1", sequence_length=512, batch_size=29, **big),
        # at 128 tokens on ml.g5.4xlarge: 288 from a current 32 is x9: only with a warm-up
        workload(
            name="bert-128",
            framework_version="1.13.1",
            instance_type="ml.g5.4xlarge",
            instance_count=1,
            sequence_length=128,
            duration_hours=24,
            runs_per_week=14,
        ),
        # 256 tokens: neither 128 nor 512 is within 1.5x, so no batch is advised
        workload(name="bert-256", framework_version="1.13.1", sequence_length=256, **big),
        # torch.compile: never the STC batch, "measure it"
        workload(name="tc", sequence_length=128, **big),
    )
    return analyze_inventory(frame, profile, TODAY).table.set_index("name")


def test_global_batch_rows_are_normalised_per_gpu(stc_rows):
    row = stc_rows.loc["tf-resnet152"]
    assert row["compiler"] == "sagemaker-training-compiler"
    assert row["recommended_batch_size"] == 1792 // 8
    text = " ".join(row["next_steps"])
    assert "global batch" in text


def test_the_batch_keys_on_release_instance_and_nearest_length(stc_rows):
    assert stc_rows.loc["bert-512", "recommended_batch_size"] == 50
    assert stc_rows.loc["bert-512", "learning_rate_scale"] == pytest.approx(50 / 29, abs=1e-3)
    assert stc_rows.loc["bert-128", "recommended_batch_size"] == 288
    assert (
        stc_rows.loc["bert-256", "recommended_batch_size"]
        != stc_rows.loc["bert-256", "recommended_batch_size"]
    )
    assert any("no row" in s for s in stc_rows.loc["bert-256", "next_steps"])


def test_a_large_learning_rate_rescale_comes_with_a_warm_up(stc_rows):
    row = stc_rows.loc["bert-128"]
    assert row["learning_rate_scale"] == pytest.approx(9.0)
    step = next(s for s in row["next_steps"] if s.startswith("Start at batch size 288"))
    assert "warm-up" in step and "x9.0" in step


def test_torch_compile_batch_advice_is_measure_it(stc_rows):
    row = stc_rows.loc["tc"]
    assert row["recommended_batch_size"] != row["recommended_batch_size"]
    assert any("--find-max-batch" in s for s in row["next_steps"])
