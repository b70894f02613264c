"""One boundary: every failure caused by an input file, an option or the output path is
exit 2 with one line, checked before any analysis; a fault of fitcheck's own is exit 1
with a bug-report hint; never a traceback. Writes are safe."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fitcheck.io.limits import MAX_JSON_BYTES, MAX_TABLE_BYTES, MAX_YAML_BYTES
from tests.conftest import EXAMPLES, ROOT
from tests.hostile.conftest import GOOD_CSV, GOOD_ROW, GOOD_YAML, assert_bad_input, cli, write

INVENTORY = EXAMPLES / "workloads.yaml"


# --- input files that are not files ---------------------------------------------------------


def test_a_fifo_as_inventory_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "jobs.yaml"
    os.mkfifo(fifo)
    assert_bad_input(cli("analyze", fifo), f"{fifo}: is a FIFO (named pipe), expected a regular file")


def test_a_folder_as_inventory(tmp_path):
    folder = tmp_path / "jobs.csv"
    folder.mkdir()
    assert_bad_input(cli("analyze", folder), f"{folder}: is a folder, expected a file")


def test_an_oversized_yaml_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_YAML_BYTES + 1)
    assert_bad_input(
        cli("analyze", big),
        f"{big}: file is {MAX_YAML_BYTES + 1:,} bytes; at most {MAX_YAML_BYTES:,} allowed for YAML; "
        "write a larger inventory as CSV or Parquet",
    )


def test_an_oversized_csv_is_refused_before_it_is_read(tmp_path):
    big = write(tmp_path / "big.csv", GOOD_CSV)
    with open(big, "r+b") as fh:  # sparse: no disk used
        fh.truncate(MAX_TABLE_BYTES + 1)
    assert_bad_input(
        cli("analyze", big),
        f"{big}: file is {MAX_TABLE_BYTES + 1:,} bytes; at most {MAX_TABLE_BYTES:,} allowed",
    )


# --- Parquet columns that are not text, numbers or booleans ----------------------------------


@pytest.mark.parametrize(
    ("column", "array", "kind"),
    [
        ("tags", pa.array([["team", "nlp"]]), "list<element: string>"),
        ("tags", pa.array([{"team": "nlp"}]), "struct<team: string>"),
        ("model", pa.array([b"bert"], type=pa.binary()), "binary"),
    ],
)
def test_parquet_nested_and_binary_columns_give_a_clear_error(tmp_path, column, array, kind):
    data = {k: pa.array([v]) for k, v in GOOD_ROW.items() if k != column}
    data[column] = array
    path = tmp_path / "w.parquet"
    pq.write_table(pa.table(data), path)
    assert_bad_input(
        cli("analyze", path),
        f"{path}: {column}: column of type {kind}; expected text, a number or true/false "
        "(tags as JSON text or key=value;...)",
    )


def test_parquet_nan_is_not_a_missing_value(tmp_path):
    data = {k: pa.array([v, v]) for k, v in GOOD_ROW.items()}
    data["name"] = pa.array(["a", "b"])
    data["gpu_utilization"] = pa.array([None, float("nan")])  # null is missing; NaN is not
    path = tmp_path / "w.parquet"
    pq.write_table(pa.table(data), path)
    assert_bad_input(cli("analyze", path), f"{path}: row 2: gpu_utilization: nan is not a finite number")


def test_not_a_parquet_file(tmp_path):
    path = write(tmp_path / "w.parquet", GOOD_CSV)
    line = assert_bad_input(cli("analyze", path))
    assert line.startswith(f"error: {path}: cannot read as Parquet: ")


# --- --bench and --prices files -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[" * 10_000 + "]" * 10_000, "nested more than 32 levels deep"),
        ('{"speedup": NaN}', "NaN is not allowed; numbers must be finite"),
        ('{"speedup": Infinity}', "Infinity is not allowed; numbers must be finite"),
        ('{"speedup": 1e999}', "'1e999' is not a finite number"),
        ('{"n": ' + "9" * 5000 + "}", "a number with 5000 digits; at most 30 allowed"),
        ('{"kind": "a", "kind": "b"}', "the key 'kind' appears twice in one object"),
        ('{"kind": ', "2: malformed JSON: Expecting value"),
        ("", "the file is empty"),
        (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
    ],
)
def test_a_hostile_bench_file_is_exit_2_with_one_line(tmp_path, text, problem):
    bench = write(tmp_path / "bench.json", text if isinstance(text, bytes) else text + "\n")
    sep = "" if problem[0].isdigit() else " "
    assert_bad_input(cli("analyze", INVENTORY, "--bench", bench), f"{bench}:{sep}{problem}")


def test_a_fifo_or_device_as_bench_file_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "bench.json"
    os.mkfifo(fifo)
    assert_bad_input(
        cli("analyze", INVENTORY, "--bench", fifo), f"{fifo}: is a FIFO (named pipe), expected a regular file"
    )
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    assert_bad_input(
        cli("analyze", INVENTORY, "--bench", zero), f"{zero}: is a device, expected a regular file"
    )


def test_the_python_api_refuses_a_fifo_bench_file_too(tmp_path):
    """Without the CLI's early check: the results reader itself never opens a FIFO (it would
    wait forever for a writer). Run in a process of its own, killed if it hangs."""
    fifo = tmp_path / "bench.json"
    os.mkfifo(fifo)
    code = textwrap.dedent(
        f"""
        from fitcheck import api
        from fitcheck.errors import InputError
        from fitcheck.io.evidence import load_bench_results

        for call in (lambda: load_bench_results({str(fifo)!r}),
                     lambda: api.analyze({str(INVENTORY)!r}, bench_paths=[{str(fifo)!r}])):
            try:
                call()
            except InputError as err:
                print(err)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"{fifo}: is a FIFO (named pipe), expected a regular file"] * 2


