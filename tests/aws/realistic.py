"""A realistic SageMaker history as DescribeTrainingJob + ListTags responses (real shapes).

What a platform team's account holds after two months: a nightly fine-tune, two sweeps of a
hyperparameter-tuning job, a SageMaker Pipelines step, jobs named freely but tagged with their
workload, SDK-default names from two different models, two sequence lengths of one model that
are two workloads, zero-padded run counters, a workload that stopped in April, one that turned
the compiler on half-way, one that upgraded its framework, one that moved to a bigger instance
and one to two instances, a one-off experiment, fitcheck's own benchmark pair, and a failed job.
:data:`EXPECTED` is the grouping the importer must find, exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .history import ECR, HF_IMAGE, PT_IMAGE, XGB_IMAGE, sdk_hyperparameters

NOW = datetime(2024, 6, 1, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
HF_TRCOMP_T5 = (
    f"{ECR}/huggingface-pytorch-trcomp-training:1.11.0-transformers4.21.1-gpu-py38-cu113-ubuntu20.04"
)
HF_T5 = f"{ECR}/huggingface-pytorch-training:1.11.0-transformers4.21.1-gpu-py38-cu113-ubuntu20.04"
PT201_IMAGE = f"{ECR}/pytorch-training:2.0.1-gpu-py310-cu118-ubuntu20.04-sagemaker"
# Training seconds of the before / after workloads: medians 4200 -> 3600, 5300 -> 4200, 8200 -> 4800.
QA_SECONDS = (4000, 4100, 4200, 4300, 4400, 3500, 3600, 3700)
SDXL_SECONDS = (5000, 5200, 5400, 5600, 4000, 4200, 4400)
NER_SECONDS = (8000, 8000, 8400, 8400, 4600, 4800, 5000)


def arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{kind}/{name}"


def sdk_ts(t: datetime) -> str:
    """The SageMaker SDK's job-name suffix."""
    return t.strftime("%Y-%m-%d-%H-%M-%S-") + f"{t.microsecond // 1000:03d}"


def describe(
    name: str,
    created: datetime,
    image: str,
    instance: str,
    hp: dict[str, Any],
    secs: int,
    billable: int | None = None,
    *,
    count: int = 1,
    spot: bool = False,
    debugger: bool = True,
    status: str = "Completed",
    groups: list[dict[str, Any]] | None = None,
    tuning: str | None = None,
) -> dict[str, Any]:
    start = created + timedelta(minutes=5)
    d: dict[str, Any] = {
        "TrainingJobName": name,
        "TrainingJobArn": arn("training-job", name),
        "TrainingJobStatus": status,
        "SecondaryStatus": status,
        "HyperParameters": sdk_hyperparameters(hp),
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole",
        "OutputDataConfig": {"S3OutputPath": "s3://acme/out"},
        "ResourceConfig": {"InstanceType": instance, "InstanceCount": count, "VolumeSizeInGB": 100},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": created,
        "TrainingStartTime": start,
        "TrainingEndTime": start + timedelta(seconds=secs),
        "LastModifiedTime": start + timedelta(seconds=secs + 60),
        "TrainingTimeInSeconds": secs,
        "BillableTimeInSeconds": billable if billable is not None else secs,
        "EnableManagedSpotTraining": spot,
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://acme/out/{name}/output/model.tar.gz"},
    }
    if tuning:
        d["TuningJobArn"] = arn("hyper-parameter-tuning-job", tuning)
    if groups:
        d["ResourceConfig"] = {"InstanceGroups": groups, "VolumeSizeInGB": 100}
    if debugger:
        d["DebugHookConfig"] = {"S3OutputPath": "s3://acme/debug"}
        d["ProfilerConfig"] = {"S3OutputPath": "s3://acme/prof", "ProfilingIntervalInMilliseconds": 500}
    return d


def tags(**kv: str) -> list[dict[str, str]]:
    return [{"Key": k.replace("__", ":").replace("_", "-"), "Value": v} for k, v in kv.items()]


BERT = {
    "model_name_or_path": "bert-base-uncased",
    "fp16": True,
    "per_device_train_batch_size": 32,
    "max_seq_length": 128,
    "pad_to_max_length": True,
}


