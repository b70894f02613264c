"""What a training job's hyperparameters say: precision, batch, sequence length, shapes,
distribution, model and compiler. Pure, no boto3, no I/O.

Names are compared after lower-casing and turning dashes into underscores, so
``--per-device-train-batch-size`` and ``per_device_train_batch_size`` read the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STC_ENABLED = "sagemaker_training_compiler_enabled"
STC_DEBUG = "sagemaker_training_compiler_debug_mode"
STC_XLA_MULTI_WORKER = "sagemaker_pytorch_xla_multi_worker_enabled"

BATCH_KEYS = (
    "per_device_train_batch_size",
    "train_batch_size",
    "per_device_batch_size",
    "batch_size",
    "per_gpu_train_batch_size",
    "micro_batch_size",
    "mini_batch_size",
    "batch",
)
SEQ_KEYS = (
    "max_seq_length",
    "max_seq_len",
    "max_sequence_length",
    "sequence_length",
    "seq_len",
    "seq_length",
    "max_length",
    "max_len",
    "max_source_length",
    "context_length",
    "block_size",
)
MODEL_KEYS = (
    "model_name_or_path",
    "model_name",
    "model_id",
    "model_checkpoint",
    "pretrained_model_name_or_path",
    "base_model",
    "model",
    "arch",
    "model_type",
)
# Flags that switch a compiler on inside the job (besides the STC hyperparameter).
COMPILER_FLAGS = ("torch_compile", "use_torch_compile", "compile", "jit_compile", "use_xla", "xla")
# Boolean precision flags: the flag -> the precision it turns on.
_PRECISION_FLAGS = (
    ("bf16", "bf16"),
    ("use_bf16", "bf16"),
    ("fp16", "fp16"),
    ("use_fp16", "fp16"),
    ("half", "fp16"),
    ("amp", "fp16"),
    ("use_amp", "fp16"),
    ("use_mixed_precision", "fp16"),
    ("tf32", "tf32"),
)
_PRECISION_VALUES = {
    "bf16": "bf16",
    "bf16_mixed": "bf16",
    "bf16_true": "bf16",
    "bfloat16": "bf16",
    "mixed_bfloat16": "bf16",
    "fp16": "fp16",
    "16": "fp16",
    "16_mixed": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "amp": "fp16",
    "mixed_float16": "fp16",
    "fp32": "fp32",
    "32": "fp32",
    "32_true": "fp32",
    "float32": "fp32",
    "no": "fp32",
    "none": "fp32",
    "full": "fp32",
    "false": "fp32",
    "tf32": "tf32",
}
_PRECISION_KEYS = ("mixed_precision", "precision", "dtype", "torch_dtype", "amp_dtype")


def decode_hyperparameter(value: Any) -> str:
    """A hyperparameter as text.

    The SageMaker Python SDK JSON-encodes every value (``"\\"bert-base-uncased\\""``,
    ``"true"``, ``"32"``); the raw API stores plain strings. Both come back as plain text.
    """
    text = str(value).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]
        return str(decoded)
    return text


def normalise_keys(hyperparameters: Mapping[str, Any] | None) -> dict[str, str]:
    """Keys lower-cased with dashes as underscores (leading dashes dropped), values decoded."""
    out: dict[str, str] = {}
    for k, v in (hyperparameters or {}).items():
        key = str(k).strip().lower().lstrip("-").replace("-", "_")
        out.setdefault(key, decode_hyperparameter(v))
    return out


def truthy(value: str | None) -> bool | None:
    """``True``/``False`` for the usual spellings, ``None`` for anything else."""
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("true", "1", "yes", "y", "on"):
        return True
    if v in ("false", "0", "no", "n", "off", "none", ""):
        return False
    return None


def _positive_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number >= 1 and number == int(number):
        return int(number)
    return None


@dataclass(frozen=True)
class HyperparameterFacts:
    """What common hyperparameter names say about a job (``None``: not said)."""

    precision: str  # fp32 | fp16 | bf16 | tf32 | unknown
    batch_size: int | None
    sequence_length: int | None
    input_shapes: str  # static | dynamic | unknown
    distribution: str | None  # an inventory distribution, or None when not said
    model: str | None
    compiler_enabled: bool
    precision_source: str | None = None  # the hyperparameter the precision came from
    compiler_source: str | None = None  # the hyperparameter that says a compiler is on
    program: str | None = None  # sagemaker_program: the entry point


def precision_of(hp: Mapping[str, str]) -> tuple[str, str | None]:
    """(precision, the hyperparameter it came from) from normalised hyperparameters."""
    said_false: list[str] = []
    for key, precision in _PRECISION_FLAGS:
        flag = truthy(hp.get(key))
        if flag:
            return precision, key
        if flag is False and precision in ("fp16", "bf16"):
            said_false.append(key)
    for key in _PRECISION_KEYS:
        raw = hp.get(key)
        if raw is None:
            continue
        v = raw.strip().lower().replace("-", "_")
        if v in _PRECISION_VALUES:
            return _PRECISION_VALUES[v], key
    if said_false:  # fp16=false (and bf16=false): the job trains in full precision
        return "fp32", "=false, ".join(said_false) + "=false"
    return "unknown", None


def input_shapes_of(hp: Mapping[str, str]) -> str:
    """static (fixed-length padding), dynamic (padding to the longest / no padding) or unknown."""
    pad = truthy(hp.get("pad_to_max_length"))
    if pad is True:
        return "static"
    padding = (hp.get("padding") or "").strip().lower().replace("-", "_")
    if padding in ("max_length",):
        return "static"
    if padding in ("longest", "true", "dynamic", "do_not_pad", "false"):
        return "dynamic"
    if pad is False or truthy(hp.get("group_by_length")):
        return "dynamic"
    return "unknown"


def distribution_of(hp: Mapping[str, str]) -> str | None:
    if truthy(hp.get("sagemaker_distributed_dataparallel_enabled")):
        return "smddp"
    if "mp_parameters" in hp or truthy(hp.get("sagemaker_modelparallel_enabled")):
        return "smp"
    if truthy(hp.get(STC_XLA_MULTI_WORKER)):
        return "pytorchxla"
    if truthy(hp.get("sagemaker_mpi_enabled")):
        return "horovod"
    if truthy(hp.get("sagemaker_torch_distributed_enabled")):
        return "ddp"
    for key in ("deepspeed", "deepspeed_config"):
        if key in hp and truthy(hp.get(key)) is not False:
            return "deepspeed"
    if "fsdp" in hp and truthy(hp.get("fsdp")) is not False:
        return "fsdp"
    return None


def compiler_of(hp: Mapping[str, str]) -> str | None:
    """The hyperparameter that says a compiler is on, or ``None``."""
    if truthy(hp.get(STC_ENABLED)):
        return STC_ENABLED
    for key in COMPILER_FLAGS:
        if truthy(hp.get(key)):
            return key
    return None


def hyperparameter_facts(hyperparameters: Mapping[str, Any] | None) -> HyperparameterFacts:
    """Precision, batch, sequence length, shapes, distribution, model and compiler."""
    hp = normalise_keys(hyperparameters)
    precision, source = precision_of(hp)
    batch = next((b for k in BATCH_KEYS if (b := _positive_int(hp.get(k))) is not None), None)
    seq = next((s for k in SEQ_KEYS if (s := _positive_int(hp.get(k))) is not None), None)
    model = next((hp[k] for k in MODEL_KEYS if hp.get(k)), None)
    compiler = compiler_of(hp)
    return HyperparameterFacts(
        precision=precision,
        batch_size=batch,
        sequence_length=seq,
        input_shapes=input_shapes_of(hp),
        distribution=distribution_of(hp),
        model=model,
        compiler_enabled=compiler is not None,
        precision_source=source,
        compiler_source=compiler,
        program=hp.get("sagemaker_program") or None,
    )
