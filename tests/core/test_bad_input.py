"""One bad-input file per error message: exit code 2, one line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from fitcheck.cli import app

DIR = Path(__file__).parent / "bad_inputs"
EXPECTED = YAML(typ="safe").load((DIR / "expected.yaml").read_text())


def test_every_bad_input_file_has_an_expected_message():
    files = {p.name for p in DIR.iterdir() if p.name != "expected.yaml"}
    assert files <= set(EXPECTED), files - set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_gives_one_clear_line_and_exit_2(name):
    result = CliRunner().invoke(app, ["analyze", str(DIR / name)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    expected = "error: " + EXPECTED[name].format(dir=DIR)
    if expected.endswith(("allowed:", "Known:")):
        assert lines[0].startswith(expected), lines[0]
    else:
        assert lines[0] == expected


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_misspelt_column_is_named_with_the_closest_field_before_the_missing_one(tmp_path, suffix):
    """The same message from both table readers: the unknown column first, the near miss, and the
    required column it was probably meant to be."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "name": ["a"],
            "framework": ["pytorch"],
            "model": ["bert"],
            "instance_typ": ["ml.g5.2xlarge"],
            "duration_hours": [6.0],
            "runs_per_week": [3.0],
        }
    )
    path = tmp_path / f"jobs{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    result = CliRunner().invoke(app, ["analyze", str(path)])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"error: {path}: instance_typ: unknown column; did you mean instance_type? "
        "required column missing too: instance_type; allowed: name, framework,"
    ), line