def realistic_history() -> tuple[list[tuple[dict[str, Any], list[dict[str, str]]]], dict[str, Any]]:
    """(DescribeTrainingJob response, its tags) per imported job, and one Failed summary."""
    jobs: list[tuple[dict[str, Any], list[dict[str, str]]]] = []
    team = tags(team="nlp", cost_centre="cc-42")
    for d in range(14):  # nightly fine-tune, SDK-style names from a base job name
        t = T0 + timedelta(days=d)
        jobs.append(
            (describe(f"bert-nightly-{sdk_ts(t)}", t, HF_IMAGE, "ml.g5.12xlarge", BERT, 7000 + 100 * d), team)
        )
    for week, day in ((0, 19), (1, 26)):  # two sweeps of one tuning job, six trials each
        parent = f"bert-hpo-2405{day:02d}-0900"
        for trial in range(1, 7):
            t = T0 + timedelta(days=day - 1, hours=7, minutes=10 * trial)
            jobs.append(
                (
                    describe(
                        f"{parent}-{trial:03d}-{(0x3F2A9C10 + 16 * trial + week):08x}",
                        t,
                        HF_IMAGE,
                        "ml.g5.2xlarge",
                        {**BERT, "learning_rate": 1e-5 * trial},
                        1800,
                        debugger=False,
                        tuning=parent,
                    ),
                    team,
                )
            )
    for w, execution in enumerate(("0ri4bu4ayh9v", "1kd93ndk2lqp", "8sk2mdl30dkq", "k2md9s0alq3m")):
        t = T0 + timedelta(weeks=w, hours=4)
        name = f"pipelines-{execution}-TrainModel-{'AbCdEfGhI' + str(w)}"
        jobs.append(
            (
                describe(name, t, XGB_IMAGE, "ml.m5.2xlarge", {"num_round": 200}, 900, debugger=False),
                [
                    {
                        "Key": "sagemaker:pipeline-execution-arn",
                        "Value": arn("pipeline", f"churn-pipeline/execution/{execution}"),
                    },
                    {"Key": "team", "Value": "growth"},
                ],
            )
        )
    for w, name in enumerate(("fraud-exp-a", "fraud-retrain-b", "fraud-final-c")):  # free names, one tag
        t = T0 + timedelta(weeks=w, days=1)
        jobs.append(
            (
                describe(
                    f"{name}-{sdk_ts(t)}",
                    t,
                    PT_IMAGE,
                    "ml.g5.4xlarge",
                    {"model": "fraud-gnn", "batch-size": 512, "bf16": True},
                    5400,
                    debugger=False,
                ),
                tags(workload="fraud-detector", team="risk"),
            )
        )
    for i in range(3):  # SDK default names from two different models, same image and hardware
        for model, offset in (("roberta-base", 0), ("distilbert-base-uncased", 1)):
            t = T0 + timedelta(days=2 * i + 14, hours=offset, minutes=i)
            jobs.append(
                (
                    describe(
                        f"huggingface-pytorch-training-{sdk_ts(t)}",
                        t,
                        HF_IMAGE,
                        "ml.g5.2xlarge",
                        {"model_name_or_path": model, "fp16": True, "max_seq_length": 256},
                        3600 + 600 * offset,
                        debugger=False,
                    ),
                    [],
                )
            )
    for w in range(3):  # one model, two context lengths: two workloads
        for seq in (2048, 8192):
            t = T0 + timedelta(weeks=w, days=2, hours=seq // 2048)
            jobs.append(
                (
                    describe(
                        f"llama3-8b-{seq}-{sdk_ts(t)}",
                        t,
                        PT_IMAGE,
                        "ml.p4d.24xlarge",
                        {"model_id": "meta-llama/Meta-Llama-3-8B", "bf16": True, "max_seq_len": seq},
                        20000 + seq,
                        debugger=False,
                    ),
                    tags(team="llm"),
                )
            )
    for n in range(1, 5):  # zero-padded counters, weekly, spot, two instances
        t = T0 + timedelta(weeks=n - 1, days=3)
        jobs.append(
            (
                describe(
                    f"resnet50-train-{n:03d}",
                    t,
                    PT_IMAGE,
                    "ml.p3.8xlarge",
                    {"arch": "resnet50", "batch-size": 64, "amp": True},
                    6 * 3600,
                    int(6 * 3600 * 0.32),
                    count=2,
                    spot=True,
                    debugger=False,
                ),
                tags(team="vision"),
            )
        )
    for d in range(3):  # stopped in April
        t = datetime(2024, 4, 3 + 3 * d, 8, tzinfo=UTC)
        jobs.append(
            (
                describe(
                    f"old-gpt2-finetune-{sdk_ts(t)}",
                    t,
                    HF_IMAGE,
                    "ml.g5.xlarge",
                    {"model_name_or_path": "gpt2", "fp16": True},
                    3000,
                ),
                [],
            )
        )
    for d in range(8):  # the compiler turned on half-way through
        t = T0 + timedelta(days=3 * d)
        compiled = d >= 4
        hp = {
            "model_name_or_path": "t5-base",
            "fp16": True,
            "max_source_length": 512,
            "sagemaker_training_compiler_enabled": compiled,
        }
        jobs.append(
            (
                describe(
                    f"t5-summarize-{sdk_ts(t)}",
                    t,
                    HF_TRCOMP_T5 if compiled else HF_T5,
                    "ml.p3.2xlarge",
                    hp,
                    6300 if compiled else 9000,
                    debugger=False,
                ),
                tags(team="nlp"),
            )
        )
    for i in range(8):  # the framework upgraded after five runs: a before / after
        t = T0 + timedelta(days=3 * i, hours=6)
        jobs.append(
            (
                describe(
                    f"qa-finetune-{sdk_ts(t)}",
                    t,
                    PT_IMAGE if i >= 5 else PT201_IMAGE,
                    "ml.g5.2xlarge",
                    {
                        "model_name_or_path": "roberta-large",
                        "bf16": True,
                        "batch-size": 16,
                        "max-length": 384,
                    },
                    QA_SECONDS[i],
                    debugger=False,
                ),
                tags(team="search"),
            )
        )
    for i in range(7):  # moved to a bigger instance after four runs
        t = T0 + timedelta(days=4 * i, hours=9)
        jobs.append(
            (
                describe(
                    f"sdxl-lora-{sdk_ts(t)}",
                    t,
                    PT_IMAGE,
                    "ml.g5.4xlarge" if i >= 4 else "ml.g5.2xlarge",
                    {
                        "pretrained_model_name_or_path": "stabilityai/stable-diffusion-xl-base-1.0",
                        "mixed_precision": "fp16",
                        "train_batch_size": 1,
                    },
                    SDXL_SECONDS[i],
                    debugger=False,
                ),
                tags(team="creative"),
            )
        )
    for i in range(7):  # from one instance to two after four runs
        t = T0 + timedelta(days=4 * i + 1, hours=11)
        jobs.append(
            (
                describe(
                    f"ner-train-{sdk_ts(t)}",
                    t,
                    HF_IMAGE,
                    "ml.g5.12xlarge",
                    {
                        "model_name_or_path": "xlm-roberta-large",
                        "fp16": True,
                        "per_device_train_batch_size": 8,
                        "max_seq_length": 512,
                        "sagemaker_torch_distributed_enabled": True,
                    },
                    NER_SECONDS[i],
                    count=2 if i >= 4 else 1,
                    debugger=False,
                ),
                tags(team="nlp"),
            )
        )
    t = datetime(2024, 5, 30, 15, tzinfo=UTC)  # a one-off
    jobs.append(
        (
            describe(
                "vit-experiment-quick", t, PT_IMAGE, "ml.g5.xlarge", {"model": "vit-base-patch16-224"}, 1200
            ),
            [],
        )
    )
    for v in ("e", "c"):  # fitcheck's own benchmark pair
        t = datetime(2024, 5, 28, 10, tzinfo=UTC)
        jobs.append(
            (
                describe(
                    f"fc-bert-nightly-ab12cd34-{v}", t, PT_IMAGE, "ml.g5.12xlarge", BERT, 1500, debugger=False
                ),
                tags(fitcheck__pair_id="ab12cd34", fitcheck__variant="eager" if v == "e" else "compiled"),
            )
        )
    failed = {"TrainingJobName": "bert-nightly-broken", "TrainingJobStatus": "Failed", "CreationTime": T0}
    return jobs, failed


# workload name -> (number of jobs, grouped by, runs per week)
EXPECTED: dict[str, tuple[int, str, float]] = {
    "bert-nightly": (14, "name", 7.0),
    "bert-hpo": (12, "tuning", 6.0),  # two sweeps a week apart, six trials each
    "churn-pipeline-trainmodel": (4, "pipeline", 1.0),
    "fraud-detector": (3, "tag", 1.0),
    "huggingface-pytorch-training-roberta-base": (3, "sdk-default", 3.5),
    "huggingface-pytorch-training-distilbert-base-uncased": (3, "sdk-default", 3.5),
    "llama3-8b-2048": (3, "name", 1.0),
    "llama3-8b-8192": (3, "name", 1.0),
    "resnet50-train": (4, "name", 1.0),
    "t5-summarize": (8, "name", 7 / 3),
    "vit-experiment-quick": (1, "name", 7 / 61),  # one-off: once in the 61-day window
    "qa-finetune": (8, "name", 7 / 3),  # eight runs every three days, across the upgrade
    "sdxl-lora": (3, "name", 7 / 4),  # the runs on the new instance: every four days
    "ner-train": (3, "name", 7 / 4),
}
# the hardware a workload left is its past, not a second workload
STOPPED = {"old-gpt2-finetune": 3, "sdxl-lora-g5-2xlarge": 4, "ner-train-g5-12xlarge": 4}
EXCLUDED = ["fc-bert-nightly-ab12cd34-c", "fc-bert-nightly-ab12cd34-e"]
