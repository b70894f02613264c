"""Facts about the machine a benchmark ran on, and GPU sampling through NVML (torch-free).

Everything here fails soft: without a GPU, NVML or a library, the answer is ``None``.
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


def host_facts(worker_info: dict[str, Any]) -> dict[str, Any]:
    """The ``host`` block of the results, from the baseline worker's report and this machine."""
    return {
        "device": worker_info.get("device", "unknown"),
        "device_name": worker_info.get("device_name") or cpu_name(),
        "driver": nvml_driver(),
        "cuda": worker_info.get("cuda"),
        "torch": worker_info.get("torch") or package_version("torch"),
        "torch_xla": package_version("torch-xla") or package_version("torch_xla"),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }


@dataclass
class GpuSampler:
    """Samples GPU utilisation (%) and memory in a background thread while ``active``.

    ``start()`` returns False (and sampling stays off) when NVML is not usable.
    """

    interval_s: float = 0.1
    index: int = 0
    utilization: list[float] = field(default_factory=list)
    memory_used: list[int] = field(default_factory=list)
    active: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> bool:
        nv = _nvml()
        if nv is None:
            return False
        try:
            handle = nv.nvmlDeviceGetHandleByIndex(self.index)
        except Exception:
            return False

        def loop() -> None:
            while not self._stop.wait(self.interval_s):
                if not self.active:
                    continue
                try:
                    self.utilization.append(float(nv.nvmlDeviceGetUtilizationRates(handle).gpu))
                    self.memory_used.append(int(nv.nvmlDeviceGetMemoryInfo(handle).used))
                except Exception:
                    return

        self._thread = threading.Thread(target=loop, name="fitcheck-nvml", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
