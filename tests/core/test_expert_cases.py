"""Workloads with the decision an expert platform engineer signs, written before the code.

Each case changes the seed workload (the README's BERT job: PyTorch 2.1, 8 x ml.g5.48xlarge,
6 h, 3 runs a week, fp16, static shapes, DDP, 93 % GPU) and states the decision, the
recommended compiler (``none`` when skipped) and why, in one line. Spend figures in the
rationales are on-demand catalog prices.
"""

from __future__ import annotations

from typing import Any

import pytest

from fitcheck.core.analysis import analyze_inventory
from tests.conftest import TODAY, inventory_frame

SEED: dict[str, Any] = {
    "name": "case",
    "framework": "pytorch",
    "framework_version": "2.1",
    "model": "bert-base-uncased",
    "instance_type": "ml.g5.48xlarge",
    "instance_count": 8,
    "duration_hours": 6,
    "runs_per_week": 3,
    "precision": "fp16",
    "input_shapes": "static",
    "batch_size": 32,
    "sequence_length": 128,
    "distribution": "ddp",
    "gpu_utilization": 0.93,
    "data_loading": "standard",
}
# A big LLM job: 4 x p4d (32 A100), 14 h, twice a week: about $147,000 a year.
LLM = {"instance_type": "ml.p4d.24xlarge", "instance_count": 4, "duration_hours": 14, "runs_per_week": 2}
LLM_BF16 = {**LLM, "precision": "bf16", "batch_size": 4, "sequence_length": 2048}
# A small job: one ml.g5.2xlarge, 2 h twice a week: about $315 a year.
SMALL = {"instance_type": "ml.g5.2xlarge", "instance_count": 1, "duration_hours": 2, "runs_per_week": 2}
# A large spend: about $500,000 a year on 8 x g5.48xlarge.
BIG = {"duration_hours": 12, "runs_per_week": 5}
STC = "sagemaker-training-compiler"
TC = "torch.compile"

E, B, S = "enable", "benchmark", "skip"

