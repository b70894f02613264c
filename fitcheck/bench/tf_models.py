"""TensorFlow / Keras architectures for the ``tf-eager`` / ``tf-xla`` backend pair.

Real architectures from the libraries that define them, built from their published
configurations with random weights (nothing is downloaded): ``keras_hub``'s ``BertBackbone``
(the configuration of ``bert-base-uncased``) with a classification head, and
``keras.applications.ResNet50``. Each has a ``-tiny`` variant: the same classes with small
dimensions, for CPU runs and tests. A user model is ``package.module:function``; the function
is called as ``function(batch_size=..., size=..., seed=...)`` and returns a mapping (or an
object) with ``model`` (a ``keras.Model``), ``make_batch(step, batch_size, size) -> (x, y)``
and ``loss`` (a Keras loss).

TensorFlow is imported only inside the functions: importing this module is free.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The published bert-base-uncased configuration (config.json on the Hugging Face Hub),
# in keras_hub's BertBackbone argument names.
BERT_BASE = dict(
    vocabulary_size=30522,
    num_layers=12,
    num_heads=12,
    hidden_dim=768,
    intermediate_dim=3072,
    max_sequence_length=512,
    num_segments=2,
    dropout=0.0,  # off, as in the PyTorch catalog: baseline and compiled losses stay comparable
)
BERT_TINY = dict(
    vocabulary_size=1024,
    num_layers=2,
    num_heads=2,
    hidden_dim=64,
    intermediate_dim=128,
    max_sequence_length=128,
    num_segments=2,
    dropout=0.0,  # off, as in the PyTorch catalog: baseline and compiled losses stay comparable
)


@dataclass(frozen=True)
class TfModelSpec:
    """One TensorFlow catalog entry."""

    name: str
    library: str  # keras_hub | keras.applications
    architecture: str
    size_kind: str  # seq_len | image_size
    default_batch: int
    default_size: int
    min_size: int
    max_size: int
    params: dict[str, Any] = field(default_factory=dict)
    size_multiple: int = 1


TF_CATALOG: dict[str, TfModelSpec] = {
    s.name: s
    for s in (
        TfModelSpec("bert-base-uncased", "keras_hub", "BertBackbone", "seq_len", 8, 128, 2, 512, BERT_BASE),
        TfModelSpec(
            "bert-base-uncased-tiny", "keras_hub", "BertBackbone", "seq_len", 8, 32, 2, 128, BERT_TINY
        ),
        TfModelSpec(
            "resnet50", "keras.applications", "ResNet50", "image_size", 32, 224, 32, 512, {"classes": 1000}
        ),
        TfModelSpec(
            "resnet50-tiny", "keras.applications", "ResNet50", "image_size", 4, 32, 32, 64, {"classes": 10}
        ),
    )
}


class TfUserModelError(Exception):
    """The user's ``module:function`` could not be imported or returned the wrong thing."""


@dataclass(frozen=True)
class TfWorkload:
    model: Any  # keras.Model
    make_batch: Callable[[int, int, int | None], tuple[Any, Any]]
    loss: Any  # keras loss


def _rng(seed: int, step: int) -> np.random.Generator:
    return np.random.default_rng(seed * 1_000_003 + step)


def _bert(spec: TfModelSpec, seed: int) -> TfWorkload:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import keras_hub

    backbone = keras_hub.models.BertBackbone(**spec.params)
    logits = keras.layers.Dense(2, name="classifier", dtype="float32")(
        backbone(backbone.input)["pooled_output"]
    )
    model = keras.Model(backbone.input, logits, name=spec.name)
    vocab = int(spec.params["vocabulary_size"])

    def make_batch(step: int, batch_size: int, size: int | None) -> tuple[Any, Any]:
        length = int(size or spec.default_size)
        rng = _rng(seed, step)
        x = {
            "token_ids": rng.integers(0, vocab, (batch_size, length)).astype("int32"),
            "segment_ids": np.zeros((batch_size, length), "int32"),
            "padding_mask": np.ones((batch_size, length), "int32"),
        }
        return x, rng.integers(0, 2, batch_size).astype("int32")

    return TfWorkload(model, make_batch, keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def _resnet(spec: TfModelSpec, seed: int) -> TfWorkload:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    classes = int(spec.params["classes"])
    size = spec.default_size
    # input_shape with None spatial dims: the same model trains on any image size
    base = keras.applications.ResNet50(
        weights=None, include_top=False, input_shape=(None, None, 3), pooling="avg"
    )
    logits = keras.layers.Dense(classes, dtype="float32")(base.output)
    model = keras.Model(base.input, logits, name=spec.name)

    def make_batch(step: int, batch_size: int, image: int | None) -> tuple[Any, Any]:
        side = int(image or size)
        rng = _rng(seed, step)
        x = rng.standard_normal((batch_size, side, side, 3)).astype("float32")
        return x, rng.integers(0, classes, batch_size).astype("int32")

    return TfWorkload(model, make_batch, keras.losses.SparseCategoricalCrossentropy(from_logits=True))


BUILDERS: dict[str, Callable[[TfModelSpec, int], TfWorkload]] = {"BertBackbone": _bert, "ResNet50": _resnet}


def build_tf_workload(name: str, *, batch_size: int, size: int | None, seed: int) -> TfWorkload:
    """The Keras model named ``name`` with weights drawn from ``seed`` (same on both backends)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    keras.utils.set_random_seed(seed)
    spec = TF_CATALOG.get(name)
    if spec is None:
        return _user_workload(name, batch_size, size, seed)
    return BUILDERS[spec.architecture](spec, seed)


def _user_workload(name: str, batch_size: int, size: int | None, seed: int) -> TfWorkload:
    if ":" not in name:
        known = ", ".join(TF_CATALOG)
        raise TfUserModelError(
            f"unknown TensorFlow model {name!r}; use one of {known} or package.module:function"
        )
    module_name, _, func_name = name.partition(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as err:
        raise TfUserModelError(f"cannot import {name!r}: {err}") from None
    made = func(batch_size=batch_size, size=size, seed=seed)
    get = made.get if isinstance(made, dict) else (lambda key: getattr(made, key, None))
    model, make_batch, loss = get("model"), get("make_batch"), get("loss")
    if model is None or not callable(make_batch) or loss is None:
        raise TfUserModelError(f"{name!r} must return model, make_batch(step, batch_size, size) and loss")
    return TfWorkload(model, make_batch, loss)


def batch_samples(batch: Any) -> int:
    """Samples in a batch: the leading dimension of its first array."""
    x = batch[0] if isinstance(batch, tuple) else batch
    first = next(iter(x.values())) if isinstance(x, dict) else x
    return int(first.shape[0])


def shape_signature(batch: Any) -> tuple[tuple[int, ...], ...]:
    """Every array's shape in a (nested) batch: XLA compiles once per distinct signature."""
    out: list[tuple[int, ...]] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k in sorted(v):
                walk(v[k])
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        elif hasattr(v, "shape"):
            out.append(tuple(int(d) for d in v.shape))

    walk(batch)
    return tuple(out)
