"""Entry point of a SageMaker job that runs ``fitcheck bench`` on the job's own GPUs.

Shipped inside the source archive by :mod:`fitcheck.aws.harness` (next to a copy of the
fitcheck package and a ``requirements.txt`` the SageMaker toolkit installs). It reads the
``fitcheck bench`` options from the environment variable ``FITCHECK_BENCH_ARGS`` (a JSON list),
runs the interleaved eager-vs-compiled benchmark, and writes the standard results file to
``$SM_MODEL_DIR/fitcheck-bench.json``; SageMaker uploads that folder to S3 as the job's model
artifacts, where ``fitcheck.aws.harness.collect_harness`` finds it. Standard library only until
fitcheck itself runs.
"""

from __future__ import annotations

import json
import os
import sys

RESULTS_NAME = "fitcheck-bench.json"


def bench_argv(environ: dict[str, str]) -> list[str]:
    """The ``fitcheck`` command line of this job."""
    raw = environ.get("FITCHECK_BENCH_ARGS", "[]")
    args = json.loads(raw)
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise SystemExit("FITCHECK_BENCH_ARGS must be a JSON list of strings")
    out_dir = environ.get("SM_MODEL_DIR", "/opt/ml/model")
    return ["fitcheck", "bench", *args, "--output", os.path.join(out_dir, RESULTS_NAME), "--quiet"]


def main() -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.argv = bench_argv(dict(os.environ))
    from fitcheck.cli import main as fitcheck_main

    fitcheck_main()


if __name__ == "__main__":
    main()
