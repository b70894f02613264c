"""The pure parts of the GPU paths, with fakes where a GPU or NVML would be needed.

None of these needs torch or a GPU: they hold the parts that must be right the first time the
code meets a real GPU (device choice, NVML by UUID, out-of-memory forms, dynamo's fallback).
"""

from __future__ import annotations

import logging
import sys
import time
import types

import pytest

from fitcheck.bench import host, runner, worker


@pytest.mark.parametrize(
    ("visible", "gpu", "expected"),
    [
        (None, None, "0"),
        (None, 3, "3"),
        ("2,3", None, "2"),
        ("2,3", 1, "3"),
        ("GPU-aaaa,GPU-bbbb", 1, "GPU-bbbb"),
        ("MIG-1234", None, "MIG-1234"),
    ],
)
def test_one_device_per_worker_from_the_visible_devices(visible, gpu, expected) -> None:
    assert host.worker_visible_device(visible, gpu) == expected


def test_a_gpu_that_is_not_visible_is_refused() -> None:
    with pytest.raises(ValueError, match="--gpu 2 is not among the 2 visible devices"):
        host.worker_visible_device("0,1", 2)


def test_nvml_wants_the_gpu_prefix_on_the_uuid() -> None:
    assert (
        host.nvml_uuid("58b7f6b5-1111-2222-3333-444455556666") == "GPU-58b7f6b5-1111-2222-3333-444455556666"
    )
    assert host.nvml_uuid("GPU-abc") == "GPU-abc" and host.nvml_uuid("MIG-abc") == "MIG-abc"
    assert host.nvml_uuid(None) is None and host.nvml_uuid("") is None


def test_threads_are_equal_shares_of_the_cores() -> None:
    assert host.worker_threads(16, 2) == 8
    assert host.worker_threads(2, 3) == 1
    assert host.worker_threads(None, 2) == 1


@pytest.mark.parametrize(
    ("before", "after", "own", "changed"),
    [
        ([1.0, 1, 1], [2.0, 1, 1], 1, False),  # the benchmark's own thread
        ([1.0, 1, 1], [5.0, 1, 1], 1, True),  # something else started
        ([6.0, 1, 1], [1.5, 1, 1], 1, True),  # something else stopped
        ([], [1.0, 1, 1], 1, None),
    ],
)
def test_load_change_is_flagged_beyond_the_benchmarks_own_threads(before, after, own, changed) -> None:
    assert host.load_changed(before, after, 2, own) is changed


def test_xla_on_cuda_disables_pjrt_preallocation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "package_version", lambda name: "2.7.0" if "xla" in name else "2.7.0")
    reason, env = runner.candidate_unavailable("xla", "cuda")
    assert reason is None
    assert env == {"PJRT_DEVICE": "CUDA", "PJRT_ALLOCATOR_PREALLOCATE": "false"}
    monkeypatch.setattr(runner, "package_version", lambda name: "2.9.0")
    reason, _ = runner.candidate_unavailable("xla", "cuda")
    assert reason is not None and "removed in torch-xla >= 2.8" in reason


class _OutOfMemoryError(RuntimeError):
    pass


_OutOfMemoryError.__name__ = "OutOfMemoryError"