def test_an_oversized_bench_file(tmp_path):
    bench = tmp_path / "bench.json"
    with open(bench, "wb") as fh:
        fh.truncate(MAX_JSON_BYTES + 1)
    assert_bad_input(
        cli("analyze", INVENTORY, "--bench", bench),
        f"{bench}: file is {MAX_JSON_BYTES + 1:,} bytes; at most {MAX_JSON_BYTES:,} allowed",
    )


PRICES_HEADER = "instance_type,region,price_usd_per_hour,price_basis,price_source,price_date\n"


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            "ml.g5.2xlarge,us-east-1,inf,on-demand,api,2026-11-01\n",
            "row 1: price_usd_per_hour: 'inf' is out of range; allowed: > 0 and <= 1000",
        ),
        (
            "ml.g5.2xlarge,us-east-1,-1,on-demand,api,2026-11-01\n",
            "row 1: price_usd_per_hour: '-1' is out of range; allowed: > 0 and <= 1000",
        ),
        (
            "ml.g5.2xlarge,us-east-1,NA,on-demand,api,2026-11-01\n",
            "row 1: price_usd_per_hour: 'NA' is not a number",
        ),
        (
            "ml.g5.2xlarge,us-east-1,1.5,on-demand,api,2026-11-01\nml.g5.2xlarge,us-east-1,1.6,on-demand,api,2026-11-01\n",
            "row 2: instance_type: 'ml.g5.2xlarge' in region 'us-east-1' appears twice (first at row 1); "
            "each (instance_type, region) pair may appear once",
        ),
        (
            "ml.g5.2xlarge,us-east-1,1.5\n",
            "row 1: 3 fields where the header has 6; one field per column is needed",
        ),
    ],
)
def test_a_hostile_price_file_is_exit_2_with_one_line(tmp_path, rows, problem):
    folder = tmp_path / "prices"
    prices = write(folder / "prices.csv", PRICES_HEADER + rows)
    assert_bad_input(cli("analyze", INVENTORY, "--prices", folder), f"{prices}: {problem}")


def test_a_price_folder_without_prices(tmp_path):
    folder = tmp_path / "prices"
    folder.mkdir()
    assert_bad_input(cli("analyze", INVENTORY, "--prices", folder), f"{folder / 'prices.csv'}: no such file")


# --- the output path, checked before analysing -------------------------------------------------


