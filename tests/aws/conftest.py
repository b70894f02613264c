"""Fixtures: a real moto server (``moto_server`` from moto[server]) on 127.0.0.1.

The server runs as a subprocess for the whole test session; every test that uses
:func:`aws` starts from an empty server state (``POST /moto-api/reset``) and talks to it
through boto3's own ``AWS_ENDPOINT_URL`` support, with dummy credentials. Nothing here
replaces any fitcheck function.

What moto cannot show (and the tests say where it matters):
- it returns no ``TrainingTimeInSeconds`` / ``BillableTimeInSeconds`` and completes jobs
  instantly (``TrainingStartTime == TrainingEndTime``), so durations, billed hours and the
  spot discount are tested on DescribeTrainingJob responses shaped like real ones, served by
  botocore's Stubber (``test_import_stubbed.py``);
- it drops ``ProfilerConfig`` and replaces ``MetricDefinitions``; the paired-launch test reads
  the CreateTrainingJob bodies from moto's request recorder to see what was really sent;
- it does not implement the Price List API (``test_prices.py`` uses the Stubber).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Distinctive dummy credentials: tests assert they never appear in any output or file.
DUMMY_KEY_ID = "AKIAFITCHECKDUMMY0001"
DUMMY_SECRET = "fitcheckDummySecretKeyThatMustNeverBePrinted01"


@dataclass(frozen=True)
class MotoServer:
    url: str
    recording: Path

    def post(self, path: str) -> bytes:
        req = urllib.request.Request(self.url + path, data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read()

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:
            return resp.read()

    def reset(self) -> None:
        self.post("/moto-api/reset")

    def start_recording(self) -> None:
        self.post("/moto-api/recorder/reset-recording")
        self.post("/moto-api/recorder/start-recording")

    def recorded_requests(self) -> list[dict]:
        self.post("/moto-api/recorder/stop-recording")
        text = self.get("/moto-api/recorder/download-recording").decode("utf-8")
        entries = [json.loads(line) for line in text.splitlines() if line.strip()]
        for e in entries:
            body = e.get("body") or ""
            if e.get("body_encoded"):
                body = base64.b64decode(body).decode("utf-8", "replace")
            e["body"] = body
        return entries

    def sent(self, target: str) -> list[dict]:
        """The JSON bodies of the recorded calls of one action, e.g. SageMaker.CreateTrainingJob."""
        return [
            json.loads(e["body"])
            for e in self.recorded_requests()
            if e["headers"].get("X-Amz-Target") == target
        ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """Start ``moto_server`` on a free port, wait until it answers, stop it at the end."""
    exe = Path(sys.executable).with_name("moto_server")
    if not exe.exists():
        pytest.skip("moto_server not installed (pip install 'moto[server]')")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("moto")
    recording = workdir / "recording.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["MOTO_RECORDER_FILEPATH"] = str(recording)
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=workdir,
    )
    server = MotoServer(f"http://127.0.0.1:{port}", recording)
    deadline = time.monotonic() + 30
    while True:
        try:
            server.get("/moto-api/data.json")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                raise RuntimeError(
                    f"moto_server did not start: {(workdir / 'server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.1)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def isolate_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS settings from the machine: no profile, config or credentials files."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MotoServer:
    """boto3 pointed at the moto server with dummy credentials, region us-east-1, empty state."""
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    moto_server.reset()
    return moto_server