CASES: list[tuple[str, dict[str, Any], str, str, str]] = [
    # --- the seed scenario -------------------------------------------------------------------
    ("seed-bert", {}, E, TC, "transformer, fp16, static, busy GPUs, ~$152k/yr spend: the textbook fit"),
    (
        "seed-stable-diffusion",
        {"model": "stable-diffusion-v1-5 unet", "framework_version": "2.4", **LLM, "precision": "bf16"},
        B,
        TC,
        "diffusion UNet: gains real but model-specific, measure first",
    ),
    (
        "seed-xgboost",
        {
            "framework": "xgboost",
            "framework_version": "1.7",
            "model": "xgboost churn",
            "instance_type": "ml.m5.4xlarge",
        },
        S,
        "none",
        "gradient-boosted trees on CPU: no training-graph compiler applies",
    ),
    # --- frameworks that are out of scope -----------------------------------------------------
    (
        "lightgbm",
        {"framework": "lightgbm", "model": "lightgbm ranker", "instance_type": "ml.m5.4xlarge"},
        S,
        "none",
        "trees",
    ),
    (
        "sklearn",
        {"framework": "sklearn", "model": "logistic regression", "instance_type": "ml.m5.xlarge"},
        S,
        "none",
        "classical ML",
    ),
    (
        "jax",
        {
            "framework": "jax",
            "framework_version": "0.4.30",
            "model": "t5x",
            "instance_type": "ml.p5.48xlarge",
        },
        S,
        "none",
        "JAX already compiles through XLA",
    ),
    (
        "framework-other",
        {"framework": "other", "framework_version": None, "model": "mxnet resnet"},
        S,
        "none",
        "no PyTorch/TF graph to compile",
    ),
    ("pytorch-on-cpu", {"instance_type": "ml.m5.24xlarge"}, S, "none", "no GPU: out of scope"),
    (
        "pytorch-on-trainium",
        {"instance_type": "ml.trn1.32xlarge"},
        S,
        "none",
        "Neuron always compiles: nothing to turn on",
    ),
    (
        "already-compiled",
        {"compiler_enabled": True},
        S,
        "none",
        "compiler already on: keep it, savings not counted",
    ),
    # --- PyTorch versions ---------------------------------------------------------------------
    ("pt-2.0", {"framework_version": "2.0"}, E, TC, "torch.compile exists from 2.0"),
    ("pt-2.1-local-build", {"framework_version": "2.1.0+cu121"}, E, TC, "local version suffix is still 2.1"),
    (
        "pt-2.5",
        {
            "framework_version": "2.5.1",
            "instance_type": "ml.p5.48xlarge",
            "instance_count": 2,
            "precision": "bf16",
        },
        E,
        TC,
        "H100, bf16, transformer",
    ),
    (
        "pt-version-missing",
        {"framework_version": None},
        B,
        TC,
        "without a version torch.compile is not certain",
    ),
    (
        "pt-1.8-upgrade-first",
        {"framework_version": "1.8.1"},
        S,
        "none",
        "PyTorch 1.8: no torch.compile, no STC: upgrade first",
    ),
    (
        "pt-1.10.0-not-stc",
        {"framework_version": "1.10.0"},
        S,
        "none",
        "1.10.0 is not an STC release (1.10.2 is): upgrade first",
    ),
    (
        "pt-1.13-stc-tested",
        {"framework_version": "1.13"},
        E,
        STC,
        "1.13 -> 1.13.1, a native STC release; BERT tested on G5; static fp16: enable STC, frozen is a "
        "migration note",
    ),
    (
        "pt-1.12-stc-tested",
        {"framework_version": "1.12", "model": "roberta-base"},
        E,
        STC,
        "1.12 -> 1.12.0, roberta tested on G5",
    ),
    (
        "pt-1.13.1-stc-untested-model",
        {"framework_version": "1.13.1", "model": "two-tower ranking model"},
        B,
        STC,
        "only STC exists on 1.13.1; an untested custom model needs a measurement",
    ),
    (
        "pt-1.13.1-stc-on-p5",
        {"framework_version": "1.13.1", "instance_type": "ml.p5.48xlarge", "instance_count": 2},
        B,
        STC,
        "p5 is not a family STC was tested on: not enabled",
    ),
    (
        "pt-1.13.1-stc-on-g6",
        {"framework_version": "1.13.1", "instance_type": "ml.g6.48xlarge"},
        B,
        STC,
        "g6 is not a tested family",
    ),
    (
        "pt-1.13.1-stc-smddp",
        {
            "framework_version": "1.13.1",
            "model": "roberta-base",
            "instance_type": "ml.p3.16xlarge",
            "instance_count": 2,
            "distribution": "smddp",
        },
        S,
        "none",
        "STC is not compatible with SMDDP",
    ),
    (
        "pt-1.13.1-stc-fsdp",
        {"framework_version": "1.13.1", "distribution": "fsdp"},
        S,
        "none",
        "STC distributes only through pytorchxla, not FSDP",
    ),
    (
        "pt-1.12.0-stc-single-node",
        {"framework_version": "1.12.0", "instance_count": 1, "distribution": "none", **BIG},
        E,
        STC,
        "single node, 8 GPUs: pytorchxla distribution in the change",
    ),
    (
        "hf-1.9.0-stc",
        {
            "framework_version": "1.9.0",
            "transformers_version": "4.11.0",
            "instance_type": "ml.p3.8xlarge",
            "instance_count": 2,
            "duration_hours": 10,
            "runs_per_week": 5,
            "sequence_length": 512,
        },
        E,
        STC,
        "HF STC release 1.9.0 + transformers 4.11.0, BERT tested on P3 at 512: enable; launcher script "
        "for distribution",
    ),
    (
        "hf-1.9.0-cnn-no-stc",
        {"framework_version": "1.9.0", "model": "resnet50"},
        S,
        "none",
        "1.9.0 has STC only in the Hugging Face container; a ResNet has neither STC nor torch.compile",
    ),
    (
        "hf-1.10.2-wrong-transformers",
        {"framework_version": "1.10.2", "transformers_version": "4.30.0"},
        S,
        "none",
        "the STC container pins transformers 4.17.0: not a shipped release",
    ),
    (
        "hf-1.11-stc",
        {"framework_version": "1.11", "transformers_version": "4.21.1"},
        E,
        STC,
        "HF STC release 1.11.0",
    ),
    (
        "pt2-pytorchxla-keep",
        {"framework_version": "2.1", "distribution": "pytorchxla"},
        S,
        "none",
        "already compiles through XLA: keep, migration advice",
    ),
    # --- TensorFlow versions ------------------------------------------------------------------
    (
        "tf-2.14-transformer",
        {"framework": "tensorflow", "framework_version": "2.14"},
        E,
        "tf-xla",
        "TF 2.14 transformer, static fp16: jit_compile=True",
    ),
    (
        "tf-2.16-keras3",
        {"framework": "tensorflow", "framework_version": "2.16.1"},
        S,
        "none",
        "Keras 3 already uses XLA (jit_compile='auto'): verify, don't enable",
    ),
    (
        "tf-1.15",
        {"framework": "tensorflow", "framework_version": "1.15"},
        S,
        "none",
        "TF 1.x has no jit_compile: upgrade first",
    ),
    (
        "tf-2.10-stc-tested",
        {"framework": "tensorflow", "framework_version": "2.10"},
        E,
        STC,
        "TF 2.10.0 STC release, BERT tested on G5, static fp16",
    ),
    (
        "tf-2.11-custom",
        {"framework": "tensorflow", "framework_version": "2.11", "model": "wide-and-deep recommender"},
        B,
        "tf-xla",
        "custom TF model: jit_compile, measured first",
    ),
    (
        "tf-2.12-cnn",
        {"framework": "tensorflow", "framework_version": "2.12", "model": "ResNet50"},
        B,
        "tf-xla",
        "CNN: gains model-specific",
    ),
    # --- model families on torch.compile --------------------------------------------------------
    ("resnet50", {"model": "resnet50"}, B, TC, "CNN, not a transformer: smaller, model-specific gains"),
    ("resnext", {"model": "resnext101_32x8d"}, B, TC, "CNN"),
    ("wide-resnet", {"model": "wide_resnet50_2"}, B, TC, "CNN"),
    ("efficientnet", {"model": "efficientnet_b0"}, B, TC, "CNN"),
    ("convnext", {"model": "facebook/convnext-base-224"}, B, TC, "CNN"),
    ("mobilenet", {"model": "mobilenet_v3_large"}, B, TC, "CNN"),
    ("yolo", {"model": "yolov8n"}, B, TC, "CNN detector"),
    ("maskrcnn", {"model": "maskrcnn_resnet50_fpn"}, B, TC, "CNN detector"),
    ("inception", {"model": "inception_v3"}, B, TC, "CNN"),
    ("3dcnn", {"model": "activity-recognition-3dcnn"}, B, TC, "a 3-D CNN, not a ViT"),
    (
        "unet-segmentation",
        {"model": "unet-brain-mri-segmentation"},
        B,
        TC,
        "segmentation UNet: a CNN, not diffusion",
    ),
    ("vit", {"model": "google/vit-base-patch16-224"}, E, TC, "vision transformer"),
    ("deit", {"model": "facebook/deit-base-patch16-224"}, E, TC, "vision transformer"),
    ("swin", {"model": "microsoft/swin-base-patch4-window7-224"}, E, TC, "vision transformer"),
    ("segformer", {"model": "nvidia/segformer-b2-finetuned-ade-512-512"}, E, TC, "vision transformer"),
    ("roberta", {"model": "roberta-base"}, E, TC, "encoder"),
    ("deberta", {"model": "microsoft/deberta-v3-base"}, E, TC, "encoder"),
    ("electra", {"model": "google/electra-base-discriminator"}, E, TC, "encoder"),
    ("albert", {"model": "albert-base-v2"}, E, TC, "encoder"),
    ("t5", {"model": "t5-base"}, E, TC, "seq2seq transformer"),
    ("bart", {"model": "facebook/bart-large"}, E, TC, "seq2seq transformer"),
    ("whisper", {"model": "openai/whisper-small"}, E, TC, "speech transformer, fixed 30 s windows"),
    (
        "llama-fsdp",
        {"model": "meta-llama/Llama-2-7b-hf", **LLM_BF16, "distribution": "fsdp"},
        B,
        TC,
        "FSDP + compile: wrapping order and graph breaks",
    ),
    (
        "mistral-fsdp",
        {"model": "mistralai/Mistral-7B-v0.1", **LLM_BF16, "distribution": "fsdp"},
        B,
        TC,
        "FSDP",
    ),
    (
        "mixtral-deepspeed",
        {"model": "mistralai/Mixtral-8x7B-v0.1", **LLM_BF16, "distribution": "deepspeed"},
        B,
        TC,
        "DeepSpeed + MoE",
    ),
    (
        "falcon-deepspeed",
        {"model": "tiiuae/falcon-7b", **LLM_BF16, "distribution": "deepspeed"},
        B,
        TC,
        "DeepSpeed",
    ),
    (
        "gpt-neox-deepspeed",
        {"model": "EleutherAI/gpt-neox-20b", **LLM_BF16, "instance_count": 8, "distribution": "deepspeed"},
        B,
        TC,
        "DeepSpeed",
    ),
    (
        "qwen-ddp",
        {"model": "Qwen/Qwen2-1.5B", **LLM_BF16, "instance_count": 1, "runs_per_week": 3},
        E,
        TC,
        "1.5B LLM on one p4d, DDP, packed sequences, ~$55k/yr",
    ),
    (
        "phi-ddp",
        {"model": "microsoft/phi-2", **LLM_BF16, "instance_count": 1, "runs_per_week": 3},
        E,
        TC,
        "2.7B LLM, DDP",
    ),
    (
        "gemma-ddp",
        {"model": "google/gemma-2b", **LLM_BF16, "instance_count": 1, "runs_per_week": 3},
        E,
        TC,
        "LLM, DDP",
    ),
    (
        "pythia-ddp",
        {"model": "EleutherAI/pythia-1b", **LLM_BF16, "instance_count": 1, "runs_per_week": 3},
        E,
        TC,
        "LLM, DDP",
    ),
    (
        "deepseek-ddp",
        {
            "model": "deepseek-ai/deepseek-coder-1.3b-base",
            **LLM_BF16,
            "instance_count": 1,
            "runs_per_week": 3,
        },
        E,
        TC,
        "LLM, DDP",
    ),
    (
        "opt-ddp",
        {"model": "facebook/opt-1.3b", **LLM_BF16, "instance_count": 1, "runs_per_week": 3},
        E,
        TC,
        "LLM, DDP",
    ),
    (
        "bloom-ddp",
        {"model": "bigscience/bloom-560m", **LLM_BF16, "instance_count": 1, "runs_per_week": 3},
        E,
        TC,
        "LLM, DDP",
    ),
    ("sdxl", {"model": "stabilityai/stable-diffusion-xl-base-1.0", **LLM_BF16}, B, TC, "diffusion"),
    ("controlnet", {"model": "lllyasviel/sd-controlnet-canny", **LLM_BF16}, B, TC, "diffusion"),
    ("dit", {"model": "facebook/DiT-XL-2-256", **LLM_BF16}, B, TC, "diffusion transformer"),
    (
        "custom-two-tower",
        {"model": "two-tower ranking model"},
        B,
        TC,
        "custom: no published evidence, big spend",
    ),
    ("custom-adopt", {"model": "adopt-propensity-model"}, B, TC, "custom, not OPT"),
    ("custom-delphi", {"model": "delphi-risk-scorer"}, B, TC, "custom, not Phi"),
    (
        "custom-small",
        {"model": "two-tower ranking model", **SMALL},
        S,
        "none",
        "custom and small: not worth the work",
    ),
    # --- hardware generations -----------------------------------------------------------------
    (
        "bf16-on-v100",
        {"instance_type": "ml.p3.16xlarge", "precision": "bf16"},
        B,
        TC,
        "V100 has no bf16: fix (fp16) first, spend clears",
    ),
    (
        "tf32-on-t4-small",
        {"instance_type": "ml.g4dn.12xlarge", "instance_count": 1, "precision": "tf32"},
        S,
        "none",
        "T4 has no tf32 and the job is small",
    ),
    (
        "fp16-on-v100",
        {"instance_type": "ml.p3.16xlarge", "instance_count": 4},
        B,
        TC,
        "inductor on Volta: smaller, less documented gains",
    ),
    (
        "fp16-on-t4-big",
        {"instance_type": "ml.g4dn.12xlarge", "duration_hours": 24, "runs_per_week": 7},
        B,
        TC,
        "Turing: measure first",
    ),
    (
        "h100-bf16",
        {"instance_type": "ml.p5.48xlarge", "instance_count": 2, "precision": "bf16"},
        E,
        TC,
        "Hopper, bf16",
    ),
    ("l4-fp16", {"instance_type": "ml.g6.48xlarge"}, E, TC, "Ada L4"),
    (
        "a100-p4de",
        {"instance_type": "ml.p4de.24xlarge", "instance_count": 2, "precision": "bf16"},
        E,
        TC,
        "A100 80 GB",
    ),
    ("single-g5-small", {**SMALL}, S, "none", "$315/yr: under the floor"),
    # --- distribution libraries ---------------------------------------------------------------
    (
        "tc-smddp",
        {
            "instance_type": "ml.p4d.24xlarge",
            "instance_count": 4,
            "distribution": "smddp",
            "precision": "bf16",
        },
        E,
        TC,
        "SMDDP is orthogonal to torch.compile",
    ),
    ("tc-horovod", {"distribution": "horovod"}, E, TC, "Horovod works with compiled modules"),
    (
        "tc-smp",
        {**LLM_BF16, "model": "meta-llama/Llama-2-13b-hf", "distribution": "smp"},
        B,
        TC,
        "SMP v2 shards like FSDP",
    ),
    (
        "tc-none-single-gpu-big",
        {
            "instance_type": "ml.g5.16xlarge",
            "instance_count": 1,
            "distribution": "none",
            "duration_hours": 24,
            "runs_per_week": 7,
            "batch_size": 64,
        },
        E,
        TC,
        "one A10G, ~$45k/yr: savings clear the floor",
    ),
    # --- threshold edges and fixable blockers ---------------------------------------------------
    ("util-69", {"gpu_utilization": 0.69}, B, TC, "just under 70 %: warn band, not a cliff"),
    ("util-70", {"gpu_utilization": 0.70}, E, TC, "at the threshold"),
    (
        "input-bound-big",
        {"gpu_utilization": 0.41, "data_loading": "custom", **BIG},
        B,
        TC,
        "input-bound but $500k/yr: fix the loader first, then measure",
    ),
    ("input-bound-small", {"gpu_utilization": 0.41, **SMALL}, S, "none", "input-bound and small"),
    (
        "29-min-40-a-week",
        {"duration_hours": 29 / 60, "runs_per_week": 40},
        B,
        TC,
        "under the 30-min floor but twice past break-even, $165k/yr",
    ),
    (
        "29-min-small",
        {
            "duration_hours": 29 / 60,
            "runs_per_week": 2,
            "instance_type": "ml.g5.2xlarge",
            "instance_count": 1,
        },
        S,
        "none",
        "short and small",
    ),
    (
        "12-min-ci",
        {"duration_hours": 0.2, "runs_per_week": 20, "instance_type": "ml.g5.2xlarge", "instance_count": 1},
        S,
        "none",
        "under break-even",
    ),
    (
        "dynamic-tc-big",
        {"input_shapes": "dynamic", **BIG},
        B,
        TC,
        "$500k/yr dynamic BERT: pad first, then measure",
    ),
    (
        "dynamic-stc-big",
        {"input_shapes": "dynamic", "framework_version": "1.13.1", **BIG},
        B,
        STC,
        "STC compiles once per shape: pad first, then measure",
    ),
    (
        "dynamic-tf-small",
        {"framework": "tensorflow", "framework_version": "2.14", "input_shapes": "dynamic", **SMALL},
        S,
        "none",
        "dynamic and small",
    ),
    ("dynamic-tc-small", {"input_shapes": "dynamic", **SMALL}, S, "none", "dynamic and small"),
    ("fp32-big", {"precision": "fp32", **BIG}, B, TC, "fp32 on $500k/yr: enable AMP first, then measure"),
    (
        "fp32-cnn-small",
        {
            "precision": "fp32",
            "model": "resnet50",
            "instance_type": "ml.p3.8xlarge",
            "instance_count": 1,
            "duration_hours": 8,
            "runs_per_week": 2,
        },
        S,
        "none",
        "fp32 CNN, ~$12k spend: too little to gain",
    ),
    ("debugger-big", {"debugger": True, **BIG}, B, TC, "Debugger on: disable it first, then measure"),
    ("precision-unknown", {"precision": "unknown"}, B, TC, "precision unknown"),
    ("shapes-unknown", {"input_shapes": "unknown"}, B, TC, "shapes unknown"),
    ("util-unknown", {"gpu_utilization": None}, B, TC, "utilisation not measured"),
    # --- spot and cadence ---------------------------------------------------------------------
    ("spot-without-discount", {"spot": True}, E, TC, "priced on demand, said so; decision unchanged"),
    ("discount-without-spot", {"spot_discount": 0.6}, E, TC, "discount ignored, reported"),
    ("spot-with-discount", {"spot": True, "spot_discount": 0.6}, E, TC, "spot at 60 % off, still ~$61k/yr"),
    (
        "monthly-big",
        {
            "instance_type": "ml.p4d.24xlarge",
            "instance_count": 8,
            "duration_hours": 24,
            "runs_per_week": 12 / 52,
            "precision": "bf16",
        },
        E,
        TC,
        "monthly 24 h on 8 p4d: ~$58k/yr",
    ),
]


