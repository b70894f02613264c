"""Pure mapping from SageMaker fields to inventory fields (no AWS API involved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fitcheck.aws.grouping import group_workloads, normalise_job_name, runs_per_week
from fitcheck.aws.hyperparams import decode_hyperparameter, hyperparameter_facts
from fitcheck.aws.images import parse_image_uri
from fitcheck.aws.mapping import job_record, record_from_dict, record_to_dict, spot_discount

ECR = "763104351884.dkr.ecr.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("uri", "framework", "version", "trcomp", "device"),
    [
        (
            f"{ECR}/pytorch-training:2.1.0-gpu-py310-cu121-ubuntu20.04-sagemaker",
            "pytorch",
            "2.1.0",
            False,
            "gpu",
        ),
        (
            f"{ECR}/huggingface-pytorch-training:1.13.1-transformers4.26.0-gpu-py39-cu117-ubuntu20.04",
            "pytorch",
            "1.13.1",
            False,
            "gpu",
        ),
        (
            f"{ECR}/pytorch-trcomp-training:1.13.1-gpu-py39-cu117-ubuntu20.04-sagemaker",
            "pytorch",
            "1.13.1",
            True,
            "gpu",
        ),
        (
            f"{ECR}/huggingface-pytorch-trcomp-training:1.11.0-transformers4.21.1-gpu-py38-cu113-ubuntu20.04",
            "pytorch",
            "1.11.0",
            True,
            "gpu",
        ),
        (
            f"{ECR}/tensorflow-training:2.11.0-gpu-py39-cu112-ubuntu20.04-sagemaker",
            "tensorflow",
            "2.11.0",
            False,
            "gpu",
        ),
        (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "xgboost",
            "1.7",
            False,
            None,
        ),
        (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
            "sklearn",
            "1.2",
            False,
            "cpu",
        ),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/trainer:latest",
            "other",
            None,
            False,
            None,
        ),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jax-trainer@sha256:abcd",
            "jax",
            None,
            False,
            None,
        ),
        (None, "other", None, False, None),
    ],
)
def test_image_uri(uri, framework, version, trcomp, device):
    info = parse_image_uri(uri)
    assert (info.framework, info.framework_version, info.compiler_image, info.device) == (
        framework,
        version,
        trcomp,
        device,
    )


def test_transformers_version_from_tag():
    info = parse_image_uri(f"{ECR}/huggingface-pytorch-training:1.13.1-transformers4.26.0-gpu-py39")
    assert info.transformers_version == "4.26.0"


def test_sdk_encoded_hyperparameters_are_decoded():
    assert decode_hyperparameter('"bert-base-uncased"') == "bert-base-uncased"
    assert decode_hyperparameter("true") == "true"
    assert decode_hyperparameter("32") == "32"


@pytest.mark.parametrize(
    ("hp", "precision"),
    [
        ({"fp16": "true"}, "fp16"),
        ({"bf16": '"True"'}, "bf16"),
        ({"fp16": "false", "bf16": "false"}, "fp32"),
        ({"fp16": '"False"'}, "fp32"),
        ({"use_fp16": "true"}, "fp16"),
        ({"use-bf16": "1"}, "bf16"),
        ({"mixed-precision": '"bf16"'}, "bf16"),
        ({"--mixed_precision": "no"}, "fp32"),
        ({"fp16": "false", "tf32": "true"}, "tf32"),
        ({"mixed_precision": '"bf16"'}, "bf16"),
        ({"precision": "16-mixed"}, "fp16"),
        ({"precision": "32"}, "fp32"),
        ({"amp": "1"}, "fp16"),
        ({"tf32": "true"}, "tf32"),
        ({}, "unknown"),
    ],
)
def test_precision(hp, precision):
    assert hyperparameter_facts(hp).precision == precision


def test_batch_sequence_shapes_model_distribution():
    facts = hyperparameter_facts(
        {
            "model_name_or_path": '"roberta-large"',
            "per_device_train_batch_size": "16",
            "max_seq_length": "256",
            "pad_to_max_length": "true",
            "sagemaker_distributed_dataparallel_enabled": "true",
        }
    )
    assert (facts.model, facts.batch_size, facts.sequence_length) == ("roberta-large", 16, 256)
    assert (facts.input_shapes, facts.distribution) == ("static", "smddp")
    assert hyperparameter_facts({"padding": "longest"}).input_shapes == "dynamic"
    assert hyperparameter_facts({"batch-size": "0.5"}).batch_size is None
    assert hyperparameter_facts({"sagemaker_training_compiler_enabled": "true"}).compiler_enabled
    assert not hyperparameter_facts({"sagemaker_training_compiler_enabled": "false"}).compiler_enabled
    assert (
        hyperparameter_facts({"sagemaker_pytorch_xla_multi_worker_enabled": "true"}).distribution
        == "pytorchxla"
    )


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("bert-nightly-2024-05-01-02-00-13-512", "bert-nightly"),
        ("pytorch-training-2024-05-01-12-34-56-789", "pytorch-training"),
        ("resnet-50-20240501", "resnet-50"),
        ("resnet-101-run7", "resnet-101"),
        ("churn-xgb-1714567890", "churn-xgb"),
        ("hf-bert-a1b2c3d4", "hf-bert"),
        ("llama-ft-20240501T1200Z", "llama-ft"),
        ("t5-3b-weekly_20240501", "t5-3b-weekly"),
        ("bert-20240501-1200", "bert"),  # a date and the time of day
        ("bert_2024_05_01", "bert"),
    ],
)
def test_job_name_normalisation(name, key):
    assert normalise_job_name(name) == key


def test_counters_and_meaningful_numbers_across_jobs():
    from fitcheck.aws.grouping import name_signatures

    names = [
        "bert-20240501-1200",
        "bert-20240502-1300",  # a daily job at another time of day: the same workload
        "mistral-7b-lora-r16-run1",
        "mistral-7b-lora-r16-run2",
        "mistral-7b-lora-r64-run1",  # LoRA rank 16 and 64: two workloads
        "sweep-r1",
        "sweep-r2",
        "sweep-r3",  # r1, r2, r3: run counters
        "train-1",
        "train-2",
    ]
    assert name_signatures(names) == {
        "bert-20240501-1200": "bert",
        "bert-20240502-1300": "bert",
        "mistral-7b-lora-r16-run1": "mistral-7b-lora-r16",
        "mistral-7b-lora-r16-run2": "mistral-7b-lora-r16",
        "mistral-7b-lora-r64-run1": "mistral-7b-lora-r64",
        "sweep-r1": "sweep",
        "sweep-r2": "sweep",
        "sweep-r3": "sweep",
        "train-1": "train",
        "train-2": "train",
    }


def test_different_models_stay_apart():
    assert normalise_job_name("resnet-50-20240501") != normalise_job_name("resnet-101-20240501")


T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def test_runs_per_week_nightly_cadence():
    times = [T0 + timedelta(days=d) for d in range(10)]
    f = runs_per_week(times, T0 - timedelta(days=80), T0 + timedelta(days=10))
    assert f.runs_per_week == pytest.approx(7.0)
    assert "10 runs over 9.0 days active" in f.basis and not f.one_off


def test_runs_per_week_sparse_uses_window():
    times = [T0, T0 + timedelta(hours=1)]  # a run and its retry, in a 4-week window
    f = runs_per_week(times, T0, T0 + timedelta(days=28))
    assert f.runs_per_week == pytest.approx(0.5)
    assert f.one_off and f.basis.startswith("one-off: 2 job(s) on 2024-05-01")


def test_runs_per_week_short_history_is_not_extrapolated():
    f = runs_per_week([T0, T0 + timedelta(minutes=5)], T0, T0 + timedelta(hours=1))
    assert f.runs_per_week == pytest.approx(2.0)  # read as one week, not 336 per week


def test_spot_discount():
    assert spot_discount(10000, 3000) == pytest.approx(0.7)
    assert spot_discount(10000, 10000) == 0.0
    assert spot_discount(None, 3000) is None
    assert spot_discount(10000, None) is None
    assert spot_discount(100, 200) == 0.0  # clamped


def describe(name, created, **over):
    """A DescribeTrainingJob response shaped like a real one (fields AWS returns for a done job)."""
    start = created + timedelta(minutes=4)
    desc = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "HyperParameters": {"model_name_or_path": '"bert-base-uncased"', "fp16": "true"},
        "AlgorithmSpecification": {
            "TrainingImage": f"{ECR}/pytorch-training:2.1.0-gpu-py310-cu121-ubuntu20.04-sagemaker",
            "TrainingInputMode": "File",
        },
        "ResourceConfig": {
            "InstanceType": "ml.g5.2xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "CreationTime": created,
        "TrainingStartTime": start,
        "TrainingEndTime": start + timedelta(hours=2),
        "TrainingTimeInSeconds": 7200,
        "BillableTimeInSeconds": 7200,
        "EnableManagedSpotTraining": False,
        "DebugHookConfig": {"S3OutputPath": "s3://b/debug"},
        "ProfilerConfig": {"S3OutputPath": "s3://b/prof", "ProfilingIntervalInMilliseconds": 500},
    }
    desc.update(over)
    return desc


def test_job_record_reads_durations_spot_debugger():
    rec = job_record(
        describe(
            "x-2024-05-01-00-00-00-000",
            T0,
            EnableManagedSpotTraining=True,
            TrainingTimeInSeconds=10000,
            BillableTimeInSeconds=3100,
            DebugHookConfig=None,
            ProfilerConfig={"DisableProfiler": True},
        )
    )
    assert rec.duration_seconds == 10000 and rec.duration_source == "TrainingTimeInSeconds"
    assert rec.spot and rec.billable_seconds == 3100
    assert not rec.debugger and not rec.profiler


def test_duration_falls_back_to_end_minus_start_then_unknown():
    rec = job_record(describe("a", T0, TrainingTimeInSeconds=None))
    assert rec.duration_seconds == 7200 and rec.duration_source == "TrainingEndTime-TrainingStartTime"
    rec = job_record(describe("b", T0, TrainingTimeInSeconds=None, TrainingEndTime=T0 + timedelta(minutes=4)))
    assert rec.duration_seconds is None and "not after" in rec.notes[0]


def test_heterogeneous_cluster_is_reported():
    rec = job_record(
        describe(
            "h",
            T0,
            ResourceConfig={
                "InstanceGroups": [
                    {
                        "InstanceGroupName": "data",
                        "InstanceType": "ml.c5.18xlarge",
                        "InstanceCount": 4,
                    },
                    {
                        "InstanceGroupName": "gpu",
                        "InstanceType": "ml.p4d.24xlarge",
                        "InstanceCount": 2,
                    },
                ],
                "VolumeSizeInGB": 100,
            },
        )
    )
    assert (rec.instance_type, rec.instance_count) == ("ml.p4d.24xlarge", 2)
    assert rec.heterogeneous == "ml.c5.18xlarge x4 + ml.p4d.24xlarge x2"
    assert "other groups' cost is not included" in rec.notes[0]


def test_grouping_median_duration_spot_discount_and_split_by_instance():
    recs = [
        job_record(
            describe(
                f"bert-nightly-2024-05-0{d}-02-00-00-000",
                T0 + timedelta(days=d),
                TrainingTimeInSeconds=secs,
                BillableTimeInSeconds=secs * 0.3,
                EnableManagedSpotTraining=True,
            )
        )
        for d, secs in ((1, 3600), (2, 7200), (3, 10800), (4, 7200))
    ]
    recs.append(
        job_record(
            describe(
                "bert-nightly-2024-05-09-02-00-00-000",
                T0 + timedelta(days=9),
                ResourceConfig={"InstanceType": "ml.g5.12xlarge", "InstanceCount": 1},
            )
        )
    )
    g = group_workloads(recs, T0, T0 + timedelta(days=10), "us-east-1")
    drafts, skipped = g.drafts, g.skipped
    assert not skipped
    by_name = {d.name: d.fields for d in drafts}
    assert set(by_name) == {"bert-nightly-g5-2xlarge", "bert-nightly-g5-12xlarge"}
    small = by_name["bert-nightly-g5-2xlarge"]
    assert small["duration_hours"] == 2.0  # median of 1, 2, 3, 2 hours
    assert small["runs_per_week"] == pytest.approx(7.0)
    assert small["spot"] and small["spot_discount"] == pytest.approx(0.7)
    assert small["precision"] == "fp16" and small["debugger"] is True
    assert small["tags"]["sagemaker.jobs"] == "4"


def test_group_without_duration_is_skipped_with_reason():
    rec = job_record(
        describe("y", T0, TrainingTimeInSeconds=None, TrainingStartTime=None, TrainingEndTime=None)
    )
    g = group_workloads([rec], T0, T0 + timedelta(days=7))
    drafts, skipped = g.drafts, g.skipped
    assert drafts == []
    assert skipped[0].reason.startswith("duration unknown: no TrainingTimeInSeconds")


def test_more_spellings_batch_sequence_padding_compiler():
    facts = hyperparameter_facts(
        {"--per-device-train-batch-size": "8", "max-seq-length": "512", "padding": '"do_not_pad"'}
    )
    assert (facts.batch_size, facts.sequence_length, facts.input_shapes) == (8, 512, "dynamic")
    assert hyperparameter_facts({"padding": "max_length"}).input_shapes == "static"
    assert hyperparameter_facts({"group_by_length": "true"}).input_shapes == "dynamic"
    on = hyperparameter_facts({"torch_compile": '"True"', "sagemaker_program": '"train.py"'})
    assert (on.compiler_enabled, on.compiler_source, on.program) == (True, "torch_compile", "train.py")
    assert hyperparameter_facts({"jit-compile": "true"}).compiler_source == "jit_compile"
    assert not hyperparameter_facts({"torch_compile": "false"}).compiler_enabled


def test_job_record_keeps_tags_tuning_parent_window_and_round_trips():
    rec = job_record(
        describe(
            "bert-hpo-240501-1200-017-3f2a9c1e",
            T0,
            TuningJobArn="arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/bert-hpo-240501-1200",
        ),
        [{"Key": "team", "Value": "nlp"}, {"Key": "cost-centre", "Value": "cc-42"}],
    )
    assert rec.tuning_job == "bert-hpo-240501-1200"
    assert rec.tag_map == {"team": "nlp", "cost-centre": "cc-42"}
    assert rec.started == T0 + timedelta(minutes=4) and rec.ended == rec.started + timedelta(hours=2)
    assert rec.image.framework_version == "2.1.0"
    assert record_from_dict(record_to_dict(rec)) == rec


def test_user_tags_are_copied_inert_and_bounded():
    tags = [{"Key": "team", "Value": "nlp"}, {"Key": "note", "Value": "line\u2028break"}]
    tags += [{"Key": f"k{i:02d}", "Value": "v"} for i in range(40)]
    tags += [
        {"Key": "aws:cloudformation:stack-name", "Value": "s"},
        {"Key": "fitcheck:pair-id", "Value": "x"},
    ]
    rec = job_record(describe("bert-x", T0), tags)
    g = group_workloads([rec], T0, T0 + timedelta(days=7), include_stopped=True)
    assert g.excluded == ["bert-x"]  # a fitcheck benchmark job (tag fitcheck:*)
    rec = job_record(describe("bert-y", T0), tags[:-1])
    g = group_workloads([rec], T0, T0 + timedelta(days=7))
    (draft,) = g.drafts
    copied = {k: v for k, v in draft.fields["tags"].items() if not k.startswith("sagemaker.")}
    assert "note" not in copied and "aws:cloudformation:stack-name" not in copied
    assert len(copied) == 30 and copied["team"] == "nlp" and "k28" in copied and "k29" not in copied
    assert any("not copied (the inventory keeps at most 50)" in n for n in draft.notes)
    assert any("unprintable" in n for n in draft.notes)
    from fitcheck.core.schema import Workload

    Workload.model_validate(draft.fields)  # within the schema's limits
