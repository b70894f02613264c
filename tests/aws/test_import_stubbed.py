"""The importer on a realistic history: DescribeTrainingJob and ListTags responses shaped like
real AWS ones, served by botocore's Stubber on a real botocore client.

moto cannot report training or billable seconds, nor launch tuning or pipeline jobs (see
``conftest.py``). The Stubber checks every request against the SageMaker API model and
parses the responses as it would AWS's. The written inventory is then loaded with the
inventory reader and analyzed.
"""

from __future__ import annotations

import pytest
from botocore.stub import ANY, Stubber
from ruamel.yaml import YAML

from fitcheck.aws.importer import ImportInterrupted, import_sagemaker, partial_path, state_path
from fitcheck.io.profiles import load_profile

from .conftest import isolate_aws_env
from .realistic import EXCLUDED, EXPECTED, NOW, STOPPED, T0, realistic_history


@pytest.fixture
def stubbed(monkeypatch, tmp_path):
    import boto3

    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFITCHECKDUMMY0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sm = boto3.Session().client("sagemaker", region_name="us-east-1")
    with Stubber(sm) as stub:
        yield sm, stub


def _summary(d):
    return {
        "TrainingJobName": d["TrainingJobName"],
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{d['TrainingJobName']}",
        "CreationTime": d.get("CreationTime", T0),
        "TrainingJobStatus": d["TrainingJobStatus"],
    }


def _queue_listing(stub, jobs, failed):
    summaries = [_summary(d) for d, _ in jobs] + [_summary(failed)]
    stub.add_response(
        "list_training_jobs",
        {"TrainingJobSummaries": summaries[:40], "NextToken": "page-2"},
        {"MaxResults": 100, "CreationTimeAfter": ANY},
    )
    stub.add_response(
        "list_training_jobs",
        {"TrainingJobSummaries": summaries[40:]},
        {"MaxResults": 100, "CreationTimeAfter": ANY, "NextToken": "page-2"},
    )


def _queue_job(stub, desc, tags):
    name = desc["TrainingJobName"]
    stub.add_response("describe_training_job", desc, {"TrainingJobName": name})
    stub.add_response("list_tags", {"Tags": tags}, {"ResourceArn": desc["TrainingJobArn"], "MaxResults": 100})


def _import(sm, out, **kw):
    return import_sagemaker(
        output=out,
        since="2024-04-01",
        max_workers=1,
        now=NOW,
        sagemaker_client=sm,
        gpu_utilization=False,
        **kw,
    )


