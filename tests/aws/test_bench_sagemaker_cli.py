"""``fitcheck bench --on sagemaker`` as a user runs it, through the command line, against moto.

The two methods: ``--method pairs`` (default with ``--entry-point``: N pairs of eager and
compiled jobs of the user's script, 3 by default, start order interleaved) and ``--method
harness`` (default without it: one job runs fitcheck's own interleaved benchmark). moto
completes every job at once and reports no throughput, so a run that waits measured nothing:
exit 1, one line, the results file written. What the jobs were sent is read from moto's
request recorder.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import boto3
import pytest
import typer
from typer.testing import CliRunner

from fitcheck.aws.harness_entry import bench_argv
from fitcheck.aws.pair_requests import TORCH_COMPILE, build_pair_requests, pair_specs
from fitcheck.aws.pair_results import collect_results, combine_pairs
from fitcheck.bench.options import parse_options
from fitcheck.cli import app
from fitcheck.errors import shown

from .conftest import DUMMY_KEY_ID, DUMMY_SECRET
from .history import PT_IMAGE, ROLE, TRCOMP_IMAGE
from .test_harness import _model_tar, _results
from .test_paired import NOW, _diff, spec

runner = CliRunner()
NO_THROUGHPUT = (
    "the entry point reported no steady-state throughput (no 'fitcheck_throughput "
    "samples_per_second=...' line captured in FinalMetricDataList)"
)


def _bench(*extra: str, entry_point: bool = True) -> list[str]:
    args = [
        "bench",
        "--on",
        "sagemaker",
        "--workload",
        "bert nightly",
        "--role",
        ROLE,
        "--image",
        PT_IMAGE,
        "--instance-type",
        "ml.g5.2xlarge",
        "--region",
        "us-east-1",
    ]
    if entry_point:
        args += ["--entry-point", "train.py", "--compiler", "torch.compile"]
    return [*args, *extra]


def _run(args: list[str]):
    res = runner.invoke(app, args)
    text = res.stdout + res.stderr
    assert "Traceback" not in text and "internal error" not in text, text
    assert DUMMY_KEY_ID not in text and DUMMY_SECRET not in text
    return res


def _printed_json(stdout: str) -> dict:
    doc, _ = json.JSONDecoder().raw_decode(stdout[stdout.index("{") :])
    return doc


def _one_line(res, code: int) -> str:
    assert res.exit_code == code, res.output
    lines = res.stderr.strip().splitlines()  # progress notices first, then the one error line
    assert [ln for ln in lines if ln.startswith("error")] == lines[-1:], res.stderr
    return lines[-1]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "train.py").write_text("print('fitcheck_throughput samples_per_second=1.0')\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_three_pairs_by_default_launch_six_jobs_with_interleaved_starts(aws, workdir: Path) -> None:
    aws.start_recording()
    out = workdir / "bench.json"
    res = _run(_bench("-o", str(out)))
    sent = aws.sent("SageMaker.CreateTrainingJob")
    names = [b["TrainingJobName"] for b in sent]
    print("launch order:", names)
    assert len(sent) == 6
    base = names[0].rsplit("-", 2)[1][:-1]
    assert names == [
        f"fc-bert-nightly-{base}{i}-{v}"
        for i, v in ((0, "e"), (0, "c"), (1, "c"), (1, "e"), (2, "e"), (2, "c"))
    ]
    by_name = {b["TrainingJobName"]: b for b in sent}
    for i in range(3):  # within a pair only the compiler switch, the name and the variant tag differ
        eager, compiled = by_name[f"fc-bert-nightly-{base}{i}-e"], by_name[f"fc-bert-nightly-{base}{i}-c"]
        assert _diff(eager, compiled) == [
            "Environment.FITCHECK_TORCH_COMPILE",
            "Tags[3].Value",
            "TrainingJobName",
        ]
    assert f"pair id {base}" in res.stdout
    # moto reports no throughput: nothing was measured, exit 1 in one line, the file written
    line = _one_line(res, 1)
    assert (
        line
        == f"error: the SageMaker run measured nothing (eager, torch.compile: {NO_THROUGHPUT}); see {out}"
    )
    assert f"results written to {out}" in res.stdout
    doc = json.loads(out.read_text())
    assert doc["config"]["evidence"] == "several-pairs" and doc["comparisons"][0]["measurement"] == "failed"
    assert [p["pair_id"] for p in doc["config"]["pairs"]] == [f"{base}{i}" for i in range(3)]
    assert doc["comparisons"][0]["speedup"] is None


def test_one_pair_is_a_single_run_and_its_failure_is_exit_1(aws, workdir: Path) -> None:
    aws.start_recording()
    out = workdir / "one.json"
    res = _run(_bench("--pairs", "1", "-o", str(out)))
    assert len(aws.sent("SageMaker.CreateTrainingJob")) == 2
    assert _one_line(res, 1).startswith("error: the SageMaker run measured nothing (eager, torch.compile: ")
    doc = json.loads(out.read_text())
    assert doc["config"]["evidence"] == "single-run" and "pairs" not in doc["config"]
    assert doc["comparisons"][0]["measurement"] == "failed"


@pytest.mark.parametrize(
    ("extra", "entry_point", "message"),
    [
        (
            ["--pairs", "10"],
            True,
            "error: --pairs: 10 must be between 1 and 9 (ten or more: use --method harness, whose blocks "
            "give an interval)",
        ),
        (["--pairs", "0"], True, "error: --pairs: 0 must be between 1 and 9"),
        (["--method", "fast"], True, "error: --method: 'fast' is not one of harness, pairs"),
        (
            ["--method", "pairs"],
            False,
            "error: --entry-point: is required with --method pairs: both jobs of a pair run your training "
            "script",
        ),
        (
            ["--method", "harness", "--model", "bert-base-uncased"],
            True,
            "error: --entry-point: the harness ships its own entry point and runs fitcheck's benchmark",
        ),
        (
            ["--compiler", "stc", "--model", "bert-base-uncased"],
            False,
            "error: --compiler: the harness measures torch.compile; sagemaker-training-compiler lives in the "
            "container, so it is measured by pairs of jobs of your script",
        ),
        ([], False, "error: --model: is required with --method harness"),
        (["--model", "mypkg.models:build"], False, "error: --model: 'mypkg.models:build' is your own model"),
        (["--model", "bert-base-uncased", "--like", "past"], False, "error: --like: clones a past job"),
        (
            ["--model", "bert-base-uncased", "--instance-count", "2"],
            False,
            "error: --instance-count: 2 instances: the harness job runs on one instance",
        ),
        (["--model", "bert-base-uncased", "--batch-size", "0"], False, "error: --batch-size: 0 must be"),
    ],
)
def test_bad_method_options_are_one_line_exit_2(aws, workdir, extra, entry_point, message) -> None:
    aws.start_recording()
    res = _run(_bench(*extra, "--dry-run", entry_point=entry_point))
    assert _one_line(res, 2).startswith(message)
    assert aws.sent("SageMaker.CreateTrainingJob") == []


def test_like_copies_the_past_jobs_settings_into_every_job(aws, workdir: Path) -> None:
    sm = boto3.client("sagemaker")
    channels = [
        {
            "ChannelName": "train",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://acme/data/train",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }
    ]
    vpc = {"SecurityGroupIds": ["sg-0123"], "Subnets": ["subnet-0abc"]}
    sm.create_training_job(
        TrainingJobName="bert-nightly-2024-05-30",
        AlgorithmSpecification={"TrainingImage": PT_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"epochs": "3", "sagemaker_program": "old.py"},
        RoleArn=ROLE,
        InputDataConfig=channels,
        OutputDataConfig={"S3OutputPath": "s3://acme/out", "KmsKeyId": "alias/ml"},
        ResourceConfig={"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 200},
        VpcConfig=vpc,
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        Environment={"HF_HOME": "/opt/ml/cache", "FITCHECK_TORCH_COMPILE": "1"},
    )
    aws.start_recording()
    res = _run(_bench("--like", "bert-nightly-2024-05-30", "--dry-run"))
    assert res.exit_code == 0, res.output
    printed = _printed_json(res.stdout)
    assert printed["pairs"] == 3 and len(printed["launch_order"]) == 6
    for req in printed["launch_order"]:
        compiled = req["TrainingJobName"].endswith("-c")
        assert req["InputDataConfig"] == channels and req["VpcConfig"] == vpc
        assert req["OutputDataConfig"]["KmsKeyId"] == "alias/ml"
        assert req["ResourceConfig"]["VolumeSizeInGB"] == 200
        assert (
            req["HyperParameters"]["epochs"] == "3"
            and req["HyperParameters"]["sagemaker_program"] == "train.py"
        )
        # moto's DescribeTrainingJob returns no Environment (its cloning: test_paired.py)
        assert req["Environment"]["FITCHECK_TORCH_COMPILE"] == ("1" if compiled else "0")
        assert {"Key": "fitcheck:like", "Value": "bert-nightly-2024-05-30"} in req["Tags"]
    assert res.stdout.strip().splitlines()[-1].endswith(": not sent (dry run)")
    assert aws.sent("SageMaker.CreateTrainingJob") == []
    # a past job that does not exist: one line, exit 2, nothing launched
    missing = _run(_bench("--like", "no-such-job", "--dry-run"))
    assert _one_line(missing, 2) == "error: --like: no training job 'no-such-job' in us-east-1 to clone"


def test_dry_run_without_an_entry_point_prints_the_harness_job(aws, workdir: Path) -> None:
    aws.start_recording()
    res = _run(
        _bench(
            "--model",
            "bert-base-uncased",
            "--batch-size",
            "8",
            "--precision",
            "bf16",
            "--max-seconds",
            "60",
            "--measure-warm-compile",
            "--no-grad-parity",
            "--dry-run",
            entry_point=False,
        )
    )
    assert res.exit_code == 0, res.output
    request = _printed_json(res.stdout)
    job = request["TrainingJobName"]
    assert job.startswith("fc-bert-nightly-") and job.endswith("-h")
    assert res.stdout.strip().splitlines()[-1] == f"SageMaker job {job}: not sent (dry run)"
    assert request["HyperParameters"]["sagemaker_program"] == "fitcheck_harness.py"
    args = json.loads(request["Environment"]["FITCHECK_BENCH_ARGS"])
    assert args == [
        "--model",
        "bert-base-uncased",
        "--batch-size",
        "8",
        "--workload",
        "bert nightly",
        "--precision",
        "bf16",
        "--max-seconds",
        "60.0",
        "--measure-warm-compile",
        "--no-grad-parity",
    ]
    assert aws.sent("SageMaker.CreateTrainingJob") == []
    # The job's own command line parses back into the same measurement options.
    argv = bench_argv({"FITCHECK_BENCH_ARGS": json.dumps(args), "SM_MODEL_DIR": "/opt/ml/model"})
    command = typer.main.get_command(app)
    ctx = command.make_context("fitcheck", argv[1:], resilient_parsing=True)  # type: ignore[attr-defined]
    sub = ctx.command.get_command(ctx, "bench")
    params = sub.make_context("bench", argv[2:], parent=ctx).params
    job_options = parse_options(params)
    assert (job_options.model, job_options.batch_size, job_options.precision) == (
        "bert-base-uncased",
        8,
        "bf16",
    )
    assert job_options.max_seconds == 60.0 and job_options.warm_compile is True
    assert job_options.grad_parity is False
    assert job_options.on == "local" and str(job_options.output) == "/opt/ml/model/fitcheck-bench.json"


def test_no_wait_says_how_to_collect_and_collect_takes_all_the_pairs(aws, workdir: Path) -> None:
    res = _run(_bench("--no-wait"))
    assert res.exit_code == 0, res.output
    hint = res.stdout.strip().splitlines()[-1]
    prefix = "when they have ended, collect the results with: "
    assert hint.startswith(prefix + "fitcheck bench collect ")
    argv = shlex.split(hint.removeprefix(prefix))
    out = workdir / "collected.json"
    collected = _run([*argv[1:], "-o", str(out)])
    base = argv[-1]
    jobs = collected.stdout.splitlines()[0].removeprefix(f"pair {base}: jobs ").split(", ")
    assert sorted(jobs) == sorted(f"fc-bert-nightly-{base}{i}-{v}" for i in range(3) for v in "ec")
    assert _one_line(collected, 1).startswith("error: the SageMaker run measured nothing")
    doc = json.loads(out.read_text())
    assert doc["config"]["evidence"] == "several-pairs" and len(doc["config"]["pairs"]) == 3
    # one pair of the three, by its own id
    single = _run(["bench", "collect", f"{base}1", "-o", str(workdir / "one.json")])
    assert single.stdout.splitlines()[0] == (
        f"pair {base}1: jobs fc-bert-nightly-{base}1-e, fc-bert-nightly-{base}1-c"
    )
    assert json.loads((workdir / "one.json").read_text())["config"]["evidence"] == "single-run"


def _failed_results() -> str:
    doc = json.loads(_results())
    doc["backends"]["torch.compile"] = {"status": "failed", "reason": "compile error: out of memory"}
    doc["comparisons"][0].update(measurement="failed", speedup=None, blocks=0, stopped_because="failed")
    return json.dumps(doc)


def test_the_harness_job_no_wait_then_collect(aws, workdir: Path) -> None:
    aws.start_recording()
    res = _run(_bench("--model", "bert-base-uncased", "--no-wait", entry_point=False))
    assert res.exit_code == 0, res.output
    (sent,) = aws.sent("SageMaker.CreateTrainingJob")
    job = sent["TrainingJobName"]
    assert res.stdout.splitlines() == [
        f"SageMaker job {job}: sent",
        f"when it has ended, collect the results with: fitcheck bench collect {job}",
    ]
    uri = boto3.client("sagemaker").describe_training_job(TrainingJobName=job)["ModelArtifacts"][
        "S3ModelArtifacts"
    ]
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=_model_tar(_results()))
    ok = _run(["bench", "collect", job, "-o", str(workdir / "h.json")])
    assert ok.exit_code == 0 and ok.stdout.strip() == f"job {job}: results written to {workdir / 'h.json'}"
    s3.put_object(Bucket=bucket, Key=key, Body=_model_tar(_failed_results()))
    bad = _run(["bench", "collect", job, "-o", str(workdir / "f.json")])
    assert _one_line(bad, 1) == (
        f"error: the SageMaker run measured nothing (torch.compile: compile error: out of memory); "
        f"see {workdir / 'f.json'}"
    )
    assert json.loads((workdir / "f.json").read_text())["comparisons"][0]["measurement"] == "failed"


def test_analyze_treats_three_pairs_as_a_spread_not_a_measurement(tmp_path: Path) -> None:
    """Three pairs that measured 1.9x, 2.0x and 2.1x: ``insufficient``, no interval; analyze
    keeps the prior and says why."""
    from fitcheck import api

    inventory = tmp_path / "w.yaml"
    inventory.write_text(
        "version: 1\nworkloads:\n"
        "  - {name: bert-nightly, framework: pytorch, framework_version: '2.1.0', model: bert-base-uncased,\n"
        "     instance_type: ml.g5.2xlarge, duration_hours: 6, runs_per_week: 7, precision: fp16,\n"
        "     input_shapes: static, gpu_utilization: 0.95}\n"
    )
    per_pair = []
    for s, compiled_sps in zip(pair_specs(spec(TORCH_COMPILE), 3), (190.0, 200.0, 210.0), strict=True):
        reqs = build_pair_requests(s)
        descs = [
            {
                "TrainingJobName": r["TrainingJobName"],
                "TrainingJobStatus": "Completed",
                "TrainingTimeInSeconds": 3600,
                "FinalMetricDataList": [{"MetricName": "fitcheck:samples_per_second", "Value": sps}],
            }
            for r, sps in zip(reqs, (100.0, compiled_sps), strict=True)
        ]
        per_pair.append(collect_results(s, reqs, descs[0], descs[1], NOW))
    results = combine_pairs(per_pair)
    comp = results.comparisons[0]
    print(
        f"3 pairs: ratios {[p['ratio'] for p in results.config['pairs']]}, median {comp.point_estimate}, "
        f"spread {results.config['spread']}, measurement {comp.measurement}"
    )
    assert (comp.measurement, comp.speedup, comp.point_estimate, comp.blocks) == (
        "insufficient",
        None,
        2.0,
        3,
    )
    assert results.config["spread"] == {"low": 1.9, "high": 2.1}
    bench = tmp_path / "pairs.json"
    bench.write_text(results.model_dump_json())
    analysis = api.analyze(inventory, bench_paths=[bench], now=NOW)
    row = analysis.table.iloc[0]
    assert row["evidence"] == "prior"  # three pairs are no measurement: no decision from them
    (why,) = [u["why"] for u in analysis.meta["unmatched_bench_results"]]
    print("analyze:", why)
    assert why.startswith("3 pairs of SageMaker jobs: a spread of whole runs, not an interval")
    assert "0.95" not in why and "95" not in why  # no confidence claimed from three points


def test_an_stc_image_without_an_entry_point_says_pairs_need_one(aws, workdir: Path) -> None:
    args = _bench("--model", "bert-base-uncased", "--dry-run", entry_point=False)
    args[args.index(PT_IMAGE)] = TRCOMP_IMAGE
    line = _one_line(_run(args), 2)
    assert line == (
        f"error: --entry-point: is required with the image {shown(TRCOMP_IMAGE)}: a SageMaker Training "
        "Compiler image is measured by pairs of jobs of your training script (the harness runs "
        "torch.compile in a PyTorch >= 2.0 image)"
    )


def test_dry_run_with_an_stc_image_defaults_to_pairs(aws, workdir: Path) -> None:
    res = _run(
        [
            "bench",
            "--on",
            "sagemaker",
            "--workload",
            "w",
            "--role",
            ROLE,
            "--image",
            TRCOMP_IMAGE,
            "--entry-point",
            "train.py",
            "--instance-type",
            "ml.g5.2xlarge",
            "--region",
            "us-east-1",
            "--dry-run",
        ]
    )
    assert res.exit_code == 0, res.output
    printed = _printed_json(res.stdout)
    flags = [r["HyperParameters"]["sagemaker_training_compiler_enabled"] for r in printed["launch_order"]]
    assert flags == ["false", "true", "true", "false", "false", "true"]


def test_some_pairs_measuring_nothing_is_exit_1_naming_them(tmp_path: Path) -> None:
    from fitcheck.bench.cli import _fail_if_nothing_measured
    from fitcheck.errors import FitcheckError

    per_pair = []
    for i, s in enumerate(pair_specs(spec(TORCH_COMPILE), 3)):
        reqs = build_pair_requests(s)
        descs = [
            {
                "TrainingJobName": r["TrainingJobName"],
                "TrainingJobStatus": "Failed" if (i == 1 and r is reqs[1]) else "Completed",
                "FailureReason": "AlgorithmError: CUDA out of memory",
                "TrainingTimeInSeconds": 3600,
                "FinalMetricDataList": [{"MetricName": "fitcheck:samples_per_second", "Value": sps}],
            }
            for r, sps in zip(reqs, (100.0, 150.0 + 10 * i), strict=True)
        ]
        per_pair.append(collect_results(s, reqs, descs[0], descs[1], NOW))
    # the second pair's compiled job failed after printing a throughput: that pair counts for nothing
    assert per_pair[1].comparisons[0].measurement == "failed"
    results = combine_pairs(per_pair)
    comp = results.comparisons[0]
    assert (comp.measurement, comp.blocks, comp.point_estimate) == ("insufficient", 2, 1.6)
    assert results.config["spread"] == {"low": 1.5, "high": 1.7}
    with pytest.raises(FitcheckError) as info:
        _fail_if_nothing_measured(results, tmp_path / "r.json")
    assert info.value.exit_code == 1
    assert str(info.value) == (
        "1 of 3 pairs measured nothing (pair abcd12341); "
        f"the spread in {tmp_path / 'r.json'} holds the others"
    )
    _fail_if_nothing_measured(combine_pairs([per_pair[0], per_pair[2]]), tmp_path / "r.json")  # all measured
