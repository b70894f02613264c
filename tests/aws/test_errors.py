"""No credentials, wrong region, access denied, offline: one clear line, exit code 2, no
traceback, no credentials in the output, nothing already written damaged."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from fitcheck.cli import app

from .conftest import DUMMY_KEY_ID, DUMMY_SECRET, MotoServer, _free_port, isolate_aws_env
from .history import create_history

runner = CliRunner()


def _existing(tmp_path: Path) -> tuple[Path, bytes]:
    out = tmp_path / "workloads.yaml"
    out.write_text("version: 1\nworkloads: []  # an earlier import\n")
    return out, out.read_bytes()


def _one_clear_line(res, start: str) -> None:
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert lines[-1].startswith(start), res.output
    assert "Traceback" not in res.output
    assert DUMMY_KEY_ID not in res.output and DUMMY_SECRET not in res.output


def test_no_credentials(moto_server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    out, before = _existing(tmp_path)
    res = runner.invoke(app, ["import", "sagemaker", "--region", "us-east-1", "-o", str(out)])
    _one_clear_line(res, "error: no usable AWS credentials to list SageMaker training jobs")
    assert out.read_bytes() == before


def _profile(monkeypatch, tmp_path, text):
    (tmp_path / "no-aws-config").write_text(text)
    monkeypatch.setenv("AWS_PROFILE", "team")


def test_credential_process_failure_is_one_line_without_its_output(moto_server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    script = tmp_path / "creds.sh"
    script.write_text("#!/bin/sh\necho 'secret-token-from-vault' >&2\nexit 3\n")
    script.chmod(0o755)
    _profile(monkeypatch, tmp_path, f"[profile team]\nregion = us-east-1\ncredential_process = {script}\n")
    out, before = _existing(tmp_path)
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(out), "--no-progress"])
    _one_clear_line(
        res, "error: the AWS credential source 'custom-process' failed to list SageMaker training jobs"
    )
    assert "secret-token-from-vault" not in res.output
    assert out.read_bytes() == before


def test_expired_sso_session_is_one_line(moto_server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("HOME", str(tmp_path))  # no SSO token cache
    _profile(
        monkeypatch,
        tmp_path,
        "[profile team]\nregion = us-east-1\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = ML\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n",
    )
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(tmp_path / "w.yaml"), "--no-progress"])
    _one_clear_line(
        res, "error: the AWS SSO session needed to list SageMaker training jobs is missing or expired"
    )


def test_unknown_profile_is_one_line(moto_server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    res = runner.invoke(app, ["import", "sagemaker", "--region", "us-east-1", "-o", str(tmp_path / "w.yaml")])
    _one_clear_line(res, "error: AWS profile 'nobody' not found (AWS_PROFILE)")


def test_no_region(aws, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(tmp_path / "w.yaml")])
    _one_clear_line(res, "error: --region: no AWS region: pass --region")


def test_wrong_region(aws, tmp_path):
    res = runner.invoke(app, ["import", "sagemaker", "--region", "us-east-9", "-o", str(tmp_path / "w.yaml")])
    _one_clear_line(res, "error: --region: 'us-east-9' is not an AWS region with sagemaker; did you mean")


def test_offline(aws, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    out, before = _existing(tmp_path)
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(out), "--no-progress"])
    _one_clear_line(res, "error: cannot reach the AWS API to list SageMaker training jobs in us-east-1")
    assert out.read_bytes() == before


@pytest.fixture
def auth_server(tmp_path):
    """A second moto_server that enforces authentication after the first N requests."""

    def start(allowed_requests: int) -> MotoServer:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(allowed_requests)
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("moto_server")),
                "-H",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tmp_path,
        )
        procs.append(proc)
        server = MotoServer(f"http://127.0.0.1:{port}", tmp_path / "rec")
        deadline = time.monotonic() + 30
        while True:
            try:
                server.get("/moto-api/data.json")
                return server
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    procs: list[subprocess.Popen] = []
    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=10)


def _use(server, monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_access_denied(auth_server, monkeypatch, tmp_path):
    server = auth_server(0)  # every request is checked; the dummy key is unknown to moto's IAM
    _use(server, monkeypatch, tmp_path)
    out, before = _existing(tmp_path)
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(out)])
    _one_clear_line(res, "error: access denied to list SageMaker training jobs in us-east-1")
    assert "on ListTrainingJobs" in res.output
    assert out.read_bytes() == before


def test_access_lost_part_way_keeps_what_was_described(auth_server, monkeypatch, tmp_path):
    # 9 CreateTrainingJob + 1 ListTrainingJobs + 4 x (DescribeTrainingJob + ListTags) are let through.
    server = auth_server(18)
    _use(server, monkeypatch, tmp_path)
    create_history(boto3.client("sagemaker"))
    out, before = _existing(tmp_path)
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(out), "--workers", "1", "--no-progress"])
    assert res.exit_code == 2, res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("error: import stopped after describing 4 of 9 training jobs: access denied")
    assert "workloads.partial.yaml" in last and "was not changed" in last
    assert out.read_bytes() == before
    # moto reports no durations, so the four described jobs are kept as skipped notes.
    partial = (tmp_path / "workloads.partial.yaml").read_text()
    assert partial.startswith("# PARTIAL IMPORT: stopped after describing 4 of 9 jobs")
    assert "# - bert-nightly (3 job(s)" in partial