@pytest.mark.parametrize(
    ("err", "oom"),
    [
        (_OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
        (RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"), True),
        (RuntimeError("cuDNN error: CUDNN_STATUS_ALLOC_FAILED"), True),
        (RuntimeError("cuDNN error: CUDNN_STATUS_NOT_ENOUGH_WORKSPACE"), True),
        (MemoryError(), True),
        (RuntimeError("CUDA error: an illegal memory access was encountered"), False),
        (ValueError("shape mismatch"), False),
    ],
)
def test_every_out_of_memory_form_is_recognised(err: BaseException, oom: bool) -> None:
    assert worker.is_oom(err) is oom


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("torch._dynamo.convert_frame", logging.WARNING, "f.py", 1, msg, args, None)


def test_dynamo_recompile_limit_fallback_is_detected_from_its_warning() -> None:
    # the message as torch 2.9 logs it (torch/_dynamo/convert_frame.py)
    hit = _record(
        "torch._dynamo hit config.%s (%s)\n   function: %s\n   last reason: %s\n",
        "recompile_limit",
        8,
        "'forward' (m.py:3)",
        "size mismatch",
    )
    assert worker.recompile_limit_hit(hit) == "recompile_limit"
    assert worker.recompile_limit_hit(_record("torch._dynamo hit config.cache_size_limit (8)")) == (
        "cache_size_limit"
    )
    assert worker.recompile_limit_hit(_record("Graph break in %s", "forward")) is None
    watch = worker._FallbackWatch()
    logger = logging.getLogger("torch._dynamo.test_fallback")
    logger.addHandler(watch)
    try:
        logger.warning("torch._dynamo hit config.%s (%s)", "accumulated_recompile_limit", 256)
    finally:
        logger.removeHandler(watch)
    assert watch.limits == ["accumulated_recompile_limit"]


def test_dynamic_figures_separate_recompiles_from_the_steady_speed() -> None:
    # 10 blocks of 2 steps; eager 1.0 s per step, candidate 0.5 s, but the candidate's first
    # step of blocks 0 and 3 compiled for 10 s
    base = [[1.0, 1.0] for _ in range(12)]
    cand = [[0.5, 0.5] for _ in range(12)]
    compiled = [[] for _ in range(12)]
    for i in (0, 3):
        cand[i][0] = 10.0
        compiled[i] = [0]
    figs = runner.dynamic_figures(base, cand, [[] for _ in range(12)], compiled, confidence=0.95, seed=0)
    assert figs["recompile_seconds"] == pytest.approx(2 * (10.0 - 0.5))
    assert figs["steady"] is not None and figs["steady"].mid == pytest.approx(2.0)
    assert figs["end_to_end"] == pytest.approx(24.0 / (22 * 0.5 + 20.0))  # 24 / 31
    assert figs["end_to_end"] < 1.0 < figs["steady"].mid


def test_nvml_sampler_reports_its_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}

    class NVMLError(Exception):
        pass

    def utilization(handle: object) -> object:
        calls["n"] += 1
        if calls["n"] > 3:
            raise NVMLError("GPU is lost")
        return types.SimpleNamespace(gpu=87)

    fake = types.SimpleNamespace(
        nvmlInit=lambda: None,
        NVMLError=NVMLError,
        nvmlDeviceGetHandleByUUID=lambda uuid: ("handle", uuid),
        nvmlDeviceGetUtilizationRates=utilization,
        nvmlDeviceGetMemoryInfo=lambda handle: types.SimpleNamespace(used=1024),
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    sampler = host.GpuSampler(interval_s=0.01, uuid="GPU-abc")
    assert sampler.start()
    sampler.active = True
    deadline = time.monotonic() + 5
    while not sampler.errors and time.monotonic() < deadline:
        time.sleep(0.01)
    sampler.stop()
    assert sampler.utilization == [87.0, 87.0, 87.0]
    assert sampler.errors == ["NVML sampling stopped: GPU is lost"]


def test_nvml_missing_device_is_an_error_not_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_device(uuid: str) -> object:
        raise RuntimeError("Not Found")

    fake = types.SimpleNamespace(nvmlInit=lambda: None, nvmlDeviceGetHandleByUUID=no_device)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    sampler = host.GpuSampler(uuid="GPU-missing")
    assert not sampler.start()
    assert sampler.errors == ["NVML handle for GPU-missing: Not Found"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NVIDIA A100-SXM4-40GB", "A100"),
        ("NVIDIA A10G", "A10G"),
        ("NVIDIA H100 80GB HBM3", "H100"),
        ("Tesla V100-SXM2-16GB", "V100"),
        ("Tesla T4", "T4"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA L4", "L4"),
        ("Intel(R) Xeon(R) Processor", None),
        (None, None),
    ],
)
def test_the_accelerator_peak_is_found_from_the_cuda_device_name(name, expected) -> None:
    from fitcheck.bench.ceiling import load_peaks, match_peak

    peak = match_peak(name, load_peaks())
    assert (peak.accelerator if peak else None) == expected
    if peak is not None:
        assert peak.source  # every peak carries its source


def test_mfu_and_the_speedup_ceiling() -> None:
    from fitcheck.bench.ceiling import load_peaks, match_peak, peak_for, utilisation

    a100 = match_peak("NVIDIA A100-SXM4-80GB", load_peaks())
    assert a100 is not None
    assert peak_for(a100, "bf16", None) == 312 and peak_for(a100, "fp32", True) == 156
    assert peak_for(a100, "fp32", False) is None  # fp32 without TF32: no tensor-core peak
    v100 = match_peak("Tesla V100-SXM2-16GB", load_peaks())
    assert v100 is not None and peak_for(v100, "bf16", None) is None  # no bf16 on V100
    # 156 TFLOP per step in 1 s on a 312 TFLOP/s part: 50 % MFU, no compiler can do better than 2x
    u = utilisation(156e12, 1.0, 312)
    assert u.achieved_tflops == pytest.approx(156) and u.mfu == pytest.approx(0.5)
    assert u.speedup_ceiling == pytest.approx(2.0)
    cpu = utilisation(1e9, 0.01, None)
    assert cpu.achieved_tflops == pytest.approx(0.1) and cpu.mfu is None and cpu.speedup_ceiling is None
