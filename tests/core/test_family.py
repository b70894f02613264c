"""One model-family inference, token-based and anchored, used by the analyzer and the importer."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from fitcheck.core.family import classify, infer_family, model_params_billion

T, C, D, G, OTHER = "transformer", "cnn", "diffusion", "gbdt", "other"

TABLE: list[tuple[str, str, str]] = [
    # CNNs
    ("resnet50", C, "cnn"),
    ("ResNet152", C, "cnn"),
    ("torchvision/resnet18", C, "cnn"),
    ("microsoft/resnet-50", C, "cnn"),
    ("resnext101_32x8d", C, "cnn"),
    ("wide_resnet50_2", C, "cnn"),
    ("efficientnet_b0", C, "cnn"),
    ("google/efficientnet-b7", C, "cnn"),
    ("efficientnetv2-s", C, "cnn"),
    ("facebook/convnext-base-224", C, "cnn"),
    ("convnext_tiny", C, "cnn"),
    ("mobilenet_v3_large", C, "cnn"),
    ("mobilenetv2", C, "cnn"),
    ("yolov8n", C, "detection"),
    ("yolov5s", C, "detection"),
    ("ultralytics/yolo11m", C, "detection"),
    ("maskrcnn_resnet50_fpn", C, "detection"),
    ("MaskRCNN-ResNet50-FPN", C, "detection"),
    ("faster-rcnn-r50", C, "detection"),
    ("inception_v3", C, "cnn"),
    ("vgg16", C, "cnn"),
    ("densenet121", C, "cnn"),
    ("activity-recognition-3dcnn", C, "cnn"),
    ("unet-brain-mri-segmentation", C, "segmentation"),
    ("nnunet-kidney", C, "segmentation"),
    ("deeplabv3_resnet101", C, "segmentation"),
    # vision transformers
    ("google/vit-base-patch16-224", T, "vit"),
    ("vit_b_16", T, "vit"),
    ("ViT", T, "vit"),
    ("VisionTransformer", T, "vit"),
    ("facebook/deit-base-patch16-224", T, "vit"),
    ("microsoft/beit-base-patch16-224", T, "vit"),
    ("microsoft/swin-base-patch4-window7-224", T, "vit"),
    ("swinv2-tiny", T, "vit"),
    ("nvidia/segformer-b2-finetuned-ade-512-512", T, "vit"),
    ("DetectionTransformer-ResNet50", T, "vit"),
    ("openai/clip-vit-base-patch32", T, "vit"),
    # LLMs
    ("meta-llama/Llama-2-7b-hf", T, "llm"),
    ("meta-llama/Meta-Llama-3.1-8B", T, "llm"),
    ("codellama-13b", T, "llm"),
    ("mistralai/Mistral-7B-v0.1", T, "llm"),
    ("mistralai/Mixtral-8x7B-v0.1", T, "llm"),
    ("Qwen/Qwen2-1.5B", T, "llm"),
    ("qwen2.5-7b-instruct", T, "llm"),
    ("google/gemma-2b", T, "llm"),
    ("microsoft/phi-2", T, "llm"),
    ("Phi-3-mini-4k-instruct", T, "llm"),
    ("tiiuae/falcon-7b", T, "llm"),
    ("EleutherAI/gpt-neox-20b", T, "llm"),
    ("EleutherAI/pythia-1b", T, "llm"),
    ("deepseek-ai/deepseek-coder-1.3b-base", T, "llm"),
    ("facebook/opt-1.3b", T, "llm"),
    ("bigscience/bloom-560m", T, "llm"),
    ("gpt2", T, "llm"),
    ("distilgpt2", T, "llm"),
    ("gpt2-large", T, "llm"),
    # encoders
    ("bert-base-uncased", T, "encoder"),
    ("bert-base-multilingual-cased", T, "encoder"),
    ("cl-tohoku/bert-base-japanese", T, "encoder"),
    ("distilbert-base-uncased", T, "encoder"),
    ("roberta-base", T, "encoder"),
    ("xlm-roberta-large", T, "encoder"),
    ("jplu/tf-xlm-roberta-base", T, "encoder"),
    ("camembert-base", T, "encoder"),
    ("microsoft/deberta-v3-base", T, "encoder"),
    ("google/electra-small-discriminator", T, "encoder"),
    ("albert-base-v2", T, "encoder"),
    ("allenai/longformer-base-4096", T, "encoder"),
    ("xlnet-base-cased", T, "encoder"),
    ("microsoft/mpnet-base", T, "encoder"),
    ("nreimers/MiniLMv2-L6-H384-distilled-from-RoBERTa-Large", T, "encoder"),
    # seq2seq and speech
    ("t5-small", T, "seq2seq"),
    ("google/flan-t5-xl", T, "seq2seq"),
    ("google/mt5-base", T, "seq2seq"),
    ("facebook/bart-large", T, "seq2seq"),
    ("bart-base", T, "seq2seq"),
    ("google/pegasus-xsum", T, "seq2seq"),
    ("openai/whisper-small", T, "speech"),
    ("facebook/wav2vec2-base-960h", T, "speech"),
    # diffusion
    ("stable-diffusion-v1-5 unet", D, "diffusion"),
    ("runwayml/stable-diffusion-v1-5", D, "diffusion"),
    ("stabilityai/stable-diffusion-xl-base-1.0", D, "diffusion"),
    ("sdxl-turbo", D, "diffusion"),
    ("lllyasviel/sd-controlnet-canny", D, "diffusion"),
    ("controlnet-openpose", D, "diffusion"),
    ("facebook/DiT-XL-2-256", D, "diffusion"),
    ("sd-unet-finetune", D, "diffusion"),
    ("UNet2DConditionModel", D, "diffusion"),
    # custom names that must stay other
    ("two-tower ranking model", OTHER, "other"),
    ("wide-and-deep recommender", OTHER, "other"),
    ("adopt-propensity-model", OTHER, "other"),
    ("delphi-risk-scorer", OTHER, "other"),
    ("protein language model", OTHER, "other"),
    ("fraud-detector-v3", OTHER, "other"),
    ("vitals-forecaster", OTHER, "other"),
    ("credit-scoring-dnn", OTHER, "other"),
    ("optimizer-sweep", OTHER, "other"),
    ("t5x", OTHER, "other"),
]


@pytest.mark.parametrize(("model", "family", "kind"), TABLE, ids=[t[0] for t in TABLE])
def test_family_table(model, family, kind):
    assert classify(model, "pytorch") == (family, kind)


def test_the_table_is_large():
    assert len(TABLE) >= 80
    assert {f for _, f, _ in TABLE} == {T, C, D, OTHER}


def test_trees_are_known_by_framework():
    assert infer_family("churn classifier", "xgboost") == G
    assert infer_family("ranker", "lightgbm") == G
    assert infer_family("catboost-ltv", "other") == G


@pytest.mark.parametrize(
    ("model", "billions"),
    [
        ("meta-llama/Llama-2-7b-hf", 7.0),
        ("facebook/opt-1.3b", 1.3),
        ("bigscience/bloom-560m", 0.56),
        ("EleutherAI/gpt-neox-20b", 20.0),
        ("mistralai/Mixtral-8x7B-v0.1", 56.0),
    ],
)
def test_parameter_count_from_the_id(model, billions):
    assert model_params_billion(model) == pytest.approx(billions)


def test_no_parameter_count_is_nan():
    assert math.isnan(model_params_billion("bert-base-uncased"))
    assert math.isnan(model_params_billion("resnet50"))


def test_analyzer_and_importer_agree():
    from fitcheck.aws.mapping import model_family
    from fitcheck.core.context import infer_families

    models = pd.Series([m for m, _, _ in TABLE])
    frameworks = pd.Series(["pytorch"] * len(TABLE))
    core = infer_families(models, frameworks).tolist()
    imported = [model_family(m, "pytorch") or "other" for m in models]
    assert core == imported == [f for _, f, _ in TABLE]
