"""What a SageMaker training image URI says about a job: pure, no boto3, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageInfo:
    """What a training image URI says about the job."""

    framework: str  # an inventory framework: pytorch | tensorflow | jax | xgboost | ... | other
    framework_version: str | None  # as the tag spells it: "1.11.0", "2.1.0", "1.7"
    repository: str  # the ECR repository name, e.g. "huggingface-pytorch-training"
    compiler_image: bool  # a SageMaker Training Compiler ("trcomp") container
    device: str | None  # "gpu" | "cpu" | None when the tag does not say
    transformers_version: str | None = None


# Repository name (last path part of the ECR repository) -> framework. Checked in order.
_REPOSITORY_FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("pytorch", "pytorch"),  # pytorch-training, huggingface-pytorch-training, *-trcomp-*
    ("tensorflow", "tensorflow"),
    ("xgboost", "xgboost"),
    ("lightgbm", "lightgbm"),
    ("scikit-learn", "sklearn"),
    ("sklearn", "sklearn"),
    ("jax", "jax"),
)
_VERSION = re.compile(r"^(\d+(?:\.\d+){0,2})")
_TRANSFORMERS = re.compile(r"transformers(\d+(?:\.\d+){0,2})")

# Repository names the SageMaker Python SDK uses as the base of a default job name
# (``<repository>-<timestamp>``); the SDK cuts the base to fit the 63-character limit.
SDK_DEFAULT_BASES: tuple[str, ...] = (
    "huggingface-pytorch-training",
    "huggingface-pytorch-trcomp-training",
    "huggingface-tensorflow-training",
    "huggingface-tensorflow-trcomp-training",
    "pytorch-training",
    "pytorch-trcomp-training",
    "tensorflow-training",
    "sagemaker-xgboost",
    "sagemaker-scikit-learn",
    "xgboost",
    "sagemaker-pytorch",
    "sagemaker-tensorflow",
    "sagemaker-training",
)


def parse_image_uri(uri: str | None) -> ImageInfo:
    """Framework, full version and flavour of a SageMaker training image.

    Examples::

        763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-gpu-py310-cu121-...
        763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-trcomp-training:1.11.0-transformers4.21.1-gpu-...
        683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1

    The version is kept as the tag writes it ("1.11.0", not "1.11"): the analyzer matches the
    exact versions the SageMaker Training Compiler shipped for. An image that names no known
    framework (a team's own container) is ``other``.
    """
    if not uri:
        return ImageInfo("other", None, "", False, None)
    path = uri.split("/", 1)[1] if "/" in uri else uri
    repository, _, tag = path.partition(":")
    if "@" in repository:  # pinned by digest: repo@sha256:...
        repository = repository.split("@", 1)[0]
        tag = ""
    name = repository.rsplit("/", 1)[-1].lower()
    framework = "other"
    for needle, fw in _REPOSITORY_FRAMEWORKS:
        if needle in name:
            framework = fw
            break
    version = None
    m = _VERSION.match(tag)
    if m and framework != "other":
        version = m.group(1)
    tag_parts = set(tag.lower().split("-"))
    device = "gpu" if "gpu" in tag_parts else "cpu" if "cpu" in tag_parts else None
    tm = _TRANSFORMERS.search(tag)
    return ImageInfo(
        framework=framework,
        framework_version=version,
        repository=name,
        compiler_image="trcomp" in name,
        device=device,
        transformers_version=tm.group(1) if tm else None,
    )


#: from this TensorFlow release on, Keras 3 compiles with XLA by default (jit_compile="auto")
TF_XLA_DEFAULT_FROM = (2, 16, 0)


def version_tuple(text: str | None) -> tuple[int, int, int] | None:
    """``"2.11"`` -> ``(2, 11, 0)``; None when the image names no version."""
    if not text:
        return None
    parts = [int(p) for p in text.split(".")[:3] if p.isdigit()]
    if not parts:
        return None
    padded = [*parts, 0, 0]
    return padded[0], padded[1], padded[2]


def tf_xla_image_problem(image: str) -> str | None:
    """Why ``image`` cannot run a TensorFlow XLA pair (None when it can).

    The pair switches XLA auto-clustering on and off through ``TF_XLA_FLAGS``, which only
    TensorFlow reads; on a CPU image there is no GPU kernel to fuse; and from TensorFlow 2.16
    Keras 3 compiles with XLA by default (``jit_compile="auto"``), so the "eager" job would
    be compiled too and the pair would compare XLA with XLA.
    """
    info = parse_image_uri(image)
    if info.framework != "tensorflow":
        return f"TensorFlow XLA runs only in a TensorFlow image; {image!r} is a {info.framework} image"
    if info.device == "cpu":
        return f"{image!r} is a CPU image: a TensorFlow XLA pair runs on a GPU image"
    version = version_tuple(info.framework_version)
    if version is not None and version < (2, 0, 0):
        return (
            f"{image!r} has TensorFlow {info.framework_version}: TensorFlow 1.x has no jit_compile; "
            "upgrade the job to TensorFlow 2 first"
        )
    if version is not None and version >= TF_XLA_DEFAULT_FROM:
        return (
            f"{image!r} has TensorFlow {info.framework_version}: from 2.16 Keras 3 already compiles with "
            'XLA by default (jit_compile="auto"), so the eager job would be compiled too; check whether '
            "the job compiles already instead, or pair on a TensorFlow 2.15 or older image"
        )
    return None


def is_sdk_default_name(signature: str, image: ImageInfo) -> bool:
    """Whether a job-name signature is the SDK's default (the image's repository name).

    ``huggingface-pytorch-training-2024-05-01-...`` carries no workload name of its own;
    the SDK may cut the base to fit, so a prefix of the repository name counts too.
    """
    if not signature:
        return True
    bases = {*SDK_DEFAULT_BASES, image.repository} - {""}
    return any(b == signature or (len(signature) >= 8 and b.startswith(signature)) for b in bases)