def test_a_fifo_as_output_is_refused_before_analysis(tmp_path):
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    run = cli("analyze", INVENTORY, "-f", "json", "-o", fifo)
    assert_bad_input(run, f"{fifo}: --output: is a FIFO (named pipe); the output must be a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_device_as_output_is_refused():
    assert_bad_input(
        cli("analyze", INVENTORY, "-f", "csv", "-o", "/dev/null"),
        "/dev/null: --output: is a device; the output must be a regular file",
    )


def test_the_output_may_not_be_the_input(tmp_path):
    inventory = write(tmp_path / "jobs.yaml", GOOD_YAML)
    before = inventory.read_text()
    assert_bad_input(
        cli("analyze", inventory, "-f", "json", "-o", inventory),
        f"{inventory}: --output: is also an input of this run ({inventory}); choose another output file",
    )
    assert inventory.read_text() == before


def test_the_output_may_not_be_a_bench_file_either(tmp_path):
    bench = write(tmp_path / "bench.json", "{}")
    link = tmp_path / "link.json"
    link.symlink_to(bench)
    line = assert_bad_input(cli("analyze", INVENTORY, "--bench", bench, "-f", "json", "-o", link))
    assert "is also an input of this run" in line
    assert bench.read_text() == "{}"


def test_an_output_under_a_file_is_refused(tmp_path):
    afile = write(tmp_path / "plain.txt", "x")
    out = afile / "report.json"
    assert_bad_input(
        cli("analyze", INVENTORY, "-f", "json", "-o", out), f"{out}: --output: {afile} is not a folder"
    )


def test_an_output_folder_is_refused(tmp_path):
    assert_bad_input(
        cli("analyze", INVENTORY, "-f", "json", "-o", tmp_path),
        f"{tmp_path}: --output: is a folder; give a file name",
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        out = locked / "a.json"
        assert_bad_input(
            cli("analyze", INVENTORY, "-f", "json", "-o", out),
            f"{out}: --output: cannot write in {locked}: permission denied",
        )
    finally:
        locked.chmod(0o700)


def test_a_bad_format_is_refused_before_analysis(tmp_path, monkeypatch):
    from fitcheck import api

    def never(*args, **kwargs):
        raise AssertionError("analysed despite a bad option")

    monkeypatch.setattr(api, "analyze", never)
    assert_bad_input(cli("analyze", INVENTORY, "-f", "pdf"))
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    assert_bad_input(cli("analyze", INVENTORY, "-f", "csv", "-o", fifo))


def test_an_existing_report_keeps_its_permissions(tmp_path):
    out = write(tmp_path / "a.csv", "old")
    out.chmod(0o640)
    run = cli("analyze", INVENTORY, "-f", "csv", "-o", out)
    assert run.code == 0, run.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    assert out.read_text() != "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]  # no temporary file left


def test_sigterm_during_a_write_removes_the_temporary_file(tmp_path):
    out = write(tmp_path / "report.txt", "previous")
    code = textwrap.dedent(
        f"""
        import os, signal
        from fitcheck.io import atomic

        def chunks():
            yield "first part"
            os.kill(os.getpid(), signal.SIGTERM)
            yield "never written"

        atomic.atomic_write_chunks({str(out)!r}, chunks())
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 143, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
    assert out.read_text() == "previous"


# --- usage errors and internal faults -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["analyze"], "Missing argument 'INVENTORY'."),
        (["analyze", str(INVENTORY), "--nope"], "No such option: --nope"),
        (["nosuchcommand"], "No such command 'nosuchcommand'."),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, expected):
    line = assert_bad_input(cli(*args))
    assert line.startswith(f"error: {expected}"), line


def test_no_command_shows_the_help_and_exits_2():
    run = cli()
    assert run.code == 2
    assert "analyze" in run.stdout and "Traceback" not in run.stdout + run.stderr


def test_an_internal_fault_is_exit_1_with_a_bug_report_hint_and_no_traceback(monkeypatch):
    from fitcheck import api

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(api, "analyze", broken)
    run = cli("analyze", INVENTORY)
    assert run.code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stderr.splitlines() == [
        "error: internal error: ZeroDivisionError: float division by zero (this is a bug in fitcheck, not a "
        "problem with your input; please report it with the command line and, if you can, the input file)"
    ]


def test_a_saved_analysis_that_is_not_a_file(tmp_path):
    fifo = tmp_path / "a.json"
    os.mkfifo(fifo)
    assert_bad_input(cli("report", fifo), f"{fifo}: is a FIFO (named pipe), expected a regular file")


def test_report_output_may_not_overwrite_its_input(tmp_path):
    saved = tmp_path / "a.json"
    run = cli("analyze", INVENTORY, "-f", "json", "-o", saved)
    assert run.code == 0, run.stderr
    before = saved.read_text()
    assert json.loads(before)["workloads"]
    line = assert_bad_input(cli("report", saved, "-f", "json", "-o", saved))
    assert "is also an input of this run" in line
    assert saved.read_text() == before
