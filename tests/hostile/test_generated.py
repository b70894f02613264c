"""Generated hostile inventories (hypothesis): valid ones, ones with one field made hostile,
and valid files with junk spliced into their bytes, written as YAML, CSV or Parquet.

Whatever comes in: exit code 0 or 2 only, never a traceback, one line for bad input,
settled within the time bound; and on success the analysis has exactly the workloads of
the input, in order."""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.hostile.conftest import TIME_BOUND_S, cli

FIELDS_VALID = {
    "framework": st.sampled_from(["pytorch", "tensorflow", "jax", "xgboost"]),
    "framework_version": st.sampled_from(["2.3", "1.13.1", "2.10"]),
    "model": st.sampled_from(["bert-base-uncased", "gpt2", "resnet50"]),
    "instance_type": st.sampled_from(["ml.g5.2xlarge", "ml.p4d.24xlarge", "ml.m5.xlarge"]),
    "instance_count": st.integers(1, 16),
    "duration_hours": st.floats(0.05, 48),
    "runs_per_week": st.floats(0.25, 14),
    "precision": st.sampled_from(["fp32", "fp16", "bf16"]),
    "gpu_utilization": st.floats(0, 1),
    "spot": st.booleans(),
    "tags": st.just({"team": "nlp"}),
}
HOSTILE_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=40
)
HOSTILE_VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1e-320, 10**40, -(10**40), 2**63, 0, -1]),
    st.integers(min_value=-(10**50), max_value=10**50),
    HOSTILE_TEXT,
    st.sampled_from(
        ["NA", "None", "null", "=cmd|' /C calc'!A0", "<script>x</script>", "[x](javascript:1)", ""]
    ),
    st.text(min_size=500, max_size=2000, alphabet="ab\u202e\x1b"),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(
        st.text(max_size=5), st.integers() | st.dictionaries(st.text(max_size=3), st.integers()), max_size=3
    ),
    st.booleans(),
    st.none(),
)
NAMES = st.text(alphabet="abcdefghij-_0123456789", min_size=1, max_size=12)


@st.composite
def inventories(draw):
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    workloads = [{"name": n, **{k: draw(s) for k, s in FIELDS_VALID.items()}} for n in names]
    mode = draw(st.sampled_from(["valid", "field", "field", "key", "duplicate", "splice", "splice"]))
    if mode == "field":
        w = draw(st.sampled_from(workloads))
        w[draw(st.sampled_from(["name", *FIELDS_VALID]))] = draw(HOSTILE_VALUE)
    elif mode == "key":
        draw(st.sampled_from(workloads))[draw(HOSTILE_TEXT.filter(bool))] = draw(HOSTILE_VALUE)
    elif mode == "duplicate" and len(workloads) > 1:
        workloads[-1]["name"] = workloads[0]["name"]
    fmt = draw(st.sampled_from(["yaml", "csv", "parquet"]))
    splice = None
    if mode == "splice" and fmt != "parquet":
        splice = (draw(st.floats(0, 1)), draw(st.binary(min_size=1, max_size=40)))
    return workloads, fmt, splice


def write(workloads, fmt, splice, folder):
    path = folder / f"inventory.{fmt}"
    if fmt == "yaml":
        writer = YAML(typ="safe", pure=True)
        writer.default_flow_style = False
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
            writer.dump({"version": 1, "workloads": workloads}, fh)
    else:
        rows = [
            {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in w.items()} for w in workloads
        ]
        frame = pd.DataFrame(rows)
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            try:
                frame.to_parquet(path)
            except Exception:  # a value pyarrow cannot store: store that column as text
                frame.astype(str).to_parquet(path)
    if splice is not None:
        at, junk = splice
        data = path.read_bytes()
        cut = int(at * len(data))
        path.write_bytes(data[:cut] + junk + data[cut:])
    return path


@pytest.fixture
def fast_profile(monkeypatch, profile):
    """The bundled profile loaded once (its loading is tested elsewhere)."""
    from fitcheck import api

    monkeypatch.setattr(api, "load_profile", lambda directory=None: profile)


def test_generated_hostile_inventories_end_in_0_or_2_with_one_line(fast_profile, tmp_path_factory):
    seen = {0: 0, 2: 0}

    @settings(
        max_examples=100,
        deadline=timedelta(seconds=TIME_BOUND_S),
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
        derandomize=True,
        database=None,
    )
    @given(inventories())
    def check(case):
        workloads, fmt, splice = case
        folder = tmp_path_factory.mktemp("gen")
        path = write(workloads, fmt, splice, folder)
        out = folder / "analysis.json"
        t0 = time.perf_counter()
        run = cli("analyze", path, "-f", "json", "-o", out)
        assert time.perf_counter() - t0 < TIME_BOUND_S
        assert run.code in (0, 2), (run.code, run.stderr)
        assert "Traceback" not in run.stdout + run.stderr
        seen[run.code] += 1
        if run.code == 2:
            lines = run.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
            assert not out.exists()
            return
        doc = json.loads(out.read_text(encoding="utf-8"))
        if splice is None:  # the analysis holds exactly the input's workloads, in order
            assert [w["name"] for w in doc["workloads"]] == [str(w["name"]).strip() for w in workloads]
        for w in doc["workloads"]:
            for key in ("cost_per_year_usd", "hourly_price_usd"):
                assert w[key] is None or math.isfinite(w[key])

    check()
    print(f"generated inventories: {seen[0]} analysed (exit 0), {seen[2]} refused (exit 2)")
    assert seen[0] > 0 and seen[2] > 0
