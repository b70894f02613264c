"""Builders for the catalog's models and for the user's own ``module:function`` (imports torch).

A workload is three things: the ``torch.nn.Module``, ``make_batch(step, batch_size, size)``
returning the batch of one step as CPU tensors (deterministic in ``step``, so every backend
sees the same data), and ``loss_fn(model, batch)`` returning the scalar loss.

A user factory is called as ``function(batch_size, size)`` (``size`` is the ``--seq-len`` or
``--image-size`` given, else ``None``) and returns ``(model, make_batch, loss_fn)`` with the
same meanings.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from fitcheck.bench.catalog import CATALOG, ModelSpec

MakeBatch = Callable[[int, int, int | None], Any]
LossFn = Callable[[nn.Module, Any], torch.Tensor]


@dataclass(frozen=True)
class Workload:
    """A model with the data and the loss of its training step."""

    model: nn.Module
    make_batch: MakeBatch
    loss_fn: LossFn


class UserModelError(Exception):
    """The user's ``module:function`` could not be imported or returned the wrong thing."""


def _gen(seed: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + step)


_NO_DROPOUT = {
    "BertConfig": {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0},
    "RobertaConfig": {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0},
    "DistilBertConfig": {"dropout": 0.0, "attention_dropout": 0.0, "seq_classif_dropout": 0.0},
    "GPT2Config": {"resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0},
    "T5Config": {"dropout_rate": 0.0},
}


def _hf_config(params: dict[str, Any]) -> Any:
    import transformers

    kwargs = dict(params)
    cls_name = kwargs.pop("config")
    kwargs.update(_NO_DROPOUT.get(cls_name, {}))
    return getattr(transformers, cls_name)(**kwargs)


def _token_batch(vocab: int, seed: int) -> MakeBatch:
    def make(step: int, batch_size: int, size: int | None) -> dict[str, torch.Tensor]:
        ids = torch.randint(3, vocab, (batch_size, int(size or 0)), generator=_gen(seed, step))
        return {"input_ids": ids, "labels": ids.clone()}

    return make


def _hf_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(**batch).loss


def masked_lm(spec: ModelSpec, seed: int) -> Workload:
    import transformers

    cfg = _hf_config(spec.params)
    model = getattr(transformers, spec.architecture)(cfg)
    return Workload(model, _token_batch(cfg.vocab_size, seed), _hf_loss)


causal_lm = masked_lm


def seq2seq_lm(spec: ModelSpec, seed: int) -> Workload:
    import transformers

    cfg = _hf_config(spec.params)
    model = transformers.T5ForConditionalGeneration(cfg)
    return Workload(model, _token_batch(cfg.vocab_size, seed), _hf_loss)


def vit(spec: ModelSpec, seed: int) -> Workload:
    import transformers

    params = dict(spec.params, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    num_labels = params.pop("num_labels")
    cfg = transformers.ViTConfig(**params, num_labels=num_labels)  # type: ignore[call-arg]
    model = transformers.ViTForImageClassification(cfg)

    def make(step: int, batch_size: int, size: int | None) -> dict[str, Any]:
        g = _gen(seed, step)
        pixels = torch.randn(batch_size, 3, int(size or 0), int(size or 0), generator=g)
        labels = torch.randint(0, num_labels, (batch_size,), generator=g)
        return {"pixel_values": pixels, "labels": labels, "interpolate_pos_encoding": True}

    def loss(m: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        return m(**batch).loss

    return Workload(model, make, loss)


def resnet(spec: ModelSpec, seed: int) -> Workload:
    from torchvision.models.resnet import Bottleneck, ResNet

    params = dict(spec.params)
    num_classes = params["num_classes"]
    model = ResNet(
        Bottleneck,
        params["layers"],
        num_classes=num_classes,
        width_per_group=params.get("width_per_group", 64),
    )

    def make(step: int, batch_size: int, size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        g = _gen(seed, step)
        images = torch.randn(batch_size, 3, int(size or 0), int(size or 0), generator=g)
        return images, torch.randint(0, num_classes, (batch_size,), generator=g)

    def loss(m: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        images, labels = batch
        return nn.functional.cross_entropy(m(images), labels)

    return Workload(model, make, loss)


def unet(spec: ModelSpec, seed: int) -> Workload:
    from diffusers import UNet2DConditionModel

    params = dict(spec.params)
    tokens = params.pop("text_tokens")
    params["block_out_channels"] = tuple(params["block_out_channels"])
    model = UNet2DConditionModel(**params)
    channels, ctx = params["in_channels"], params["cross_attention_dim"]

    def make(step: int, batch_size: int, size: int | None) -> dict[str, torch.Tensor]:
        g = _gen(seed, step)
        s = int(size or 0)
        return {
            "sample": torch.randn(batch_size, channels, s, s, generator=g),
            "timestep": torch.randint(0, 1000, (batch_size,), generator=g),
            "encoder_hidden_states": torch.randn(batch_size, tokens, ctx, generator=g),
            "noise": torch.randn(batch_size, channels, s, s, generator=g),
        }

    def loss(m: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        pred = m(batch["sample"], batch["timestep"], batch["encoder_hidden_states"]).sample
        return nn.functional.mse_loss(pred, batch["noise"])

    return Workload(model, make, loss)  # type: ignore[arg-type]


def _user_workload(name: str, batch_size: int, size: int | None) -> Workload:
    module_name, _, func_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # the user's module may fail in any way at import
        raise UserModelError(f"cannot import module {module_name!r}: {err}") from None
    factory = getattr(module, func_name, None)
    if not callable(factory):
        raise UserModelError(f"module {module_name!r} has no function {func_name!r}")
    made = factory(batch_size, size)
    if not (isinstance(made, tuple) and len(made) == 3):
        raise UserModelError(f"{name} must return (model, make_batch, loss_fn), got {type(made).__name__}")
    model, make_batch, loss_fn = made
    if not isinstance(model, nn.Module) or not callable(make_batch) or not callable(loss_fn):
        raise UserModelError(f"{name} must return (torch.nn.Module, callable, callable)")
    return Workload(model, make_batch, loss_fn)


def build_workload(name: str, *, batch_size: int, size: int | None, seed: int) -> Workload:
    """Build the model named ``name`` with weights drawn from ``seed`` (same on every backend)."""
    torch.manual_seed(seed)
    spec = CATALOG.get(name)
    if spec is None:
        return _user_workload(name, batch_size, size)
    builder = globals()[spec.builder]
    return builder(spec, seed)


def to_device(batch: Any, device: Any, *, pinned: bool = False) -> Any:
    """Move every tensor in a (nested) batch to ``device``.

    ``pinned`` (CUDA): copy from page-locked host memory with ``non_blocking=True``, as a
    ``DataLoader(pin_memory=True)`` loop does, so the copy overlaps the previous step's work.
    """
    if isinstance(batch, torch.Tensor):
        if pinned:
            return batch.pin_memory().to(device, non_blocking=True)
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device, pinned=pinned) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device, pinned=pinned) for v in batch)
    return batch


def batch_samples(batch: Any) -> int:
    """Number of samples in a batch: the leading dimension of its first tensor."""
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.dim() else 1
    values = batch.values() if isinstance(batch, dict) else batch
    if isinstance(values, (list, tuple)) or hasattr(values, "__iter__"):
        for v in values:
            if isinstance(v, torch.Tensor) and v.dim():
                return int(v.shape[0])
    return 1
