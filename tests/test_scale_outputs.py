"""The memory work on large inventories changes no output byte.

The CSV and JSON of two small inventories (the bundled example and 40 rows as
``scripts/bench_scale.py`` generates them, every column filled) are compared with the outputs
saved in ``tests/scale_outputs/``; the streamed writers give the same text whatever their
chunk size; the tags column reads the same in chunks. After a deliberate change of a decision
or a message, regenerate the saved outputs with ``python tests/test_scale_outputs.py``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fitcheck import api
from fitcheck.core.analysis import Analysis
from fitcheck.errors import InputError
from fitcheck.formats.csv_format import CsvFormatter
from fitcheck.formats.json_format import JsonFormatter
from fitcheck.io import inventory as inventory_module
from fitcheck.io.inventory import load_inventory

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "tests" / "scale_outputs"
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
# relative paths: the inventory's path is part of the JSON output
INVENTORIES = {
    "workloads": Path("examples/workloads.yaml"),
    "wide": Path("tests/scale_outputs/wide_inventory.csv"),
}
# the wide inventory runs in five regions: the four besides the catalog's us-east-1 are priced
# from a synthetic price file (scripts/bench_scale.py make_prices)
PRICES = {"wide": Path("tests/scale_outputs/prices")}
VARIANTS = [(fmt, group) for fmt in ("csv", "json") for group in (None, "team")]


def _name(stem: str, fmt: str, group: str | None) -> str:
    return f"{stem}{'.' + group if group else ''}.{fmt}"


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    here = Path.cwd()
    try:
        os.chdir(ROOT)
        return {
            stem: api.analyze(path, prices_dir=PRICES.get(stem), now=NOW)
            for stem, path in INVENTORIES.items()
        }
    finally:
        os.chdir(here)


@pytest.mark.parametrize("stem", list(INVENTORIES))
@pytest.mark.parametrize(("fmt", "group"), VARIANTS)
def test_output_unchanged(analyses: dict[str, Analysis], stem: str, fmt: str, group: str | None) -> None:
    text = _portable(api.render(analyses[stem], fmt, group_by=group))
    saved = (SAVED / _name(stem, fmt, group)).read_text(encoding="utf-8")
    if text != saved:  # name the first differing line, not a 100 kB diff
        for n, (a, b) in enumerate(zip(text.splitlines(), saved.splitlines(), strict=False), 1):
            assert a == b, f"line {n} differs"
    assert text == saved


@pytest.mark.parametrize("group", [None, "team"])
def test_csv_same_text_in_any_chunk_size(analyses: dict[str, Analysis], group: str | None) -> None:
    result = api.grouped(analyses["wide"], group)
    whole = CsvFormatter().render(result)
    small = CsvFormatter()
    small.chunk = 7  # 40 rows: five full chunks and a partial one
    pieces = list(small.stream(result))
    assert len(pieces) == 6
    assert pieces[0].startswith('"name",') and not pieces[1].startswith('"name",')
    assert "".join(pieces) == whole
    assert whole.count("\n") == 41


def test_csv_of_no_rows_is_the_header(analyses: dict[str, Analysis]) -> None:
    result = analyses["wide"]
    empty = Analysis(result.table.iloc[:0], result.meta, ())
    text = CsvFormatter().render(empty)
    assert text.count("\n") == 1 and text.startswith('"name",')


def test_json_same_text_in_any_chunk_size(analyses: dict[str, Analysis]) -> None:
    result = analyses["wide"]
    whole = JsonFormatter().render(result)
    small = JsonFormatter()
    small.chunk = 3
    assert small.render(result) == whole
    assert len(json.loads(whole)["workloads"]) == 40


def test_text_columns_share_their_strings(analyses: dict[str, Analysis]) -> None:
    """A million rows of 'skip' are one string, not a million."""
    table = analyses["wide"].table
    for col in ("decision", "compiler", "evidence"):
        values = table[col].tolist()
        assert len({id(v) for v in values}) == len(set(values)), col


def test_rule_outputs_keep_only_the_columns_their_messages_name(analyses: dict[str, Analysis]) -> None:
    result = analyses["wide"]
    assert all(len(o.ctx.columns) < 20 for o in result.outputs)
    assert sum(len(o.ctx.columns) for o in result.outputs) > 0


def test_tags_read_in_chunks_as_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    path = ROOT / INVENTORIES["wide"]
    whole = load_inventory(path)["tags"].tolist()
    monkeypatch.setattr(inventory_module, "TAGS_CHUNK", 6)
    assert load_inventory(path)["tags"].tolist() == whole
    assert all(json.loads(t)["team"] for t in whole)


def test_bad_tags_in_a_later_chunk_name_their_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = (ROOT / INVENTORIES["wide"]).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    rows = lines[1:]
    at = header.index("tags")
    assert at > 0
    bad = "team=nlp;team=vision"  # a key given twice
    # tags are the only quoted JSON field of a generated row: replace that field
    row = rows[30]
    start = row.index('"{')
    end = row.index('}"', start) + 2
    rows[30] = row[:start] + bad + row[end:]
    target = tmp_path / "inventory.csv"
    target.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    monkeypatch.setattr(inventory_module, "TAGS_CHUNK", 4)
    with pytest.raises(InputError) as err:
        load_inventory(target)
    assert err.value.location.row == 31
    assert err.value.location.field == "tags"
    assert "twice" in str(err.value)


def _portable(text: str) -> str:
    """The checkout's own path (where the bundled profile was read from) as ``<repo>``."""
    return text.replace(str(ROOT), "<repo>")


def regenerate() -> None:
    os.chdir(ROOT)
    for stem, path in INVENTORIES.items():
        result = api.analyze(path, prices_dir=PRICES.get(stem), now=NOW)
        for fmt, group in VARIANTS:
            (SAVED / _name(stem, fmt, group)).write_text(
                _portable(api.render(result, fmt, group_by=group)), encoding="utf-8"
            )
            print("wrote", SAVED / _name(stem, fmt, group))


if __name__ == "__main__":
    regenerate()
