"""Model family from a model id: one token-based, anchored inference for the whole project.

A model id (``resnet50``, ``facebook/opt-1.3b``, ``stable-diffusion-v1-5 unet``) is lower-cased,
its hub organisation dropped, and every pattern must match at a token boundary: a name
starts after a separator (or at the start) and ends before a letter. So ``resnet50`` is not
``t5``, ``activity-recognition-3dcnn`` is not ``vit``, ``adopt-…`` is not ``opt`` and
``delphi-…`` is not ``phi``. Families are tried in order: diffusion markers first (a
diffusion UNet is diffusion, a segmentation UNet is a CNN), then transformers, then CNNs;
whatever matches nothing stays ``other``.

:func:`classify` returns the schema family and a finer kind (``llm``, ``encoder``,
``seq2seq``, ``vit``, ``speech``, ``cnn``, ``segmentation``, ``detection``, ``diffusion``,
``gbdt``, ``other``); :func:`model_params_billion` reads a parameter count written in the id
(``7b``, ``560m``). Pure string functions, used per distinct model id.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Token boundaries: a name starts at the start or after a non-alphanumeric character, and
# ends at the end or before anything that is not a letter (digits and separators may follow:
# resnet50, llama-2, t5-small).
_L = r"(?<![a-z0-9])"
_R = r"(?![a-z])"

# (kind, family, pattern) in order; the first match wins.
_PATTERNS: tuple[tuple[str, str, str], ...] = (
    # diffusion: named pipelines and UNets that only exist in diffusion models
    (
        "diffusion",
        "diffusion",
        r"stable-?diffusion|sdxl|sd-?v?\d(?:[.-]\d)?|sd-?(?:unet|turbo|controlnet)|controlnet|ddpm|ddim"
        r"|latent-?diffusion|diffusion|unet2dcondition\w*|kandinsky|pixart|dit(?:-(?:xl|l|b|s))?"
        r"|imagen|wuerstchen|consistency-?model",
    ),
    # large language models (decoder-only)
    (
        "llm",
        "transformer",
        r"(?:code)?llama\d*|mistral|mixtral|qwen\d*(?:\.\d)?|gemma\d*|phi-?\d(?:\.\d)?|phi"
        r"|falcon|gpt-?neox|gpt-?neo|gpt-?j|pythia|deepseek\w*|opt(?=-?\d|-iml|$)|bloomz?|(?:distil)?gpt-?\d?"
        r"|starcoder\d*|codegen\d*|mpt|olmo\d*|smollm\d*|tinyllama|vicuna|zephyr|baichuan\d*"
        r"|internlm\d*|chatglm\d*|megatron(?:-gpt\d?)?|granite|nemotron|stablelm|cerebras-gpt",
    ),
    # sequence-to-sequence
    (
        "seq2seq",
        "transformer",
        r"(?:m|mt|byt|flan-?|long-?|ul2)?t5(?:v\d(?:[._]\d)?)?|m?bart|pegasus|marian|opus-mt|nllb|m2m\d*|prophetnet",
    ),
    # speech
    ("speech", "transformer", r"whisper|wav2vec\d*|hubert|wavlm|conformer|speecht5|seamless\w*"),
    # vision transformers
    (
        "vit",
        "transformer",
        r"vit|deit|beit|swin(?:v\d)?|segformer|dinov?\d?|clip|siglip|detr|detectiontransformer"
        r"|visiontransformer|mask2former|maskformer|owlvit|blip\d*|llava|pix2struct|donut|layoutlm(?:v\d)?",
    ),
    # encoders
    (
        "encoder",
        "transformer",
        r"(?:distil|mobile|tiny|camem|flau|sci|bio|pub|fin|legal|med|s|sentence-)?bert|(?:distil|xlm-?|camem)?roberta"
        r"|deberta(?:-?v\d)?|electra|albert|longformer|bigbird|xlnet|xlm|mpnet|minilm(?:v\d)?|ernie|funnel"
        r"|canine|luke|splinter|rembert|e5|bge|gte|modernbert|nomic-bert|transformer\w*",
    ),
    # segmentation CNNs (a UNet that is not a diffusion UNet)
    ("segmentation", "cnn", r"nnunet|unet(?:\+\+|pp)?|deeplab(?:v\d\+?)?|fcn|pspnet|hrnet\w*|segnet"),
    # detection CNNs
    (
        "detection",
        "cnn",
        r"mask-?r-?cnn|faster-?r-?cnn|r-?cnn|retinanet|yolo(?:v?\d+)?[a-z]?|yolox|ssd(?:lite)?\d*|fcos"
        r"|centernet|efficientdet(?:-?d\d)?|detectron\d?",
    ),
    # image classification and other CNNs
    (
        "cnn",
        "cnn",
        r"(?:wide_?|wide-)?resnet\d*(?:v\d)?|resnext\d*|efficientnet(?:v\d)?(?:[-_]?b\d)?|convnext(?:v\d)?"
        r"|mobilenet(?:v\d)?|inception(?:v\d)?|googlenet|vgg\d*|densenet\d*|regnet\w*|alexnet|squeezenet\w*"
        r"|shufflenet\w*|mnasnet\w*|xception|darknet\d*|\d?d?cnn|c3d|i3d|r\d?plus1d|x3d|nfnet\w*",
    ),
)
_COMPILED = tuple(
    (kind, family, re.compile(_L + f"(?:{pattern})" + _R)) for kind, family, pattern in _PATTERNS
)
_GBDT = re.compile(_L + r"(?:xgboost|xgb|lightgbm|lgbm|catboost|gbdt|gbm)" + _R)
_ORG = re.compile(r"^[a-z0-9_.-]+/")
_PARAMS = re.compile(_L + r"(\d+(?:\.\d+)?)\s*([bm])" + r"(?![a-z])")
TREE_FRAMEWORKS = ("xgboost", "lightgbm")


def normalise(model: str) -> str:
    """Lower-case id without its hub organisation: ``facebook/bart-base`` -> ``bart-base``."""
    return _ORG.sub("", str(model).strip().lower())


@lru_cache(maxsize=65536)
def classify(model: str, framework: str = "") -> tuple[str, str]:
    """(family, kind) of one model id; trees by framework; ``("other", "other")`` when unknown."""
    if framework in TREE_FRAMEWORKS:
        return "gbdt", "gbdt"
    text = normalise(model).replace("_", "-") + " " + normalise(model)
    for kind, family, pattern in _COMPILED:
        if pattern.search(text):
            return family, kind
    if _GBDT.search(text):
        return "gbdt", "gbdt"
    return "other", "other"


def infer_family(model: str, framework: str = "") -> str:
    """The schema family (transformer | cnn | diffusion | gbdt | other) of one model id."""
    return classify(model, framework)[0]


def model_kind(model: str, framework: str = "") -> str:
    return classify(model, framework)[1]


def model_params_billion(model: str) -> float:
    """Parameters (billions) written in the id (``llama-2-7b`` -> 7, ``bloom-560m`` -> 0.56);
    NaN when the id names none. ``Mixtral-8x7B`` counts its experts (56)."""
    text = normalise(model)
    experts = re.search(_L + r"(\d+)x(\d+(?:\.\d+)?)b" + _R, text)
    if experts:
        return float(experts.group(1)) * float(experts.group(2))
    m = _PARAMS.search(text)
    if not m:
        return float("nan")
    value = float(m.group(1))
    return value if m.group(2) == "b" else value / 1000.0