def test_realistic_history_groups_exactly(stubbed, tmp_path):
    sm, stub = stubbed
    jobs, failed = realistic_history()
    _queue_listing(stub, jobs, failed)
    for desc, tags in jobs:
        _queue_job(stub, desc, tags)
    out = tmp_path / "workloads.yaml"
    result = _import(sm, out)
    stub.assert_no_pending_responses()
    assert result.not_imported_status == {"Failed": 1}
    assert (result.listed, result.described) == (len(jobs) + 1, len(jobs))
    assert result.excluded == EXCLUDED
    assert {s.name: len(s.jobs) for s in result.skipped if s.kind == "stopped"} == STOPPED
    assert [s for s in result.skipped if s.kind != "stopped"] == []
    data = YAML(typ="safe").load(out.read_text())
    w = {x["name"]: x for x in data["workloads"]}
    got = {
        name: (int(x["tags"]["sagemaker.jobs"]), x["tags"]["sagemaker.grouped_by"], x["runs_per_week"])
        for name, x in w.items()
    }
    print("\n".join(f"{k}: {v}" for k, v in sorted(got.items())))
    assert set(got) == set(EXPECTED)
    for name, (n, rule, rate) in EXPECTED.items():
        assert got[name][:2] == (n, rule), name
        assert got[name][2] == pytest.approx(rate, rel=2e-3), name

    bert = w["bert-nightly"]
    assert bert["duration_hours"] == pytest.approx((7000 + 100 * 6.5) / 3600, abs=1e-4)  # median of 14
    assert (bert["framework_version"], bert["precision"], bert["input_shapes"]) == (
        "1.13.1",
        "fp16",
        "static",
    )
    assert (bert["tags"]["team"], bert["tags"]["cost-centre"]) == ("nlp", "cc-42")  # user tags carried
    assert bert["tags"]["sagemaker.cadence"] == "recurring"
    assert bert.get("transformers_version", bert["tags"].get("sagemaker.transformers_version")) == "4.26.0"
    assert w["churn-pipeline-trainmodel"]["tags"]["team"] == "growth"
    assert w["huggingface-pytorch-training-roberta-base"]["model"] == "roberta-base"
    assert w["llama3-8b-2048"]["sequence_length"] == 2048 and w["llama3-8b-8192"]["sequence_length"] == 8192
    resnet = w["resnet50-train"]
    assert (resnet["duration_hours"], resnet["instance_count"], resnet["spot"]) == (6.0, 2, True)
    assert resnet["spot_discount"] == pytest.approx(0.68)
    t5 = w["t5-summarize"]
    assert t5["compiler_enabled"] is True and t5["framework_version"] == "1.11.0"  # the latest run
    assert t5["tags"]["sagemaker.historical_compiler_ratio"] == "0.7"
    assert result.evidence["t5-summarize"].ratio == pytest.approx(0.7)
    assert (result.evidence["t5-summarize"].runs_on, result.evidence["t5-summarize"].runs_off) == (4, 4)
    # before / after a change: the median training seconds of the runs on each side (realistic.py)
    changes = {
        name: [(c.label, c.runs_before, c.runs_after) for c in cs] for name, cs in result.changes.items()
    }
    assert changes == {
        "qa-finetune": [("image pytorch-training:2.0.1 -> 2.1.0 on 2024-05-16", 5, 3)],
        "sdxl-lora": [("instance type ml.g5.2xlarge -> ml.g5.4xlarge on 2024-05-17", 4, 3)],
        "ner-train": [("instance count 1 -> 2 on 2024-05-18", 4, 3)],
        "t5-summarize": [
            (
                "image huggingface-pytorch-training:1.11.0 -> huggingface-pytorch-trcomp-training:1.11.0, "
                "compiler disabled -> enabled on 2024-05-13",
                4,
                4,
            )
        ],
    }
    qa, sdxl, ner = (result.changes[n][0] for n in ("qa-finetune", "sdxl-lora", "ner-train"))
    assert (qa.time_ratio, qa.cost_ratio) == (round(3600 / 4200, 4), None)  # 0.8571
    assert w["qa-finetune"]["tags"]["sagemaker.historical_change_ratio"] == "0.8571"
    assert w["qa-finetune"]["framework_version"] == "2.1.0"  # the latest run sets the configuration
    assert sdxl.time_ratio == round(4200 / 5300, 4)  # 0.7925
    prices = load_profile().instances.set_index("instance_type")["price_usd_per_hour"]
    assert sdxl.cost_ratio == pytest.approx(
        4200 * prices["ml.g5.4xlarge"] / (5300 * prices["ml.g5.2xlarge"]), abs=1e-4
    )
    assert (ner.time_ratio, ner.cost_ratio) == (None, round(4800 * 2 / 8200, 4))  # 1.1707 instance-hours
    assert "sagemaker.historical_change_ratio" not in w["ner-train"]["tags"]
    assert w["ner-train"]["tags"]["sagemaker.historical_change_cost_ratio"] == "1.171"
    assert (w["ner-train"]["instance_count"], w["sdxl-lora"]["instance_type"]) == (2, "ml.g5.4xlarge")
    assert w["t5-summarize"]["tags"]["sagemaker.historical_change_ratio"] == "0.7"
    vit = w["vit-experiment-quick"]
    assert vit["tags"]["sagemaker.cadence"] == "one-off"
    text = out.read_text()
    assert (
        "# STOPPED old-gpt2-finetune (3 job(s)): stopped: last run 2024-04-09, 53 days before 2024-06-01"
        in text
    )
    assert "# HISTORY t5-summarize: historical evidence, not a benchmark" in text
    assert (
        "# HISTORY qa-finetune: historical evidence, not a benchmark: image pytorch-training:2.0.1 -> 2.1.0 "
        "on 2024-05-16: median training seconds per run after / before = 0.857 (5 run(s) before, 3 after; "
        "data size and other settings may differ between runs)\n"
    ) in text
    assert (
        "# STOPPED sdxl-lora-g5-2xlarge (4 job(s)): superseded: the workload moved to ml.g5.4xlarge x1 "
        "on 2024-05-17\n"
    ) in text
    assert "# left out: 2 fitcheck benchmark job(s) (tags fitcheck:*)" in text
    assert "# not imported (status): 1 Failed" in text

    from fitcheck import api

    analysis = api.analyze(out, now=NOW)
    assert sorted(analysis.table["name"]) == sorted(EXPECTED)
    decisions = dict(zip(analysis.table["name"], analysis.table["decision"], strict=True))
    assert decisions["churn-pipeline-trainmodel"] == "skip"  # CPU gradient-boosted trees
    # history is never a measurement: every workload, those with a HISTORY line too, rests on priors
    assert set(analysis.table["evidence"]) == {"prior"}


