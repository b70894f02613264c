"""TensorFlow XLA pairs: the compiled job switches XLA auto-clustering on through TensorFlow's
own environment switch (``TF_XLA_FLAGS=--tf_xla_auto_jit=2``), the eager job off; TensorFlow
GPU images before Keras 3's default XLA only; GPU instances only. The command a benchmark plan
writes for a TensorFlow workload runs as written (dry run and against moto)."""

from __future__ import annotations

import json
import shlex

import pytest
import yaml
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.aws.paired import (
    TF_XLA,
    PairSpec,
    bench_on_sagemaker,
    build_pair_requests,
    canonical_compiler,
    like_settings,
)
from fitcheck.cli import app
from fitcheck.errors import InputError

from .history import ECR, PT_IMAGE, ROLE, TF_IMAGE

TF214 = f"{ECR}/tensorflow-training:2.14.1-gpu-py310-cu118-ubuntu20.04-sagemaker"
TF216 = f"{ECR}/tensorflow-training:2.16.2-gpu-py310-cu123-ubuntu20.04-sagemaker"
TF_CPU = f"{ECR}/tensorflow-training:2.14.1-cpu-py310-ubuntu20.04-sagemaker"
TF115 = f"{ECR}/tensorflow-training:1.15.5-gpu-py36-cu100-ubuntu18.04"


def _diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def _spec(**kw) -> PairSpec:
    args = dict(
        workload="tf-bert",
        model="bert-base-uncased",
        pair_id="abcd1234",
        role=ROLE,
        image=TF214,
        program="train.py",
        submit_dir="s3://b/src/sourcedir.tar.gz",
        output_s3="s3://b/out",
        instance_type="ml.g5.2xlarge",
        instance_count=1,
        compiler=TF_XLA,
        region="us-east-1",
    )
    args.update(kw)
    return PairSpec(**args)


@pytest.mark.parametrize("name", ["tf-xla", "TF_XLA", " tensorflow-xla "])
def test_tf_xla_is_a_pair_compiler(name):
    assert canonical_compiler(name) == "tf-xla"


def test_xla_alone_stays_ambiguous():
    with pytest.raises(InputError, match="'xla' is not one of"):
        canonical_compiler("xla")


def test_the_pair_differs_only_in_the_auto_clustering_switch():
    eager, compiled = build_pair_requests(_spec(instance_type="ml.g5.12xlarge", distributed=True))
    assert _diff(eager, compiled) == [
        "Environment.FITCHECK_TF_XLA",
        "Environment.TF_XLA_FLAGS",
        "Tags[3].Value",
        "TrainingJobName",
    ]
    assert eager["Environment"]["TF_XLA_FLAGS"] == "--tf_xla_auto_jit=-1"
    assert compiled["Environment"]["TF_XLA_FLAGS"] == "--tf_xla_auto_jit=2"
    assert (eager["Environment"]["FITCHECK_TF_XLA"], compiled["Environment"]["FITCHECK_TF_XLA"]) == ("0", "1")
    # no SageMaker Training Compiler or torch.compile switch on either side
    for req in (eager, compiled):
        assert not any(k.startswith("sagemaker_training_compiler") for k in req["HyperParameters"])
        assert "FITCHECK_TORCH_COMPILE" not in req["Environment"]
    assert {"Key": "fitcheck:compiler", "Value": "tf-xla"} in compiled["Tags"]


def test_a_past_jobs_xla_switch_is_not_cloned():
    like = like_settings(
        {
            "TrainingJobName": "past",
            "Environment": {"TF_XLA_FLAGS": "--tf_xla_auto_jit=2", "TEAM": "nlp"},
            "HyperParameters": {"jit_compile": "true", "epochs": "3"},
        }
    )
    assert like["environment"] == {"TEAM": "nlp"} and like["hyperparameters"] == {"epochs": "3"}
    eager, _ = build_pair_requests(_spec(like=like))
    assert (
        eager["Environment"]["TF_XLA_FLAGS"] == "--tf_xla_auto_jit=-1"
        and eager["Environment"]["TEAM"] == "nlp"
    )


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('fitcheck_throughput samples_per_second=1.0')\n")
    return src