def _workload(changes: dict[str, Any]) -> dict[str, Any]:
    out = {**SEED, **changes}
    return {k: v for k, v in out.items() if v is not None}


@pytest.fixture(scope="module")
def table(profile):
    frame = inventory_frame(*[_workload({**c, "name": name}) for name, c, *_ in CASES])
    return analyze_inventory(frame, profile, TODAY).with_messages().set_index("name")


def test_the_table_is_large_and_covers_every_framework():
    assert len(CASES) >= 80
    assert len({n for n, *_ in CASES}) == len(CASES)
    frameworks = {_workload(c)["framework"] for _, c, *_ in CASES}
    assert frameworks == {"pytorch", "tensorflow", "jax", "xgboost", "lightgbm", "sklearn", "other"}
    distributions = {_workload(c)["distribution"] for _, c, *_ in CASES}
    assert distributions >= {"none", "ddp", "fsdp", "deepspeed", "horovod", "smddp", "smp", "pytorchxla"}


@pytest.mark.parametrize(("name", "changes", "decision", "compiler", "why"), CASES, ids=[c[0] for c in CASES])
def test_expert_case(table, name, changes, decision, compiler, why):
    row = table.loc[name]
    assert (row["decision"], row["compiler"]) == (decision, compiler), f"{why}: {row['main_reason']}"


