"""The catalog of benchmarkable model architectures (torch-free).

Each entry names a real architecture, the library class that defines it and the published
configuration it is built from (random weights; nothing is downloaded). Every model has a
``-tiny`` variant: the same classes with small dimensions, for CPU runs and tests. The
builders that import torch live in :mod:`fitcheck.bench.models`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SizeKind = Literal["seq_len", "image_size"]


@dataclass(frozen=True)
class ModelSpec:
    """One catalog entry: what to build and which input sizes make sense for it."""

    name: str
    library: str  # transformers | torchvision | diffusers
    architecture: str  # the class that is instantiated
    builder: str  # function name in fitcheck.bench.models
    size_kind: SizeKind
    default_batch: int
    default_size: int
    min_size: int
    max_size: int
    size_multiple: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def _text(
    name: str, arch: str, builder: str, params: dict[str, Any], *, batch: int, seq: int, max_seq: int
) -> ModelSpec:
    return ModelSpec(
        name=name,
        library="transformers",
        architecture=arch,
        builder=builder,
        size_kind="seq_len",
        default_batch=batch,
        default_size=seq,
        min_size=2,
        max_size=max_seq,
        params=params,
    )


# Published configurations (the values of each model's config.json on the Hugging Face Hub).
_BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
    type_vocab_size=2,
)
_BERT_TINY = dict(
    vocab_size=1024,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=128,
    max_position_embeddings=128,
    type_vocab_size=2,
)
_ROBERTA_BASE = dict(
    vocab_size=50265,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=514,
    type_vocab_size=1,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    layer_norm_eps=1e-5,
)
_ROBERTA_TINY = dict(
    _ROBERTA_BASE,
    vocab_size=1024,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=128,
    max_position_embeddings=130,
)
_DISTILBERT_BASE = dict(
    vocab_size=30522,
    dim=768,
    n_layers=6,
    n_heads=12,
    hidden_dim=3072,
    max_position_embeddings=512,
)
_DISTILBERT_TINY = dict(
    vocab_size=1024,
    dim=64,
    n_layers=2,
    n_heads=2,
    hidden_dim=128,
    max_position_embeddings=128,
)
_GPT2 = dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12)
_GPT2_TINY = dict(vocab_size=1024, n_positions=128, n_embd=64, n_layer=2, n_head=2)
_T5_SMALL = dict(
    vocab_size=32128,
    d_model=512,
    d_kv=64,
    d_ff=2048,
    num_layers=6,
    num_heads=8,
    relative_attention_num_buckets=32,
    decoder_start_token_id=0,
    pad_token_id=0,
)
_T5_TINY = dict(_T5_SMALL, vocab_size=1024, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4)
_VIT_BASE = dict(
    image_size=224,
    patch_size=16,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    num_labels=1000,
)
_VIT_TINY = dict(
    image_size=32,
    patch_size=4,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=128,
    num_labels=10,
)
# runwayml/stable-diffusion-v1-5, unet/config.json
_SD15_UNET = dict(
    sample_size=64,
    in_channels=4,
    out_channels=4,
    layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=768,
    attention_head_dim=8,
    norm_num_groups=32,
    text_tokens=77,
)
_SD_UNET_TINY = dict(
    sample_size=16,
    in_channels=4,
    out_channels=4,
    layers_per_block=1,
    block_out_channels=(32, 64),
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=32,
    attention_head_dim=8,
    norm_num_groups=32,
    text_tokens=8,
)


def _entries() -> list[ModelSpec]:
    out = [
        _text(
            "bert-base-uncased",
            "BertForMaskedLM",
            "masked_lm",
            {"config": "BertConfig", **_BERT_BASE},
            batch=8,
            seq=128,
            max_seq=512,
        ),
        _text(
            "bert-base-uncased-tiny",
            "BertForMaskedLM",
            "masked_lm",
            {"config": "BertConfig", **_BERT_TINY},
            batch=4,
            seq=32,
            max_seq=128,
        ),
        _text(
            "roberta-base",
            "RobertaForMaskedLM",
            "masked_lm",
            {"config": "RobertaConfig", **_ROBERTA_BASE},
            batch=8,
            seq=128,
            max_seq=512,
        ),
        _text(
            "roberta-base-tiny",
            "RobertaForMaskedLM",
            "masked_lm",
            {"config": "RobertaConfig", **_ROBERTA_TINY},
            batch=4,
            seq=32,
            max_seq=128,
        ),
        _text(
            "distilbert-base-uncased",
            "DistilBertForMaskedLM",
            "masked_lm",
            {"config": "DistilBertConfig", **_DISTILBERT_BASE},
            batch=8,
            seq=128,
            max_seq=512,
        ),
        _text(
            "distilbert-base-uncased-tiny",
            "DistilBertForMaskedLM",
            "masked_lm",
            {"config": "DistilBertConfig", **_DISTILBERT_TINY},
            batch=4,
            seq=32,
            max_seq=128,
        ),
        _text(
            "gpt2",
            "GPT2LMHeadModel",
            "causal_lm",
            {"config": "GPT2Config", **_GPT2},
            batch=8,
            seq=128,
            max_seq=1024,
        ),
        _text(
            "gpt2-tiny",
            "GPT2LMHeadModel",
            "causal_lm",
            {"config": "GPT2Config", **_GPT2_TINY},
            batch=4,
            seq=32,
            max_seq=128,
        ),
        _text(
            "t5-small",
            "T5ForConditionalGeneration",
            "seq2seq_lm",
            {"config": "T5Config", **_T5_SMALL},
            batch=8,
            seq=128,
            max_seq=512,
        ),
        _text(
            "t5-small-tiny",
            "T5ForConditionalGeneration",
            "seq2seq_lm",
            {"config": "T5Config", **_T5_TINY},
            batch=4,
            seq=32,
            max_seq=128,
        ),
        ModelSpec(
            "vit-base",
            "transformers",
            "ViTForImageClassification",
            "vit",
            "image_size",
            default_batch=8,
            default_size=224,
            min_size=16,
            max_size=1024,
            size_multiple=16,
            params=_VIT_BASE,
            note="google/vit-base-patch16-224",
        ),
        ModelSpec(
            "vit-base-tiny",
            "transformers",
            "ViTForImageClassification",
            "vit",
            "image_size",
            default_batch=4,
            default_size=32,
            min_size=4,
            max_size=256,
            size_multiple=4,
            params=_VIT_TINY,
        ),
        ModelSpec(
            "resnet50",
            "torchvision",
            "ResNet(Bottleneck, [3, 4, 6, 3])",
            "resnet",
            "image_size",
            default_batch=16,
            default_size=224,
            min_size=32,
            max_size=1024,
            size_multiple=32,
            params={"layers": [3, 4, 6, 3], "num_classes": 1000},
        ),
        ModelSpec(
            "resnet50-tiny",
            "torchvision",
            "ResNet(Bottleneck, [1, 1, 1, 1])",
            "resnet",
            "image_size",
            default_batch=4,
            default_size=32,
            min_size=32,
            max_size=256,
            size_multiple=32,
            params={"layers": [1, 1, 1, 1], "num_classes": 10, "width_per_group": 16},
        ),
        ModelSpec(
            "stable-diffusion-v1-5-unet",
            "diffusers",
            "UNet2DConditionModel",
            "unet",
            "image_size",
            default_batch=2,
            default_size=64,
            min_size=8,
            max_size=256,
            size_multiple=8,
            params=_SD15_UNET,
            note="image size is the latent size (64 = 512 px images)",
        ),
        ModelSpec(
            "stable-diffusion-v1-5-unet-tiny",
            "diffusers",
            "UNet2DConditionModel",
            "unet",
            "image_size",
            default_batch=2,
            default_size=16,
            min_size=4,
            max_size=64,
            size_multiple=2,
            params=_SD_UNET_TINY,
            note="image size is the latent size",
        ),
    ]
    return out


CATALOG: dict[str, ModelSpec] = {spec.name: spec for spec in _entries()}


def catalog_names() -> list[str]:
    """Every catalog name, in catalog order."""
    return list(CATALOG)


def is_user_model(name: str) -> bool:
    """``package.module:function`` names the user's own model factory."""
    return ":" in name