def _args(source, **kw):
    args = dict(
        workload="tf-bert",
        role=ROLE,
        image=TF214,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.g5.2xlarge",
        instance_count=1,
        compiler="tf-xla",
        region="us-east-1",
        dry_run=True,
        wait=False,
        pairs=1,
    )
    args.update(kw)
    return args


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": PT_IMAGE}, "TensorFlow XLA runs only in a TensorFlow image"),
        ({"image": TF216}, 'from 2.16 Keras 3 already compiles with XLA by default (jit_compile="auto")'),
        ({"image": TF_CPU}, "is a CPU image"),
        ({"image": TF115}, "TensorFlow 1.x has no jit_compile"),
        ({"instance_type": "ml.m5.xlarge"}, "ml.m5.xlarge has no GPU: a TensorFlow XLA pair runs on a GPU"),
        ({"instance_type": "ml.trn1.2xlarge"}, "ml.trn1.2xlarge has no GPU"),
    ],
)
def test_bad_images_and_instances(aws, source, kwargs, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bench_on_sagemaker(**_args(source, **kwargs))


@pytest.mark.parametrize("image", [TF214, TF_IMAGE])
def test_multi_gpu_pairs_are_like_for_like(aws, source, capsys, image):
    """Both jobs run the same distribution; only the environment switch differs."""
    outcome = bench_on_sagemaker(
        **_args(source, image=image, instance_type="ml.g5.12xlarge", instance_count=2)
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"eager": outcome.requests[0], "compiled": outcome.requests[1]}
    assert _diff(*outcome.requests) == [
        "Environment.FITCHECK_TF_XLA",
        "Environment.TF_XLA_FLAGS",
        "Tags[3].Value",
        "TrainingJobName",
    ]
    assert outcome.requests[1]["ResourceConfig"]["InstanceCount"] == 2


def test_launch_against_moto_and_collect(aws, source, tmp_path):
    from fitcheck.aws.paired import collect_pair
    from fitcheck.io.evidence import load_bench_results

    aws.start_recording()
    out = tmp_path / "bench.json"
    outcome = bench_on_sagemaker(**_args(source, dry_run=False, wait=True, output=out))
    sent = aws.sent("SageMaker.CreateTrainingJob")
    eager, compiled = sorted(sent, key=lambda b: b["TrainingJobName"].endswith("-c"))
    assert (eager["Environment"]["TF_XLA_FLAGS"], compiled["Environment"]["TF_XLA_FLAGS"]) == (
        "--tf_xla_auto_jit=-1",
        "--tf_xla_auto_jit=2",
    )
    assert eager == outcome.requests[0] and compiled == outcome.requests[1]
    loaded = load_bench_results(out)
    assert set(loaded.backends) == {"eager", "tf-xla"} and loaded.comparisons[0].compiler == "tf-xla"
    assert loaded.comparisons[0].speedup is None  # moto reports no throughput: nothing to decide from
    pair_id = outcome.job_names[0].rsplit("-", 2)[1]
    got = collect_pair(pair_id, region="us-east-1", output=tmp_path / "again.json")
    assert got.results is not None and set(got.results.backends) == {"eager", "tf-xla"}


def test_the_plan_of_a_tensorflow_workload_runs_as_written(aws, tmp_path, monkeypatch):
    """analyze -> the benchmark plan's command -> fitcheck bench --dry-run: the pair it prints."""
    inventory = tmp_path / "workloads.yaml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "workloads": [
                    {
                        "name": "tf bert (nightly)",
                        "framework": "tensorflow",
                        "framework_version": "2.14",
                        "model": "bert-base-uncased",
                        "instance_type": "ml.g5.48xlarge",
                        "instance_count": 2,
                        "duration_hours": 12,
                        "runs_per_week": 7,
                        "precision": "fp16",
                        "input_shapes": "static",
                        "gpu_utilization": 0.6,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "train.py").write_text("print('fitcheck_throughput samples_per_second=1.0')\n")
    record = json.loads(api.render(api.analyze(inventory), "json"))["workloads"][0]
    assert record["decision"] == "benchmark" and record["candidate_compiler"] == "tf-xla"
    command = record["benchmark_plan"]["command"]
    print(command)
    argv = shlex.split(command.replace("ROLE_ARN", ROLE).replace("IMAGE_URI", TF214))
    assert argv[:2] == ["fitcheck", "bench"] and "--compiler" in argv
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, [*argv[1:], "--region", "us-east-1", "--dry-run", "--pairs", "1"])
    assert res.exit_code == 0, res.output
    printed, end = json.JSONDecoder().raw_decode(res.stdout)
    assert "not sent (dry run)" in res.stdout[end:]
    assert printed["eager"]["Environment"]["TF_XLA_FLAGS"] == "--tf_xla_auto_jit=-1"
    assert printed["compiled"]["Environment"]["TF_XLA_FLAGS"] == "--tf_xla_auto_jit=2"
    assert printed["compiled"]["ResourceConfig"] == {
        "InstanceType": "ml.g5.48xlarge",
        "InstanceCount": 2,
        "VolumeSizeInGB": 50,
    }
    assert printed["compiled"]["Environment"]["FITCHECK_WORKLOAD"] == "tf bert (nightly)"
