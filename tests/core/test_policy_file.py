"""policy.yaml holds every threshold; a bad one is one clear line (file, line, field) and exit 2."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from fitcheck.cli import app
from fitcheck.core.rules import RULES
from fitcheck.io.profiles import default_profile_dir
from tests.conftest import EXAMPLES


def _run_with(tmp_path, old: str, new: str):
    target = tmp_path / "p"
    shutil.copytree(default_profile_dir(), target)
    policy = target / "policy.yaml"
    text = policy.read_text()
    assert old in text, old
    policy.write_text(text.replace(old, new, 1))
    result = CliRunner().invoke(app, ["analyze", str(EXAMPLES / "workloads.yaml"), "--profile", str(target)])
    return result, str(policy)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("  pricing: 0\n", "  pricing: 0\n  dollarz: 1\n", ["rule_weights.dollarz", "is not a rule"]),
        ("gpu_utilization_fail_below: 0.50", "gpu_utilization_fail_below: 0.80", ["must not exceed"]),
        ("skip_below_speedup: 1.10", "skip_below_speedup: 1.30", ["skip_below_speedup", "must not exceed"]),
        ("multi_node_compute_fraction: 0.90", "multi_node_compute_fraction: .nan", ["finite"]),
        (
            "multi_node_compute_fraction: 0.90",
            "multi_node_compute_fraction: 1.5",
            ["less than or equal to 1"],
        ),
        ('stc_pytorch_launcher_max: "1.10.2"', 'stc_pytorch_launcher_max: "one"', ["is not a version"]),
        (
            "min_annual_savings_usd: 5000",
            "min_annual_savings_usd: 5000\n  min_annual_savings_usd: 1",
            ["duplicate"],
        ),
        (
            "  torch.compile: {compilations: 2, slowdown: 0.95, recompile_limit: 8}\n",
            "",
            ["dynamic_shapes lacks torch.compile"],
        ),
        ("torch.compile: 3.0 ", "torch.compile: -3.0 ", ["between 0 and 1440"]),
        ("  - match: {}\n", "  - match: {family: other}\n", ["last entry must match everything"]),
        ("{family: gbdt}", "{family: [gbdt, gbdt]}", ["listed twice"]),
        ("{family: gbdt}", "{gpu: kepler}", ["'kepler' is not one of"]),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_a_bad_policy_is_one_clear_line_and_exit_2(tmp_path, old, new, words):
    result, path = _run_with(tmp_path, old, new)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.count("\n") == 0 and line.startswith(f"error: {path}:"), line
    for w in words:
        assert w in line, line
    assert "Traceback" not in result.output


def test_every_rule_weight_names_a_rule_and_every_rule_has_a_role(profile):
    ids = {r.id for r in RULES}
    assert set(profile.policy.rule_weights) <= ids
    assert {r.role for r in RULES} <= {"gate", "condition", "evidence", "value", "measurement", "advisory"}


def test_the_policy_module_names_no_rule():
    import inspect

    from fitcheck.core import policy

    source = inspect.getsource(policy)
    for rule in RULES:
        assert f'"{rule.id}"' not in source, rule.id


def test_rules_hold_no_threshold_literals():
    """Compute capabilities, version ranges and utilisation lines come from the policy."""
    import inspect

    for rule in RULES:
        source = inspect.getsource(inspect.getmodule(rule.check))
        for literal in ("7.0", "8.0", "2.5", "2.11", "0.7", "1.13", "30-minute", "5000"):
            assert literal not in source, (rule.id, literal)


def test_a_duplicate_tested_models_row_is_bad_input(tmp_path):
    target = tmp_path / "p"
    shutil.copytree(default_profile_dir(), target)
    tested = target / "tested_models.csv"
    lines = tested.read_text().splitlines()
    tested.write_text("\n".join([*lines, lines[-1]]) + "\n")
    result = CliRunner().invoke(app, ["analyze", str(EXAMPLES / "workloads.yaml"), "--profile", str(target)])
    assert result.exit_code == 2, result.output
    assert f"{tested}: row {len(lines)}" in result.stderr and "duplicate row" in result.stderr
