"""Evidence from history before / after a change of configuration (pure: job records in, figures out).

Every figure is worked out by hand from the training seconds the records carry.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from fitcheck.aws.grouping import (
    InstancePrice,
    group_workloads,
    historical_changes,
    superseded_hardware,
)
from fitcheck.aws.mapping import job_record

from .history import PT_IMAGE
from .realistic import PT201_IMAGE, describe, sdk_ts

T0 = datetime(2024, 5, 1, 8, tzinfo=UTC)
NOW = datetime(2024, 6, 1, tzinfo=UTC)
HP = {"model_name_or_path": "roberta-large", "bf16": True, "batch-size": 16}


def run(i, secs, *, image=PT_IMAGE, instance="ml.g5.2xlarge", count=1, hp=None, days=2):
    t = T0 + timedelta(days=days * i)
    name = f"qa-train-{sdk_ts(t)}"
    return job_record(describe(name, t, image, instance, hp or HP, secs, count=count, debugger=False), [])


def test_an_image_upgrade_gives_the_median_ratio_with_counts_and_the_change_named():
    runs = [run(i, s, image=PT201_IMAGE) for i, s in enumerate((1000, 1200, 1100))]
    runs += [run(3 + i, s) for i, s in enumerate((900, 700))]
    (change,) = historical_changes(runs)
    print(change.text())
    assert change.change == "image pytorch-training:2.0.1 -> 2.1.0"
    assert change.when == date(2024, 5, 7)
    assert (change.runs_before, change.runs_after) == (3, 2)
    assert (change.median_seconds_before, change.median_seconds_after) == (1100, 800)
    assert change.time_ratio == pytest.approx(800 / 1100, abs=1e-4)
    assert change.cost_ratio is None and change.cost_basis is None  # same hardware: time is cost
    assert change.text() == (
        "historical evidence, not a benchmark: image pytorch-training:2.0.1 -> 2.1.0 on 2024-05-07: "
        "median training seconds per run after / before = 0.727 (3 run(s) before, 2 after; data size "
        "and other settings may differ between runs)"
    )


def test_hyperparameter_and_precision_changes_are_named_in_the_order_of_the_configuration():
    runs = [run(i, 1000) for i in range(2)]
    runs += [run(2 + i, 1500, hp={**HP, "batch-size": 32, "bf16": False, "fp16": True}) for i in range(2)]
    (change,) = historical_changes(runs)
    assert change.change == "precision bf16 -> fp16, batch_size 16 -> 32"
    assert change.time_ratio == 1.5


def test_a_configuration_that_comes_back_is_no_before_and_after():
    hp32 = {**HP, "batch-size": 32}
    runs = [run(0, 1000), run(1, 1000), run(2, 500, hp=hp32), run(3, 500, hp=hp32), run(4, 1000)]
    assert historical_changes(runs) == []
    assert superseded_hardware(runs) == {}


def test_each_side_needs_two_runs_with_a_known_duration():
    runs = [run(0, 1000), run(1, 1000), run(2, 900, image=PT201_IMAGE)]
    assert historical_changes(runs) == []  # one run after the change
    no_time = replace(run(3, 900, image=PT201_IMAGE), duration_seconds=None)
    assert historical_changes([*runs, no_time]) == []  # the second run after has no duration


def test_two_changes_in_a_row_are_each_compared_with_the_configuration_just_before():
    runs = [run(i, 1000, image=PT201_IMAGE) for i in range(2)]
    runs += [run(2 + i, 800) for i in range(2)]
    runs += [run(4 + i, 1200, hp={**HP, "batch-size": 64}) for i in range(3)]
    first, second = historical_changes(runs)
    assert (first.change, first.time_ratio) == ("image pytorch-training:2.0.1 -> 2.1.0", 0.8)
    assert (second.change, second.time_ratio, second.runs_before, second.runs_after) == (
        "batch_size 16 -> 64",
        1.5,
        2,
        3,
    )


def test_a_new_instance_type_is_compared_on_time_and_on_cost_at_named_prices():
    prices = {
        "ml.g5.2xlarge": InstancePrice(1.5, "test prices"),
        "ml.g5.4xlarge": InstancePrice(2.0, "test prices"),
    }
    runs = [run(i, 3000) for i in range(2)] + [run(2 + i, 2400, instance="ml.g5.4xlarge") for i in range(2)]
    (change,) = historical_changes(runs, prices)
    assert change.change == "instance type ml.g5.2xlarge -> ml.g5.4xlarge"
    assert change.time_ratio == 0.8
    assert change.cost_ratio == pytest.approx(0.8 * 2.0 / 1.5, abs=1e-4)  # 1.0667
    assert change.cost_basis == (
        "on-demand cost per run after / before at ml.g5.2xlarge $1.5/h and ml.g5.4xlarge $2/h (test prices)"
    )
    (unpriced,) = historical_changes(runs, {"ml.g5.2xlarge": prices["ml.g5.2xlarge"]})
    assert unpriced.cost_ratio is None
    assert unpriced.cost_basis == "cost per run not compared: no on-demand price for ml.g5.4xlarge"
    assert unpriced.text().endswith("; cost per run not compared: no on-demand price for ml.g5.4xlarge")


def test_a_new_instance_count_withholds_the_time_ratio_and_gives_instance_hours():
    runs = [run(i, 8000, instance="ml.g5.12xlarge") for i in range(2)]
    runs += [run(2 + i, s, instance="ml.g5.12xlarge", count=2) for i, s in enumerate((5000, 4000))]
    (change,) = historical_changes(runs)
    assert change.change == "instance count 1 -> 2"
    assert change.time_ratio is None
    assert change.cost_ratio == pytest.approx(4500 * 2 / 8000, abs=1e-4)  # 1.125
    assert "training seconds per run not compared" in change.text()
    assert "median training seconds per run after / before" not in change.text()
    assert change.text().endswith("instance-hours (cost) per run after / before = 1.125")


def test_a_workload_that_moved_hardware_is_one_workload_and_its_past_is_stopped():
    runs = [run(i, 3000) for i in range(3)] + [run(3 + i, 2400, instance="ml.g5.4xlarge") for i in range(2)]
    assert superseded_hardware(runs) == {
        ("ml.g5.2xlarge", 1): "superseded: the workload moved to ml.g5.4xlarge x1 on 2024-05-07"
    }
    g = group_workloads(runs, T0, NOW, "us-east-1")
    assert [d.name for d in g.drafts] == ["qa-train"]  # no hardware suffix: one current workload
    assert [(s.name, s.kind, len(s.jobs)) for s in g.skipped] == [("qa-train-g5-2xlarge", "stopped", 3)]
    tags = g.drafts[0].fields["tags"]
    assert tags["sagemaker.historical_change"] == "instance type ml.g5.2xlarge -> ml.g5.4xlarge on 2024-05-07"
    assert tags["sagemaker.historical_change_ratio"] == "0.8"
    assert "sagemaker.historical_change_cost_ratio" not in tags  # no prices given
    assert g.drafts[0].fields["runs_per_week"] == pytest.approx(3.5)  # the two runs on the new hardware
    written = group_workloads(runs, T0, NOW, "us-east-1", include_stopped=True)
    old = next(d for d in written.drafts if d.name == "qa-train-g5-2xlarge")
    assert old.fields["tags"]["sagemaker.status"] == "stopped"
    assert old.notes[-1].startswith("superseded: the workload moved to ml.g5.4xlarge")


def test_a_single_trial_on_other_hardware_supersedes_nothing():
    runs = [run(i, 3000) for i in range(3)] + [run(3, 2400, instance="ml.g5.4xlarge")]
    assert superseded_hardware(runs) == {}
    g = group_workloads(runs, T0, NOW, "us-east-1")
    assert sorted(d.name for d in g.drafts) == ["qa-train-g5-2xlarge", "qa-train-g5-4xlarge"]
    assert g.changes == {}


def test_before_and_after_through_moto_and_the_inventory(aws, tmp_path):
    """Jobs created through moto's CreateTrainingJob (an upgrade of the image after three runs);
    an ``after-call`` hook adds what AWS reports and moto does not: the training seconds and
    the creation days. The inventory carries the change; analyze never takes it as a measurement."""
    import boto3

    from fitcheck import api
    from fitcheck.aws.importer import import_sagemaker
    from fitcheck.aws.session import client, make_session

    from .history import _job

    seconds = {}
    created = {}
    sm_setup = boto3.client("sagemaker")
    for i, (image, secs) in enumerate(
        [(PT201_IMAGE, 5000), (PT201_IMAGE, 5400), (PT201_IMAGE, 5200), (PT_IMAGE, 4500), (PT_IMAGE, 4300)]
    ):
        name = f"qa-train-{i + 1:03d}"
        sm_setup.create_training_job(**_job(name, image, "ml.g5.2xlarge", HP, debugger=False))
        seconds[name], created[name] = secs, T0 + timedelta(days=3 * i)

    def aws_facts(parsed, **_):
        name = parsed.get("TrainingJobName")
        if name in seconds:
            parsed["CreationTime"] = created[name]
            parsed["TrainingStartTime"] = created[name] + timedelta(minutes=5)
            parsed["TrainingEndTime"] = created[name] + timedelta(minutes=5, seconds=seconds[name])
            parsed["TrainingTimeInSeconds"] = seconds[name]

    sm = client(make_session("us-east-1"), "sagemaker", "us-east-1")
    sm.meta.events.register("after-call.sagemaker.DescribeTrainingJob", aws_facts)
    out = tmp_path / "w.yaml"
    result = import_sagemaker(output=out, now=NOW, sagemaker_client=sm, gpu_utilization=False)
    (change,) = result.changes["qa-train"]
    print(change.text())
    assert (change.label, change.runs_before, change.runs_after) == (
        "image pytorch-training:2.0.1 -> 2.1.0 on 2024-05-10",
        3,
        2,
    )
    assert change.time_ratio == round(4400 / 5200, 4)  # 0.8462
    text = out.read_text()
    assert "# HISTORY qa-train: historical evidence, not a benchmark: image pytorch-training:2.0.1" in text
    assert "sagemaker.historical_change_ratio: '0.8462'" in text
    analysis = api.analyze(out, now=NOW)
    assert list(analysis.table["evidence"]) == ["prior"]


def test_an_image_name_with_control_characters_is_named_inertly():
    hostile = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme:v1\x1b[31m\u202e"
    runs = [run(i, 1000, image=hostile) for i in range(2)] + [run(2 + i, 900) for i in range(2)]
    (change,) = historical_changes(runs)
    assert change.change == "image acme:v1??31m? -> pytorch-training:2.1.0"
    assert change.text().isprintable()
