"""``fitcheck bench``: paired eager-vs-compiled benchmarks of a real training step.

Import-light: only :mod:`fitcheck.bench.models` and :mod:`fitcheck.bench.worker` (inside the
worker processes) import torch.
"""
