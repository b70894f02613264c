"""GPU utilisation from CloudWatch: request shapes (Stubber), statistics with known truth
(simulation), and the whole import against moto's CloudWatch."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from ruamel.yaml import YAML

from fitcheck.aws.cloudwatch import (
    METRIC,
    NAMESPACE,
    JobWindow,
    job_samples,
    metric_queries,
    percentile,
    period_for,
    utilisation_stats,
)
from fitcheck.aws.importer import ImportInterrupted, import_sagemaker, partial_path, state_path

from .realistic import BERT, describe

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def test_period_follows_cloudwatch_retention():
    assert period_for(NOW - timedelta(days=3), NOW) == 60
    assert period_for(NOW - timedelta(days=30), NOW) == 300
    assert period_for(NOW - timedelta(days=200), NOW) == 3600
    assert period_for(NOW - timedelta(days=500), NOW) is None


def test_one_query_per_host_over_the_training_window():
    w = JobWindow("bert-nightly-x", 2, NOW + timedelta(seconds=30), NOW + timedelta(hours=1, seconds=1))
    req = metric_queries(w, 60)
    assert req["StartTime"] == NOW and req["EndTime"] == NOW + timedelta(hours=1, minutes=1)
    assert [q["MetricStat"]["Metric"]["Dimensions"] for q in req["MetricDataQueries"]] == [
        [{"Name": "Host", "Value": "bert-nightly-x/algo-1"}],
        [{"Name": "Host", "Value": "bert-nightly-x/algo-2"}],
    ]
    stat = req["MetricDataQueries"][0]["MetricStat"]
    assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Period"], stat["Stat"]) == (
        NAMESPACE,
        METRIC,
        60,
        "Average",
    )


def test_get_metric_data_pages_are_followed():
    cw = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b").client(
        "cloudwatch", region_name="us-east-1"
    )
    w = JobWindow("j", 2, NOW, NOW + timedelta(minutes=3))
    req = metric_queries(w, 60)
    with Stubber(cw) as stub:
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [{"Id": "h1", "Values": [80.0, 90.0], "StatusCode": "PartialData"}],
                "NextToken": "t",
            },
            req,
        )
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [{"Id": "h2", "Values": [70.0], "StatusCode": "Complete"}]},
            {**req, "NextToken": "t"},
        )
        assert job_samples(cw, w, 60) == [80.0, 90.0, 70.0]
        stub.assert_no_pending_responses()


def test_percentile_and_scaling_by_gpu_count():
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([0, 10], 5) == pytest.approx(0.5)
    u = utilisation_stats([400.0, 200.0, 0.0, 800.0], 4, 1, 60, NOW, NOW)  # 4 GPUs: 0..400 %
    assert u is not None and (u.mean, u.p95) == (pytest.approx((1 + 0.5 + 0 + 1) / 4), 1.0)  # 800 clamps to 1
    assert utilisation_stats([], 4, 1, 60, NOW, NOW) is None


def test_estimates_recover_known_utilisation_by_simulation():
    """Per-minute samples from a known distribution over runs and hosts: p5, p95 and mean come
    back within a tolerance well inside the spread between seeds."""
    gpus = 8
    errors = []
    for seed in range(200):
        rng = random.Random(seed)
        a, b = 6.0, 2.0  # Beta(6, 2): mean 0.75, a long left tail of input stalls
        samples = [rng.betavariate(a, b) * 100 * gpus for _ in range(3 * 2 * 120)]  # 3 runs, 2 hosts, 2 h
        u = utilisation_stats(samples, gpus, 3, 60, NOW, NOW)
        assert u is not None
        errors.append((u.mean - 0.75, u.p5 - 0.4793, u.p95 - 0.9466))
    # True quantiles of Beta(6, 2), whose CDF is 7x^6 - 6x^7: p5 = 0.4793, p95 = 0.9466.
    for i, label in enumerate(("mean", "p5", "p95")):
        bias = sum(e[i] for e in errors) / len(errors)
        worst = max(abs(e[i]) for e in errors)
        print(f"{label}: mean error {bias:+.4f}, worst |error| {worst:.4f} over {len(errors)} seeds")
        assert abs(bias) < 0.005
        assert worst < 0.05


@pytest.fixture
def recent_history():
    """Two nightly jobs of one workload on a 4-GPU instance, started in the last days."""
    now = datetime.now(UTC).replace(microsecond=0)
    jobs = []
    for d in (3, 2, 1):
        t = now - timedelta(days=d)
        jobs.append(describe(f"bert-gpu-{t:%Y%m%d}", t, BERT_IMAGE, "ml.g5.12xlarge", BERT, 3600))
    return now, jobs


BERT_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-gpu-py310-cu121-ubuntu20.04"


def test_import_reads_utilisation_from_cloudwatch(aws, recent_history, tmp_path):
    now, jobs = recent_history
    cw = boto3.client("cloudwatch")
    values = []
    rng = random.Random(7)
    for desc in jobs:
        start = desc["TrainingStartTime"].replace(second=0) + timedelta(minutes=1)
        points = []
        for minute in range(50):
            v = rng.uniform(150.0, 390.0)  # 4 GPUs: 37.5 % .. 97.5 % each
            values.append(v)
            points.append(
                {
                    "MetricName": METRIC,
                    "Dimensions": [{"Name": "Host", "Value": f"{desc['TrainingJobName']}/algo-1"}],
                    "Timestamp": start + timedelta(minutes=minute),
                    "Value": v,
                    "Unit": "Percent",
                }
            )
        for i in range(0, len(points), 25):
            cw.put_metric_data(Namespace=NAMESPACE, MetricData=points[i : i + 25])
    sm = boto3.client("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response(
            "list_training_jobs",
            {
                "TrainingJobSummaries": [
                    {
                        "TrainingJobName": d["TrainingJobName"],
                        "TrainingJobArn": d["TrainingJobArn"],
                        "CreationTime": d["CreationTime"],
                        "TrainingJobStatus": "Completed",
                    }
                    for d in jobs
                ]
            },
            {"MaxResults": 100},
        )
        for d in jobs:
            stub.add_response("describe_training_job", d, {"TrainingJobName": d["TrainingJobName"]})
            stub.add_response(
                "list_tags", {"Tags": []}, {"ResourceArn": d["TrainingJobArn"], "MaxResults": 100}
            )
        out = tmp_path / "w.yaml"
        result = import_sagemaker(output=out, max_workers=1, now=now, sagemaker_client=sm)
    scaled = sorted(v / 400.0 for v in values)
    w = YAML(typ="safe").load(out.read_text())["workloads"][0]
    got = (w["gpu_utilization"], w["gpu_utilization_p5"], w["gpu_utilization_p95"])
    print(f"gpu_utilization mean {got[0]}, p5 {got[1]}, p95 {got[2]}")
    assert w["gpu_utilization"] == pytest.approx(sum(scaled) / len(scaled), abs=1e-4)
    assert w["gpu_utilization_p5"] == pytest.approx(percentile(scaled, 5), abs=1e-4)
    assert w["gpu_utilization_p95"] == pytest.approx(percentile(scaled, 95), abs=1e-4)
    window = w["tags"]["sagemaker.gpu_utilization_window"]
    assert window.startswith(
        f"CloudWatch {NAMESPACE} {METRIC} (Average per 60 s, / (100 x 4 GPU)): 150 samples"
    )
    assert "GPU utilisation from CloudWatch for 1 of 1 GPU workload(s)" in result.summary_lines()


def test_ctrl_c_while_reading_cloudwatch_keeps_the_described_jobs_for_resume(aws, recent_history, tmp_path):
    """Ctrl-C in the CloudWatch step (after every job was described) loses nothing: the jobs go
    to the partial state, the output is untouched, and --resume describes none of them again."""
    now, jobs = recent_history
    sm = boto3.client("sagemaker")
    listing = {
        "TrainingJobSummaries": [
            {
                "TrainingJobName": d["TrainingJobName"],
                "TrainingJobArn": d["TrainingJobArn"],
                "CreationTime": d["CreationTime"],
                "TrainingJobStatus": "Completed",
            }
            for d in jobs
        ]
    }
    cw = boto3.client("cloudwatch")
    calls = []

    def interrupt(**_):
        calls.append(1)
        raise KeyboardInterrupt

    cw.meta.events.register("before-send.cloudwatch.GetMetricData", interrupt)
    out = tmp_path / "w.yaml"
    out.write_text("version: 1\nworkloads: []\n")
    with Stubber(sm) as stub:
        stub.add_response("list_training_jobs", listing, {"MaxResults": 100})
        for d in jobs:
            stub.add_response("describe_training_job", d, {"TrainingJobName": d["TrainingJobName"]})
            stub.add_response(
                "list_tags", {"Tags": []}, {"ResourceArn": d["TrainingJobArn"], "MaxResults": 100}
            )
        with pytest.raises(ImportInterrupted) as info:
            import_sagemaker(output=out, max_workers=1, now=now, sagemaker_client=sm, cloudwatch_client=cw)
        stub.assert_no_pending_responses()
    assert calls, "the CloudWatch step was reached"
    assert "stopped after describing 3 of 3 training jobs: interrupted" in str(info.value)
    assert out.read_text() == "version: 1\nworkloads: []\n"
    assert state_path(out).is_file() and partial_path(out).is_file()

    cw_ok = boto3.client("cloudwatch")
    with Stubber(sm) as stub:  # resume: the listing only, no DescribeTrainingJob, no ListTags
        stub.add_response("list_training_jobs", listing, {"MaxResults": 100})
        result = import_sagemaker(
            output=out, max_workers=1, now=now, sagemaker_client=sm, cloudwatch_client=cw_ok, resume=True
        )
        stub.assert_no_pending_responses()
    assert (result.resumed, result.described) == (3, 3)
    assert [d.name for d in result.workloads] == ["bert-gpu"]
    assert not state_path(out).exists() and not partial_path(out).exists()