def test_every_skip_carries_the_remedy_that_would_unblock_it(table):
    skips = table[table["decision"] == "skip"]
    assert len(skips) >= 20
    for name, row in skips.iterrows():
        assert row["unblock"], f"{name}: no remedy ({row['main_reason']})"


def test_seed_savings_are_about_34k(table):
    row = table.loc["seed-bert"]
    print("seed BERT savings/year mid:", round(row["savings_per_year_usd_mid"]))
    assert 31_000 <= row["savings_per_year_usd_mid"] <= 37_000
    assert row["change"].startswith("model = torch.compile(model)")


def test_resnet_is_a_cnn_on_the_cnn_prior_with_no_batch_advice(table):
    row = table.loc["resnet50"]
    assert row["model_family"] == "cnn"
    assert row["expected_speedup_mid"] < table.loc["seed-bert"]["expected_speedup_mid"]
    assert pd_isna(row["recommended_batch_size"])


def test_fixable_blockers_put_the_fix_first(table):
    for name, words in (
        ("dynamic-tc-big", "max_length"),
        ("dynamic-stc-big", "max_length"),
        ("fp32-big", "autocast"),
        ("input-bound-big", "DataLoader"),
        ("bf16-on-v100", "fp16"),
        ("debugger-big", "disable_profiler"),
    ):
        steps = table.loc[name]["next_steps"]
        assert words in steps[0], (name, steps)


