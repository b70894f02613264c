"""One hostile file per message: each ends in exit code 2 with its exact one line, fast."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from fitcheck.errors import InputError
from fitcheck.io.inventory import load_inventory
from tests.hostile.conftest import assert_bad_input, cli, process

DIR = Path(__file__).parent / "files"
VALID = Path(__file__).parent / "valid"
EXPECTED = YAML(typ="safe").load((DIR / "expected.yaml").read_text())


def test_every_hostile_file_has_an_expected_message():
    files = {p.name for p in DIR.iterdir() if p.name != "expected.yaml"}
    assert files == set(EXPECTED), files ^ set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_gives_its_one_line_and_exit_2(name):
    run = cli("analyze", DIR / name, "-f", "csv")
    assert_bad_input(run, EXPECTED[name].format(dir=DIR))
    assert run.stdout == ""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_python_api_raises_the_same_one_line(name):
    with pytest.raises(InputError) as caught:
        load_inventory(DIR / name)
    assert str(caught.value) == EXPECTED[name].format(dir=DIR)


def test_an_alias_bomb_is_refused_in_well_under_a_second():
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="aliases counted expanded"):
        load_inventory(DIR / "alias_bomb.yaml")
    seconds = time.perf_counter() - t0
    print(f"alias bomb refused in {seconds * 1000:.0f} ms")
    assert seconds < 0.5


@pytest.mark.parametrize("name", ["alias_bomb.yaml", "nul_byte.csv"])
def test_a_real_process_exits_2_with_one_line(name):
    assert_bad_input(process("analyze", DIR / name), EXPECTED[name].format(dir=DIR))


def test_bom_and_crlf_read_like_plain_files():
    plain = cli("analyze", VALID / "na_text.csv", "-f", "json")
    assert plain.code == 0, plain.stderr
    yaml_run = cli("analyze", VALID / "bom_crlf.yaml", "-f", "csv")
    csv_run = cli("analyze", VALID / "bom_crlf.csv", "-f", "csv")
    assert yaml_run.code == 0 and csv_run.code == 0, (yaml_run.stderr, csv_run.stderr)
    assert load_inventory(VALID / "bom_crlf.yaml")["name"].tolist() == ["a"]
    assert load_inventory(VALID / "bom_crlf.csv")["name"].tolist() == ["a"]
    assert list(load_inventory(VALID / "bom_crlf.csv").columns) == list(
        load_inventory(VALID / "bom_crlf.yaml").columns.drop(["_line", "_key_lines"])
    ) + ["_row"]


def test_na_none_and_null_are_text_unless_the_field_is_empty():
    frame = load_inventory(VALID / "na_text.csv")
    assert frame["name"].tolist() == ["NA", "None", "null"]
    assert frame["model"].tolist() == ["None", "null", "NA"]
    assert frame["framework_version"].tolist() == ["null", "", "N/A"]
    assert frame["region"].tolist() == ["NaN", "us-east-1", "#N/A"]  # empty: the default
