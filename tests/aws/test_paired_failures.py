"""Failure safety of the paired benchmark and the harness job: credential and profile errors are
one line with exit code 2, ``--source-dir s3://...`` reaches the request as it was typed, Ctrl-C
while waiting leaves the jobs running and says how to stop or collect them, and the harness
runs on GPUs only."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fitcheck.cli import app
from fitcheck.errors import FitcheckError, InputError

from .conftest import DUMMY_KEY_ID, DUMMY_SECRET, isolate_aws_env
from .history import PT_IMAGE, ROLE

runner = CliRunner()


def _bench(*extra: str) -> list[str]:
    return [
        "bench",
        "--on",
        "sagemaker",
        "--workload",
        "bert-nightly",
        "--role",
        ROLE,
        "--image",
        PT_IMAGE,
        "--entry-point",
        "train.py",
        "--instance-type",
        "ml.g5.2xlarge",
        "--compiler",
        "torch.compile",
        *extra,
    ]


def _one_clear_line(res, start: str) -> None:
    assert res.exit_code == 2, res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith(start), res.output
    assert "Traceback" not in res.output and "internal error" not in res.output
    assert DUMMY_KEY_ID not in res.output and DUMMY_SECRET not in res.output


def test_s3_source_dir_reaches_the_request_as_typed(aws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(
        app, _bench("--source-dir", "s3://acme-ml/code/sourcedir.tar.gz", "--dry-run", "--pairs", "1")
    )
    assert res.exit_code == 0, res.output
    requests = json.loads(res.output[res.output.index("{") : res.output.rindex("}") + 1])
    for variant in ("eager", "compiled"):
        hp = requests[variant]["HyperParameters"]
        assert hp["sagemaker_submit_directory"] == "s3://acme-ml/code/sourcedir.tar.gz"
        assert hp["sagemaker_program"] == "train.py"


def test_unknown_profile_is_one_line(moto_server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    (tmp_path / "train.py").write_text("print('fitcheck_throughput samples_per_second=1')\n")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, _bench("--region", "us-east-1"))
    _one_clear_line(res, "error: AWS profile 'nobody' not found (AWS_PROFILE)")


def test_failing_credential_process_is_one_line_without_its_output(moto_server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    script = tmp_path / "creds.sh"
    script.write_text("#!/bin/sh\necho 'secret-token-from-vault' >&2\nexit 3\n")
    script.chmod(0o755)
    (tmp_path / "no-aws-config").write_text(
        f"[profile team]\nregion = us-east-1\ncredential_process = {script}\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "team")
    (tmp_path / "train.py").write_text("print('fitcheck_throughput samples_per_second=1')\n")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, _bench())
    _one_clear_line(
        res, "error: the AWS credential source 'custom-process' failed to look up the AWS account"
    )
    assert "secret-token-from-vault" not in res.output


def test_expired_sso_session_is_one_line(moto_server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("HOME", str(tmp_path))  # no SSO token cache
    (tmp_path / "no-aws-config").write_text(
        "[profile team]\nregion = us-east-1\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = ML\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "team")
    (tmp_path / "train.py").write_text("print('fitcheck_throughput samples_per_second=1')\n")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, _bench())
    _one_clear_line(
        res,
        "error: the AWS SSO session needed to look up the AWS account (STS GetCallerIdentity) is "
        "missing or expired",
    )


def _interrupting_client():
    from fitcheck.aws.session import client, make_session

    sm = client(make_session("us-east-1"), "sagemaker", "us-east-1")

    def interrupt(**_):
        raise KeyboardInterrupt

    sm.meta.events.register("before-send.sagemaker.DescribeTrainingJob", interrupt)
    return sm


def test_ctrl_c_while_waiting_for_a_pair_says_how_to_stop_or_collect(aws):
    from fitcheck.aws.paired import _wait

    names = ("fc-bert-nightly-ab12cd34-e", "fc-bert-nightly-ab12cd34-c")
    with pytest.raises(FitcheckError) as info:
        _wait(_interrupting_client(), names, "us-east-1", lambda _: None, "ab12cd34")
    text = str(info.value)
    assert info.value.exit_code == 130  # interrupted, as the shell counts Ctrl-C
    assert (
        "stopped waiting; the jobs keep running (fc-bert-nightly-ab12cd34-e, fc-bert-nightly-ab12cd34-c)"
        in text
    )
    assert "aws sagemaker stop-training-job --training-job-name NAME" in text
    assert "'fitcheck bench collect ab12cd34'" in text


def test_ctrl_c_while_waiting_for_the_harness_says_how_to_stop_or_collect(aws):
    from fitcheck.aws.harness import wait_for_harness

    job = "fc-bert-nightly-ab12cd34-h"
    with pytest.raises(FitcheckError) as info:
        wait_for_harness(_interrupting_client(), job, "us-east-1", lambda _: None)
    text = str(info.value)
    assert f"the job {job} keeps running" in text
    assert f"stop-training-job --training-job-name {job}" in text
    assert f"'fitcheck bench collect {job}'" in text


@pytest.mark.parametrize("instance_type", ["ml.trn1.2xlarge", "ml.m5.xlarge"])
def test_the_harness_refuses_instances_without_a_gpu(aws, instance_type):
    from fitcheck.aws.harness import bench_harness_on_sagemaker

    with pytest.raises(InputError, match=f"{instance_type} has no GPU"):
        bench_harness_on_sagemaker(
            "bert-nightly", ROLE, PT_IMAGE, ["--model", "bert-base-uncased"], instance_type, dry_run=True
        )


def test_ctrl_c_between_the_two_launches_stops_the_first_job(aws, monkeypatch):
    from fitcheck.aws.paired import TORCH_COMPILE, build_pair_requests, launch_pair
    from fitcheck.aws.session import client, make_session

    from .test_paired import spec

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # moto answers StopTrainingJob with a 500
    sm = client(make_session("us-east-1"), "sagemaker", "us-east-1")

    def interrupt_compiled(request, **_):
        if b'-c"' in request.body:
            raise KeyboardInterrupt

    sm.meta.events.register("before-send.sagemaker.CreateTrainingJob", interrupt_compiled)
    requests = build_pair_requests(spec(TORCH_COMPILE))
    first = requests[0]["TrainingJobName"]
    aws.start_recording()
    with pytest.raises(InputError) as info:
        launch_pair(sm, requests, "us-east-1")
    assert str(info.value).startswith("the compiled job could not be launched (interrupted); ")
    stops = aws.sent("SageMaker.StopTrainingJob")
    assert stops and all(b == {"TrainingJobName": first} for b in stops)
