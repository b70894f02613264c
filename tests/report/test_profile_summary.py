"""The JSON ``profile`` carries every section of the policy, and the HTML assumptions show
them with labels that say what the numbers mean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fitcheck import api
from fitcheck.core.analysis import Analysis
from fitcheck.core.document import ProfileSummary
from fitcheck.core.profile import Policy
from fitcheck.io.profiles import load_profile
from tests.report.conftest import EXAMPLE, NOW
from tests.report.page import read


@pytest.fixture(scope="module")
def example() -> tuple[Analysis, dict[str, Any], str]:
    analysis = api.analyze(EXAMPLE, now=NOW)
    return analysis, json.loads(api.render(analysis, "json")), api.render(analysis, "html")


def test_every_policy_section_is_in_the_json_profile(example: tuple[Analysis, dict[str, Any], str]) -> None:
    _, doc, _ = example
    policy = json.loads(load_profile(None).policy.model_dump_json())
    written = doc["profile"]
    for section in Policy.model_fields:
        key = api.PROFILE_KEYS.get(section, section)
        assert key in written, f"policy section {section!r} is missing from the JSON profile"
        assert written[key] == policy[section], section
    assert set(ProfileSummary.model_fields) == {"name", "sources"} | {
        api.PROFILE_KEYS.get(s, s) for s in Policy.model_fields
    }
    print(sorted(written))


def test_a_hand_edited_version_range_fails_as_in_policy_yaml(
    example: tuple[Analysis, dict[str, Any], str], tmp_path: Any
) -> None:
    _, doc, _ = example
    doc = json.loads(json.dumps(doc))
    doc["profile"]["versions"]["stc_tensorflow_max"] = "two"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(Exception, match=r"profile\.versions: .*'two' is not a version"):
        api.load_analysis(path)


def test_html_assumptions_show_every_section_with_honest_labels(
    example: tuple[Analysis, dict[str, Any], str],
) -> None:
    _, doc, html = example
    text = " ".join(" ".join(read(html).text).split())
    profile = doc["profile"]
    for key in profile["versions"]:
        assert f"versions: {key}" in text, key
    assert "versions: stc_tensorflow_max 2.11.0" in text
    assert "versions: stc_pytorch_hf 1.9.0: 4.11.0; 1.10.2: 4.17.0; 1.11.0: 4.21.1" in text
    assert "versions: minor_aliases pytorch: 1.9=1.9.0, 1.10=1.10.2, 1.11=1.11.0" in text
    assert " ".join(profile["multi_node"]["why"].split()) in text
    per_shape = [c for c, d in profile["dynamic_shapes"].items() if d["compilations"] is None]
    assert per_shape == ["sagemaker-training-compiler", "tf-xla", "torch-xla"]
    label = (
        "dynamic shapes: distinct shapes per run, unpadded (compilers that compile once per distinct "
        f"shape: {', '.join(per_shape)}) {profile['dynamic_shape_compilations']:g}"
    )
    assert label in text
    assert "compilations per run with dynamic shapes" not in text
    assert "dynamic shapes, torch.compile: compilations per run 2" in text
    assert "dynamic shapes, torch.compile: recompiles before falling back to eager 8" in text
    assert "dynamic shapes, tf-xla: compilations per run one per distinct shape (20)" in text
