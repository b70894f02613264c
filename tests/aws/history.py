"""A realistic SageMaker training history, created through the real CreateTrainingJob API.

The requests look like what the SageMaker Python SDK sends: hyperparameters JSON-encoded,
job names with the SDK's ``-YYYY-MM-DD-HH-MM-SS-mmm`` suffix, Debugger hook on by default.
"""

from __future__ import annotations

import json
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole"
ECR = "763104351884.dkr.ecr.us-east-1.amazonaws.com"
XGB_ECR = "683313688378.dkr.ecr.us-east-1.amazonaws.com"

HF_IMAGE = f"{ECR}/huggingface-pytorch-training:1.13.1-transformers4.26.0-gpu-py39-cu117-ubuntu20.04"
PT_IMAGE = f"{ECR}/pytorch-training:2.1.0-gpu-py310-cu121-ubuntu20.04-sagemaker"
TRCOMP_IMAGE = (
    f"{ECR}/huggingface-pytorch-trcomp-training:1.11.0-transformers4.21.1-gpu-py38-cu113-ubuntu20.04"
)
TF_IMAGE = f"{ECR}/tensorflow-training:2.11.0-gpu-py39-cu112-ubuntu20.04-sagemaker"
XGB_IMAGE = f"{XGB_ECR}/sagemaker-xgboost:1.7-1"


def sdk_hyperparameters(values: dict[str, Any]) -> dict[str, str]:
    """Hyperparameters as the SageMaker Python SDK sends them (every value JSON-encoded)."""
    return {k: json.dumps(v) for k, v in values.items()}


def _job(
    name: str,
    image: str,
    instance_type: str,
    hyperparameters: dict[str, Any],
    *,
    count: int = 1,
    spot: bool = False,
    debugger: bool = True,
) -> dict[str, Any]:
    req: dict[str, Any] = {
        "TrainingJobName": name,
        "HyperParameters": sdk_hyperparameters(hyperparameters),
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://acme-ml-data/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://acme-ml-artifacts/output"},
        "ResourceConfig": {
            "InstanceType": instance_type,
            "InstanceCount": count,
            "VolumeSizeInGB": 100,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "EnableManagedSpotTraining": spot,
        "Tags": [{"Key": "team", "Value": "ml-platform"}],
    }
    if spot:
        req["StoppingCondition"]["MaxWaitTimeInSeconds"] = 172800
        req["CheckpointConfig"] = {"S3Uri": f"s3://acme-ml-artifacts/checkpoints/{name}"}
    if debugger:
        req["DebugHookConfig"] = {"S3OutputPath": "s3://acme-ml-artifacts/debug"}
        req["ProfilerConfig"] = {
            "S3OutputPath": "s3://acme-ml-artifacts/profiler",
            "ProfilingIntervalInMilliseconds": 500,
        }
    return req


def history_requests() -> list[dict[str, Any]]:
    """Nine jobs: three recurring workloads, a compiler job, a TensorFlow job, a CPU XGBoost job."""
    jobs = []
    for day in (1, 2, 3):  # nightly fine-tune, on-demand, Debugger on (the SDK default)
        jobs.append(
            _job(
                f"bert-nightly-2024-05-0{day}-02-00-1{day}-512",
                HF_IMAGE,
                "ml.g5.12xlarge",
                {
                    "model_name_or_path": "bert-base-uncased",
                    "fp16": True,
                    "per_device_train_batch_size": 32,
                    "max_seq_length": 128,
                    "pad_to_max_length": True,
                    "epochs": 3,
                },
            )
        )
    for week in (1, 2):  # weekly CNN on spot, two instances, Debugger off
        jobs.append(
            _job(
                f"resnet50-weekly-2024050{week}",
                PT_IMAGE,
                "ml.p3.8xlarge",
                {"arch": "resnet50", "batch-size": 64, "amp": True, "epochs": 90},
                count=2,
                spot=True,
                debugger=False,
            )
        )
    jobs.append(  # a job that already runs SageMaker Training Compiler
        _job(
            "gpt2-stc-a1b2c3d4",
            TRCOMP_IMAGE,
            "ml.p3.2xlarge",
            {
                "model_name_or_path": "gpt2",
                "fp16": True,
                "per_device_train_batch_size": 24,
                "max_seq_length": 512,
                "sagemaker_training_compiler_enabled": True,
                "sagemaker_training_compiler_debug_mode": False,
                "sagemaker_pytorch_xla_multi_worker_enabled": False,
            },
            debugger=False,
        )
    )
    jobs.append(
        _job(
            "tf-vit-run7",
            TF_IMAGE,
            "ml.g4dn.xlarge",
            {
                "model": "vit-base",
                "batch_size": 16,
                "mixed_precision": "fp32",
                "padding": "longest",
            },
        )
    )
    for n in (1, 2):  # CPU XGBoost, built-in algorithm image (raw API: plain strings)
        jobs.append(
            _job(
                f"churn-xgb-{n:04d}",
                XGB_IMAGE,
                "ml.m5.2xlarge",
                {"num_round": 200, "max_depth": 6, "objective": "binary:logistic"},
                debugger=False,
            )
        )
    return jobs


def create_history(sm: Any) -> list[dict[str, Any]]:
    """Create the history through CreateTrainingJob; returns the requests sent."""
    requests = history_requests()
    for req in requests:
        sm.create_training_job(**req)
    return requests
