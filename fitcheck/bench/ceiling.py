"""Model-FLOPs utilisation and the speedup ceiling it implies (torch-free).

A step that already runs near the accelerator's peak cannot get much faster from any
compiler: with a measured MFU ``u`` (achieved FLOP/s over the peak), no compiler can make the
step more than ``1 / u`` times faster. The peaks (dense tensor-core TFLOP/s, no sparsity) come
with their sources from the bundled ``gpu_peak_flops.csv``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Peak:
    """One accelerator's peak dense throughput by precision (TFLOP/s), with its source."""

    accelerator: str
    fp16: float | None
    bf16: float | None
    tf32: float | None
    source: str
    note: str


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_peaks() -> list[Peak]:
    """The bundled peak table."""
    text = resources.files("fitcheck.bench").joinpath("gpu_peak_flops.csv").read_text(encoding="utf-8")
    return [
        Peak(
            accelerator=row["accelerator"],
            fp16=_number(row["dense_fp16_tflops"]),
            bf16=_number(row["dense_bf16_tflops"]),
            tf32=_number(row["dense_tf32_tflops"]),
            source=row["source"],
            note=row["note"],
        )
        for row in csv.DictReader(io.StringIO(text))
    ]


def match_peak(device_name: str | None, peaks: list[Peak]) -> Peak | None:
    """The table row for a device name as CUDA reports it ("NVIDIA A100-SXM4-40GB" -> A100;
    "NVIDIA A10G" -> A10G, not A100); the longest accelerator name that is a whole token."""
    if not device_name:
        return None
    found = [
        p
        for p in peaks
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(p.accelerator)}(?![0-9A-Za-z])", device_name)
    ]
    return max(found, key=lambda p: len(p.accelerator)) if found else None


def peak_for(peak: Peak, precision: str, tf32: bool | None) -> float | None:
    """The peak that bounds a step in ``precision`` (fp32 runs on tensor cores only as TF32)."""
    if precision == "fp16":
        return peak.fp16
    if precision == "bf16":
        return peak.bf16
    return peak.tf32 if tf32 else None


@dataclass(frozen=True)
class Utilisation:
    achieved_tflops: float
    mfu: float | None
    speedup_ceiling: float | None


def utilisation(flops_per_step: float, step_seconds: float, peak_tflops: float | None) -> Utilisation:
    """Achieved TFLOP/s of a step, its MFU against ``peak_tflops`` and the ceiling ``1 / MFU``."""
    if flops_per_step <= 0 or step_seconds <= 0:
        raise ValueError("FLOPs and step time must be positive")
    achieved = flops_per_step / step_seconds / 1e12
    if not peak_tflops:
        return Utilisation(achieved_tflops=achieved, mfu=None, speedup_ceiling=None)
    mfu = achieved / peak_tflops
    return Utilisation(achieved_tflops=achieved, mfu=mfu, speedup_ceiling=1.0 / mfu)
