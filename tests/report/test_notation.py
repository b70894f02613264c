"""One range notation everywhere: rule messages, plans and every format write ``$a to $b``
(``(expected $m)`` where the midpoint matters) and speedups ``1.35x (1.15 to 1.55)``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fitcheck import api
from fitcheck.core import notation
from fitcheck.core.analysis import Analysis
from fitcheck.formats import text
from tests.report.conftest import EXAMPLE, NOW, write_bench_results

# "$1,200-$3,400", "$1,200 - $3,400", "$1,200–$3,400" and "1.21-1.27" are the old notations
DASHED_MONEY = re.compile(r"\$-?[\d,.]+[kM]?\s*[-–]\s*-?\$")
DASHED_SPEEDUP = re.compile(r"\d\.\d\dx? ?[-–] ?\d\.\d\d")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    bench = write_bench_results(
        tmp_path_factory.mktemp("bench") / "llm-sft-bench.json", "llm-sft-weekly", (1.21, 1.24, 1.27)
    )
    return api.analyze(EXAMPLE, bench_paths=[bench], now=NOW)


def test_the_core_helpers_and_the_message_placeholders_agree() -> None:
    assert notation.money(-1234.4) == "-$1,234" and notation.money(None) == "n/a"
    assert notation.money_range(1200, 2500.4, 3400) == "$1,200 to $3,400 (expected $2,500)"
    template = notation.money_range_template("s", "/year")
    filled = template.format(s_low=1200.0, s_mid=2500.4, s_high=3400.0)
    assert filled == "$1,200 to $3,400/year (expected $2,500)"
    assert notation.speedup_range(1.15, 1.35, 1.55) == "1.35x (1.15 to 1.55)"
    speed = notation.speedup_range_template("p", ", 95 % CI").format(p_low=1.15, p_mid=1.35, p_high=1.55)
    assert speed == "1.35x (1.15 to 1.55, 95 % CI)"
    # the formats use the same helpers
    assert text.money_range({"low": 1200, "mid": 2500.4, "high": 3400}) == notation.money_range(
        1200, 2500.4, 3400
    )
    assert text.speedup({"low": 1.15, "mid": 1.35, "high": 1.55}) == "1.35x (1.15 to 1.55)"


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "html", "table"])
def test_no_output_writes_a_dashed_range(measured: Analysis, fmt: str) -> None:
    out = api.render(measured, fmt, width=200)
    assert not DASHED_MONEY.findall(out), DASHED_MONEY.findall(out)[:3]
    assert not DASHED_SPEEDUP.findall(out), DASHED_SPEEDUP.findall(out)[:3]


def test_rule_messages_use_the_formats_notation(measured: Analysis, tmp_path: Path) -> None:
    doc = json.loads(api.render(measured, "json"))
    messages = [f["message"] for w in doc["workloads"] for f in w["findings"] if f["message"]]
    passing = [m for m in messages if "even at the low end" in m]
    assert passing, "the example has a workload whose savings clear the floor"
    for m in passing:
        assert re.search(r"\$[\d,]+ to \$[\d,]+/year \(expected \$[\d,]+\) clear", m), m
    measured_msgs = [m for m in messages if m.startswith("Measured ")]
    assert measured_msgs and all("1.24x (1.21 to 1.27, 95 % CI" in m for m in measured_msgs), measured_msgs
    steps = [
        s
        for w in doc["workloads"]
        for s in w["next_steps"]
        if s.startswith("Benchmark ") and "fitcheck bench" in s
    ]
    assert steps and all(re.search(r"\(about \$[\d,]+ of instance time\)$", s) for s in steps), steps
