"""Every rule against its case file (tests/core/rule_cases/<rule id>.yaml).

Each case changes the clear-fit workload and states the status the rule must give and
words its message must contain. A meta-test checks every rule has a case file that
covers every status the rule can produce, and is documented in docs/rules.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from fitcheck.core.analysis import analyze_inventory
from fitcheck.core.rules import RULES
from tests.conftest import ROOT, TODAY, inventory_frame, workload

CASES_DIR = Path(__file__).parent / "rule_cases"


def _cases():
    yaml = YAML(typ="safe")
    for rule in RULES:
        path = CASES_DIR / f"{rule.id}.yaml"
        if not path.exists():
            continue
        for case in yaml.load(path.read_text()):
            yield pytest.param(rule.id, case, id=f"{rule.id}:{case['name']}")


@pytest.fixture(scope="module")
def all_cases(profile):
    """Every case file's workload in one analysis (one row per case, named after it)."""
    import pandas as pd

    from fitcheck.core.analysis import EVIDENCE_COLUMNS

    workloads, evidence = [], []
    for param in _cases():
        rule_id, case = param.values
        name = f"{rule_id}:{case['name']}"
        workloads.append(workload(**{**(case.get("workload") or {}), "name": name}))
        if "measured" in case:
            evidence.append(
                {
                    "workload": name,
                    "compiler": "torch.compile",
                    "compile_seconds": 120.0,
                    "stopped_because": "target_ci",
                    "source": "case",
                    **case["measured"],
                }
            )
    frame = inventory_frame(*workloads)
    ev = pd.DataFrame(evidence, columns=list(EVIDENCE_COLUMNS))
    return analyze_inventory(frame, profile, TODAY, ev).with_messages().set_index("name")


@pytest.mark.parametrize(("rule_id", "case"), list(_cases()))
def test_rule_case(all_cases, rule_id, case):
    row = all_cases.loc[f"{rule_id}:{case['name']}"]
    status, message, remedy = row[f"status_{rule_id}"], row[f"message_{rule_id}"], row[f"remedy_{rule_id}"]
    assert status == case["status"], message
    for words in case.get("message_contains", []):
        assert words in message
    if "remedy_contains" in case:
        assert remedy and case["remedy_contains"] in remedy
    if "decision" in case:
        assert row["decision"] == case["decision"], row["main_reason"]


def test_a_case_gives_the_same_verdict_alone_as_in_the_batch(profile, all_cases):
    """Rows do not influence each other: one case analysed alone matches the batch."""
    case = {"gpu_utilization": 0.41, "instance_type": "ml.g5.2xlarge", "instance_count": 1}
    alone = analyze_inventory(inventory_frame(workload(**case)), profile, TODAY).table.iloc[0]
    batch = all_cases.loc["bottleneck:input-bound at 41 %, small job"]
    for col in ("decision", "status_bottleneck", "savings_per_year_usd_mid", "main_reason"):
        assert alone[col] == batch[col], col


def test_clear_fit_passes_every_rule(profile):
    frame = inventory_frame(workload())
    row = analyze_inventory(frame, profile, TODAY).table.iloc[0]
    statuses = {r.id: row[f"status_{r.id}"] for r in RULES}
    assert all(s in ("pass", "n/a") for s in statuses.values()), statuses
    assert row["decision"] == "enable"
    assert row["score"] == 100


def test_every_rule_has_cases_for_each_status_and_is_documented():
    yaml = YAML(typ="safe")
    docs = (ROOT / "docs" / "rules.md").read_text()
    for rule in RULES:
        path = CASES_DIR / f"{rule.id}.yaml"
        assert path.exists(), f"no case file for rule {rule.id}"
        produced = {c["status"] for c in yaml.load(path.read_text())}
        import inspect

        source = inspect.getsource(inspect.getmodule(rule.check))
        possible = {s for s in ("pass", "warn", "fail", "unknown") if f"Status.{s.upper()}" in source}
        assert possible <= produced, f"{rule.id}: no case for {possible - produced}"
        assert f"`{rule.id}`" in docs, f"rule {rule.id} is not documented in docs/rules.md"


def test_rules_are_pure_and_print_nothing(profile, capsys):
    frame = inventory_frame(workload(), workload(name="b", precision="fp32"))
    before = frame.copy()
    analyze_inventory(frame, profile, TODAY)
    assert capsys.readouterr() == ("", "")
    assert frame.equals(before)


def test_rules_doc_is_current():
    from fitcheck.core.rules.docs import render

    assert (ROOT / "docs" / "rules.md").read_text() == render(), (
        "docs/rules.md is stale: python -m fitcheck.core.rules.docs > docs/rules.md"
    )