def test_stopped_workloads_are_written_on_request(stubbed, tmp_path):
    sm, stub = stubbed
    jobs, failed = realistic_history()
    _queue_listing(stub, jobs, failed)
    for desc, tags in jobs:
        _queue_job(stub, desc, tags)
    out = tmp_path / "w.yaml"
    result = _import(sm, out, include_stopped=True, stale_days=60)
    names = {d.name for d in result.workloads}
    assert "old-gpt2-finetune" in names  # 53 days < 60: not even stopped
    assert not [s for s in result.skipped if s.kind == "stopped"]


def test_failure_part_way_then_resume_describes_only_the_rest(stubbed, tmp_path):
    sm, stub = stubbed
    jobs, failed = realistic_history()
    _queue_listing(stub, jobs, failed)
    for desc, tags in jobs[:16]:
        _queue_job(stub, desc, tags)
    stub.add_client_error(
        "describe_training_job",
        "AccessDeniedException",
        "not authorized",
        expected_params={"TrainingJobName": jobs[16][0]["TrainingJobName"]},
    )
    out = tmp_path / "workloads.yaml"
    out.write_text("version: 1\n# the previous complete import\n")
    before = out.read_bytes()
    with pytest.raises(ImportInterrupted) as info:
        _import(sm, out)
    err = info.value
    total = len(jobs)
    assert str(err).startswith(f"import stopped after describing 16 of {total} training jobs: access denied")
    assert f"to {partial_path(out)}" in str(err) and f"{out} was not changed" in str(err)
    assert "--resume" in str(err)
    assert err.input_error is True
    assert out.read_bytes() == before
    partial = YAML(typ="safe").load(partial_path(out).read_text())
    assert {x["name"] for x in partial["workloads"]} == {"bert-nightly", "bert-hpo"}
    assert state_path(out).is_file()
    stub.assert_no_pending_responses()

    # Resume: list again, describe only the jobs not yet described.
    _queue_listing(stub, jobs, failed)
    for desc, tags in jobs[16:]:
        _queue_job(stub, desc, tags)
    result = _import(sm, out, resume=True)
    stub.assert_no_pending_responses()
    assert result.resumed == 16 and result.described == total
    assert {d.name for d in result.workloads} == set(EXPECTED)
    assert not state_path(out).exists() and not partial_path(out).exists()


def test_resume_rejects_a_file_that_is_not_a_state(stubbed, tmp_path):
    from fitcheck.errors import InputError

    sm, _ = stubbed
    out = tmp_path / "w.yaml"
    state_path(out).write_text(
        '{"kind": "fitcheck-import-state", "version": 1, "region": "us-east-1"}\nnot json\n'
    )
    with pytest.raises(InputError) as info:
        _import(sm, out, resume=True)
    assert str(info.value).startswith(f"{state_path(out)}:2: not a job record of a partial import")
