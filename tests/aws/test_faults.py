"""Fault injection against moto's SageMaker: throttling and 5xx answers part-way through an
import are retried by the client (adaptive mode) and lose nothing; a failure that outlasts
the retries leaves a partial import that ``--resume`` completes without describing again.

The faults are injected on the real client, before the request is sent (botocore's
``before-send`` event), so botocore's retry machinery sees them exactly as it would AWS's.
moto reports no training seconds; an ``after-call`` hook fills in the duration that AWS
would return, so the history yields workloads.
"""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from ruamel.yaml import YAML

from fitcheck.aws.importer import ImportInterrupted, import_sagemaker, partial_path, state_path
from fitcheck.aws.session import client, make_session

from .history import create_history
from .realistic import NOW


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object):
        yield self._data


def _answer(status: int, code: str) -> AWSResponse:
    body = json.dumps({"__type": code, "message": "injected"}).encode()
    headers = {"x-amzn-RequestId": "injected", "Content-Type": "application/x-amz-json-1.1"}
    return AWSResponse("https://injected", status, headers, _Body(body))


class Faults:
    """Answers every ``throttle_every``-th request with a throttling error and every
    ``error_every``-th with HTTP 500; ``always`` fails every request for one job."""

    def __init__(self, throttle_every: int = 0, error_every: int = 0, always: str | None = None) -> None:
        self.throttle_every, self.error_every, self.always = throttle_every, error_every, always
        self.calls = 0
        self.injected: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request, **_: object):
        with self._lock:
            self.calls += 1
            n = self.calls
            body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
            if self.always and self.always in body:
                self.injected.append("500-always")
                return _answer(500, "InternalFailure")
            if self.throttle_every and n % self.throttle_every == 0:
                self.injected.append("throttling")
                return _answer(400, "ThrottlingException")
            if self.error_every and n % self.error_every == 0:
                self.injected.append("503")
                return _answer(503, "ServiceUnavailable")
        return None


def _durations(parsed, **_: object) -> None:
    """What AWS reports and moto does not: the job's training and billable seconds."""
    if "TrainingJobName" in parsed:
        parsed["TrainingTimeInSeconds"] = 3600
        parsed["BillableTimeInSeconds"] = 3600


def _client(faults: Faults | None):
    sm = client(make_session("us-east-1"), "sagemaker", "us-east-1", max_workers=4)
    sm.meta.events.register("after-call.sagemaker.DescribeTrainingJob", _durations)
    if faults is not None:
        sm.meta.events.register("before-send.sagemaker", faults)
    return sm


def _workloads(path):
    return YAML(typ="safe").load(path.read_text())["workloads"]


def _import(out, sm, **kw):
    return import_sagemaker(
        output=out, max_workers=4, now=NOW, sagemaker_client=sm, gpu_utilization=False, **kw
    )


@pytest.fixture
def history(aws):
    create_history(boto3.client("sagemaker"))
    return aws


def test_throttling_and_5xx_mid_import_lose_nothing(history, tmp_path):
    clean = tmp_path / "clean.yaml"
    _import(clean, _client(None))
    faults = Faults(throttle_every=6, error_every=9)
    faulty = tmp_path / "faulty.yaml"
    result = _import(faulty, _client(faults))
    print(f"{faults.calls} requests, {len(faults.injected)} faults injected: {sorted(set(faults.injected))}")
    assert {"throttling", "503"} <= set(faults.injected)
    assert result.described == 9 and not result.failed_describe
    assert faulty.read_text().replace("faulty", "clean") == clean.read_text()  # the same inventory


def test_failure_beyond_retries_then_resume(history, tmp_path, monkeypatch):
    clean = tmp_path / "clean.yaml"
    _import(clean, _client(None))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    out = tmp_path / "workloads.yaml"
    faults = Faults(always="gpt2-stc-a1b2c3d4")
    with pytest.raises(ImportInterrupted) as info:
        _import(out, _client(faults))
    assert not info.value.input_error  # a service failure, exit code 1
    assert "AWS refused DescribeTrainingJob" in str(info.value) and "--resume" in str(info.value)
    assert faults.injected.count("500-always") == 3  # the client tried three times
    assert state_path(out).is_file() and partial_path(out).is_file() and not out.exists()
    kept = info.value.result.described
    assert 0 < kept < 9

    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    resumed = Faults()
    result = _import(out, _client(resumed), resume=True)
    assert result.resumed == kept and result.described == 9
    assert _workloads(out) == _workloads(clean)
    assert not state_path(out).exists() and not partial_path(out).exists()