def test_dynamic_shapes_are_modelled_per_compiler(table):
    tc, stc = table.loc["dynamic-tc-big"], table.loc["dynamic-stc-big"]
    # after the fix the plan's economics are the static ones; the as-is cost is in the finding
    assert "recompile" in tc["message_shape_stability"]
    assert "per distinct shape" in stc["message_shape_stability"]
    assert tc["savings_per_year_usd_mid"] > 5000


def test_already_on_counts_no_savings(table):
    row = table.loc["already-compiled"]
    assert "keep" in row["main_reason"].lower() or "already" in row["main_reason"].lower()


def test_stc_enable_carries_batch_lr_and_migration(table):
    row = table.loc["pt-1.13-stc-tested"]
    text = " ".join(row["next_steps"])
    assert "PyTorch 2" in text and "torch.compile" in text  # migration note
    assert row["change"].startswith("estimator: compiler_config=TrainingCompilerConfig()")
    assert "pytorchxla" in row["change"]
    hf = table.loc["hf-1.9.0-stc"]
    assert "sm_dist" in hf["change"] and "pytorchxla" not in hf["change"]


def test_multi_node_amdahl_is_said(table):
    row = table.loc["seed-bert"]
    assert "all-reduce" in row["evidence_source"]
    single = table.loc["pt-1.12.0-stc-single-node"]
    assert "all-reduce" not in single["evidence_source"]


def test_spot_pricing_is_reported(table):
    row = table.loc["spot-without-discount"]
    assert "on-demand" in row["message_pricing"]
    row = table.loc["discount-without-spot"]
    assert "spot" in row["message_pricing"] and "ignored" in row["message_pricing"]


def pd_isna(v):
    import pandas as pd

    return pd.isna(v)
