"""Facts about the machine a benchmark ran on, and GPU sampling through NVML (torch-free).

Facts fail soft: without a GPU, NVML or a library, the answer is ``None``. NVML errors while
sampling are recorded and reported with the results, not swallowed.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import threading
from dataclasses import dataclass, field
from typing import Any


def package_version(name: str) -> str | None:
    """Installed version of a distribution, without importing it."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_name() -> str:
    """The CPU model as the kernel reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _nvml() -> Any | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml
    except Exception:  # no library, no driver, no GPU: all mean "no NVML"
        return None


def nvml_driver() -> str | None:
    """The NVIDIA driver version, or ``None`` without a GPU."""
    nv = _nvml()
    if nv is None:
        return None
    try:
        version = nv.nvmlSystemGetDriverVersion()
        return version.decode() if isinstance(version, bytes) else str(version)
    except Exception:
        return None


def nvml_uuid(torch_uuid: str | None) -> str | None:
    """The NVML form (``GPU-xxxxxxxx-...``) of the UUID torch reports for a device.

    ``torch.cuda.get_device_properties(i).uuid`` prints without the ``GPU-`` prefix that
    ``nvmlDeviceGetHandleByUUID`` expects (MIG devices print as ``MIG-...`` and keep theirs).
    """
    if not torch_uuid:
        return None
    text = str(torch_uuid).strip()
    if text.startswith(("GPU-", "MIG-")):
        return text
    return f"GPU-{text}"


def worker_visible_device(visible: str | None, gpu: int | None) -> str:
    """The one entry of ``CUDA_VISIBLE_DEVICES`` a worker gets: the ``gpu``-th visible device
    (default the first). Raises ValueError when ``gpu`` is not among the visible devices."""
    entries = [e.strip() for e in (visible or "").split(",") if e.strip()]
    index = 0 if gpu is None else gpu
    if not entries:
        if index < 0:
            raise ValueError(f"--gpu {gpu} is not a device index")
        return str(index)
    if not 0 <= index < len(entries):
        raise ValueError(f"--gpu {gpu} is not among the {len(entries)} visible devices ({visible})")
    return entries[index]


def worker_threads(cpu_count: int | None, workers: int) -> int:
    """Equal shares of the cores: the threads each worker process is pinned to."""
    return max(1, (cpu_count or 1) // max(1, workers))


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages (empty where the system has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def load_changed(
    before: list[float], after: list[float], cpu_count: int | None, own_threads: int = 0
) -> bool | None:
    """Whether the machine's 1-minute load moved materially during the run.

    The benchmark itself adds about ``own_threads`` runnable tasks (one worker computes at a
    time); beyond that, a change of at least one task and a quarter of the cores means
    something else started or stopped on the machine. ``None`` without both readings.
    """
    if not before or not after:
        return None
    return abs(after[0] - before[0] - own_threads) >= max(1.0, 0.25 * (cpu_count or 1))


def gpu_facts(uuid: str | None) -> dict[str, Any]:
    """GPU count, MIG mode and SM clock of the device with ``uuid`` through NVML (documented
    calls: nvmlDeviceGetCount, nvmlDeviceGetHandleByUUID, nvmlDeviceGetMigMode,
    nvmlDeviceGetClockInfo with NVML_CLOCK_SM). Empty without NVML."""
    nv = _nvml()
    if nv is None:
        return {}
    out: dict[str, Any] = {}
    try:
        out["gpu_count"] = int(nv.nvmlDeviceGetCount())
        if uuid:
            handle = nv.nvmlDeviceGetHandleByUUID(uuid)
            try:
                current, _pending = nv.nvmlDeviceGetMigMode(handle)
                out["mig"] = bool(current)
            except nv.NVMLError:  # not a MIG-capable GPU
                out["mig"] = False
            out["sm_clock_mhz"] = int(nv.nvmlDeviceGetClockInfo(handle, nv.NVML_CLOCK_SM))
    except Exception:
        pass
    return out


def host_facts(worker_info: dict[str, Any]) -> dict[str, Any]:
    """The ``host`` block of the results, from the baseline worker's report and this machine."""
    uuid = nvml_uuid(worker_info.get("gpu_uuid"))
    return {
        "device": worker_info.get("device", "unknown"),
        "device_name": worker_info.get("device_name") or cpu_name(),
        "driver": nvml_driver(),
        "cuda": worker_info.get("cuda"),
        "torch": worker_info.get("torch") or package_version("torch"),
        "tensorflow": worker_info.get("tensorflow"),
        "keras": worker_info.get("keras"),
        "torch_xla": package_version("torch-xla") or package_version("torch_xla"),
        "transformers": package_version("transformers"),
        "diffusers": package_version("diffusers"),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "gpu_uuid": uuid,
        "tf32_matmul": worker_info.get("tf32_matmul"),
        "cudnn_tf32": worker_info.get("cudnn_tf32"),
        "cudnn_benchmark": worker_info.get("cudnn_benchmark"),
        **gpu_facts(uuid),
    }


@dataclass
class GpuSampler:
    """Samples GPU utilisation (%) and memory in a background thread while ``active``.

    ``start()`` returns False (and sampling stays off) when NVML is not usable.
    """

    interval_s: float = 0.1
    uuid: str | None = None  # NVML numbering ignores CUDA_VISIBLE_DEVICES: find the device by UUID
    index: int = 0
    utilization: list[float] = field(default_factory=list)
    memory_used: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    active: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> bool:
        nv = _nvml()
        if nv is None:
            self.errors.append("NVML is not available (nvidia-ml-py not installed, or no driver)")
            return False
        try:
            if self.uuid:
                handle = nv.nvmlDeviceGetHandleByUUID(self.uuid)
            else:
                handle = nv.nvmlDeviceGetHandleByIndex(self.index)
        except Exception as err:
            self.errors.append(f"NVML handle for {self.uuid or self.index}: {err}")
            return False

        def loop() -> None:
            while not self._stop.wait(self.interval_s):
                if not self.active:
                    continue
                try:
                    self.utilization.append(float(nv.nvmlDeviceGetUtilizationRates(handle).gpu))
                    self.memory_used.append(int(nv.nvmlDeviceGetMemoryInfo(handle).used))
                except Exception as err:  # reported with the results
                    self.errors.append(f"NVML sampling stopped: {err}")
                    return

        self._thread = threading.Thread(target=loop, name="fitcheck-nvml", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
