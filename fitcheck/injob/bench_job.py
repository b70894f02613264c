"""fitcheck's paired benchmark, as a standalone entry point for a training job.

Runs inside a SageMaker training container on the container's own Python (3.8 and newer)
and libraries (torch 1.12/1.13 with their torch-xla in the SageMaker Training Compiler
images, or any torch >= 2.0), with no dependency on the fitcheck package. It trains the same
model with a baseline backend and a candidate backend in interleaved blocks (A B, then B A),
synchronises the device before every clock read, keeps every raw step time, and writes the
standard results file (``kind: fitcheck-bench-results``, format 2) as
``fitcheck-bench.json`` in the job's model directory, where the same reader as for the full
in-job harness (``fitcheck.aws.harness.collect_harness``) downloads and validates it.

Backends: ``eager`` (baseline), ``inductor`` (``torch.compile``, torch >= 2.0) and ``xla``
(torch-xla lazy tensors on the job's accelerator: ``PJRT_DEVICE`` or the older XRT/GPU
setting of the container). The headline is the throughput ratio: total baseline time / total
candidate time over the paired blocks, with a percentile bootstrap over blocks; fewer than
ten paired blocks give no interval ("insufficient").

Models: ``package.module:function`` from the job's source directory, called as
``function(batch_size=..., size=..., seed=...)`` and returning ``(model, make_batch, loss_fn)``
with ``make_batch(step, batch_size, size)`` and ``loss_fn(model, batch) -> loss``; or a
Hugging Face architecture built from its published configuration with random weights
(``bert-base-uncased``, ``roberta-base``, ``gpt2`` and their ``-tiny`` variants), which needs
``transformers`` in the container.

Usage (SageMaker passes hyperparameters as ``--name value``; unknown ones are ignored)::

    python bench_job.py --model bert-base-uncased --backends eager,inductor --batch-size 16
"""

import argparse
import datetime
import importlib
import json
import math
import os
import platform
import random
import sys
import time

FORMAT_VERSION = 2
MIN_INTERVAL_BLOCKS = 10
COMPILERS = {"inductor": "torch.compile", "xla": "torch-xla"}

HF_MODELS = {
    "bert-base-uncased": (
        "BertConfig",
        "BertForSequenceClassification",
        dict(
            vocab_size=30522,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=512,
        ),
    ),
    "roberta-base": (
        "RobertaConfig",
        "RobertaForSequenceClassification",
        dict(
            vocab_size=50265,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=514,
            type_vocab_size=1,
            pad_token_id=1,
        ),
    ),
    "gpt2": (
        "GPT2Config",
        "GPT2LMHeadModel",
        dict(vocab_size=50257, n_embd=768, n_layer=12, n_head=12, n_positions=1024),
    ),
}
TINY = {
    "BertConfig": dict(
        vocab_size=1024,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=128,
    ),
    "RobertaConfig": dict(
        vocab_size=1024,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=130,
        type_vocab_size=1,
        pad_token_id=1,
    ),
    "GPT2Config": dict(vocab_size=1024, n_embd=64, n_layer=2, n_head=2, n_positions=128),
}


class BadRequest(Exception):
    """A problem with what was asked for (model, backend, precision on this device)."""


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--workload", default=None)
    p.add_argument("--backends", default="eager,inductor")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--size", type=int, default=None, help="sequence length")
    p.add_argument("--precision", default="fp32", choices=["fp32", "fp16", "bf16"])
    p.add_argument("--steps-per-block", type=int, default=5)
    p.add_argument("--warmup-steps", type=int, default=3)
    p.add_argument("--min-blocks", type=int, default=MIN_INTERVAL_BLOCKS)
    p.add_argument("--max-blocks", type=int, default=60)
    p.add_argument("--max-seconds", type=float, default=1800.0)
    p.add_argument("--target-ci", type=float, default=0.03, help="stop at this relative half-width")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--output-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    args, _unknown = p.parse_known_args(argv)
    return args


# --- statistics (pure) -------------------------------------------------------------------


def throughput_ratio(base_blocks, cand_blocks):
    """Total baseline time / total candidate time over the paired blocks (> 1: candidate faster)."""
    return sum(base_blocks) / sum(cand_blocks)


def bootstrap_interval(base_blocks, cand_blocks, confidence=0.95, resamples=2000, seed=0):
    """Percentile bootstrap of the throughput ratio, resampling paired blocks."""
    rng = random.Random(seed)
    n = len(base_blocks)
    ratios = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        ratios.append(sum(base_blocks[i] for i in idx) / sum(cand_blocks[i] for i in idx))
    ratios.sort()
    lo = ratios[int(math.floor((1 - confidence) / 2 * resamples))]
    hi = ratios[min(resamples - 1, int(math.ceil((1 + confidence) / 2 * resamples)) - 1)]
    mid = throughput_ratio(base_blocks, cand_blocks)
    return min(lo, mid), mid, max(hi, mid)


def summary(seconds):
    s = sorted(seconds)
    n = len(s)
    if n == 0:
        return None

    def q(p):
        k = (n - 1) * p
        f = int(math.floor(k))
        c = min(f + 1, n - 1)
        return s[f] + (s[c] - s[f]) * (k - f)

    mean = sum(s) / n
    var = sum((x - mean) ** 2 for x in s) / (n - 1) if n > 1 else 0.0
    return {"median": q(0.5), "p25": q(0.25), "p75": q(0.75), "mean": mean, "stdev": math.sqrt(var), "n": n}


# --- the model ---------------------------------------------------------------------------


def build(name, batch_size, size, seed):
    import torch

    torch.manual_seed(seed)
    base = name[:-5] if name.endswith("-tiny") else name
    if base in HF_MODELS:
        try:
            transformers = importlib.import_module("transformers")
        except ImportError:
            raise BadRequest(f"model {name!r} needs transformers in the container") from None
        config_cls, model_cls, params = HF_MODELS[base]
        params = dict(TINY[config_cls] if name.endswith("-tiny") else params)
        config = getattr(transformers, config_cls)(**params)
        model = getattr(transformers, model_cls)(config)
        vocab = params["vocab_size"]
        length = size or (32 if name.endswith("-tiny") else 128)
        causal = model_cls.endswith("LMHeadModel")

        def make_batch(step, n, seq):
            g = torch.Generator().manual_seed(seed * 1000003 + step)
            ids = torch.randint(3, vocab, (n, seq or length), generator=g)
            if causal:
                return {"input_ids": ids, "labels": ids.clone()}
            return {"input_ids": ids, "labels": torch.randint(0, 2, (n,), generator=g)}

        def loss_fn(m, batch):
            return m(**batch).loss

        return model, make_batch, loss_fn
    if ":" not in name:
        raise BadRequest(
            "unknown model {!r}: use package.module:function or one of {}".format(
                name, ", ".join(sorted(HF_MODELS))
            )
        )
    module, _, func = name.partition(":")
    try:
        made = getattr(importlib.import_module(module), func)(batch_size=batch_size, size=size, seed=seed)
    except (ImportError, AttributeError) as err:
        raise BadRequest(f"cannot import {name!r}: {err}") from None
    if not isinstance(made, tuple) or len(made) != 3:
        raise BadRequest(f"{name!r} must return (model, make_batch, loss_fn)")
    return made


def to_device(batch, device):
    if hasattr(batch, "to"):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


class Runner:
    """One backend: the model on its device, one training step, a synchronised clock."""

    def __init__(self, backend, args):
        import torch

        self.torch = torch
        self.backend = backend
        self.xla = backend == "xla"
        if self.xla:
            try:
                import torch_xla.core.xla_model as xm
            except ImportError:
                raise BadRequest(
                    "backend 'xla' needs torch-xla, which this container does not have"
                ) from None
            self.xm = xm
            self.device = xm.xla_device()
        else:
            cuda = torch.cuda.is_available() and args.device != "cpu"
            if args.device == "cuda" and not torch.cuda.is_available():
                raise BadRequest("--device cuda asked, but torch sees no CUDA device")
            self.device = torch.device("cuda" if cuda else "cpu")
        model, self.make_batch, self.loss_fn = build(args.model, args.batch_size, args.size, args.seed)
        model = model.to(self.device)
        tie = getattr(model, "tie_weights", None)
        if callable(tie):  # a move to an XLA device copies tied parameters apart: tie them again
            tie()
        model.train()
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate)
        self.model = model
        if backend == "inductor":
            if not hasattr(torch, "compile"):
                raise BadRequest(
                    f"backend 'inductor' needs torch >= 2.0; this container has {torch.__version__}"
                )
            self.model = torch.compile(model)
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(args.precision)
        self.autocast = dtype
        self.scaler = None
        if args.precision == "fp16" and not self.xla and self.device.type == "cuda":
            self.scaler = torch.cuda.amp.GradScaler()

    def sync(self):
        if self.xla:
            self.xm.wait_device_ops()
        elif self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def step(self, batch):
        torch = self.torch
        batch = to_device(batch, self.device)
        if self.autocast is not None:
            kind = "xla" if self.xla else self.device.type
            with torch.autocast(device_type=kind if kind != "xla" else "cuda", dtype=self.autocast):
                loss = self.loss_fn(self.model, batch)
        else:
            loss = self.loss_fn(self.model, batch)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.optimizer.zero_grad()
        if self.xla:
            self.xm.mark_step()
        return loss

    def timed(self, start, count, batch_size, size):
        seconds, losses = [], []
        for i in range(count):
            batch = self.make_batch(start + i, batch_size, size)
            self.sync()
            t0 = time.perf_counter()
            loss = self.step(batch)
            self.sync()
            seconds.append(time.perf_counter() - t0)
            losses.append(float(loss.detach().float().cpu()))
        return seconds, losses


def host_facts():
    import torch

    facts = {
        "device": "cpu",
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    if torch.cuda.is_available():
        facts.update(
            device="cuda",
            device_name=torch.cuda.get_device_name(0),
            cuda=torch.version.cuda,
            gpu_count=torch.cuda.device_count(),
        )
    for dist, key in (("torch-xla", "torch_xla"), ("transformers", "transformers")):
        version = installed_version(dist)
        if version:
            facts[key] = version
    facts["instance_type"] = os.environ.get("SM_CURRENT_INSTANCE_TYPE") or None
    facts["region"] = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    return facts


def installed_version(dist):
    """A distribution's version without importing it (importing torch_xla starts a runtime)."""
    try:
        from importlib import metadata

        return metadata.version(dist)
    except Exception:
        return None


def backend_record(
    status, reason=None, compile_seconds=None, warmup=(), steps=(), blocks=0, spb=None, losses=()
):
    rec = {
        "status": status,
        "reason": reason,
        "compile_seconds": compile_seconds,
        "warmup_seconds": list(warmup),
        "step_seconds": list(steps),
        "blocks": blocks,
        "steps_per_block": spb,
        "summary": summary(list(steps)),
        "loss": list(losses),
    }
    if steps:
        rec["samples_per_second"] = None
    return rec


def run(args):
    """The whole benchmark; returns the results document (a dict)."""
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    if len(names) != 2 or names[0] != "eager" or names[1] not in COMPILERS:
        raise BadRequest(f"--backends must be eager,inductor or eager,xla; got {args.backends!r}")
    baseline, candidate = names
    started = time.perf_counter()
    runners, backends, warm = {}, {}, {}
    # Build every backend before the first backward pass: autograd sizes its per-device
    # queues when it first runs, so an XLA device registered later would have none.
    for name in sorted(names, key=lambda b: b != "xla"):
        try:
            runners[name] = Runner(name, args)
        except BadRequest:
            raise
        except Exception as err:  # the backend failed: record it, the other side's data stays
            backends[name] = backend_record("failed", reason=one_line(err))
    for name in names:
        if name not in runners:
            continue
        try:
            warm[name], _ = runners[name].timed(0, max(1, args.warmup_steps), args.batch_size, args.size)
        except Exception as err:
            del runners[name]
            backends[name] = backend_record("failed", reason=one_line(err))
    base_blocks, cand_blocks = [], []
    base_steps, cand_steps, base_loss, cand_loss = [], [], [], []
    stopped, failure = "failed", None
    if len(runners) == 2:
        stopped = "max_blocks"
        spb = args.steps_per_block
        for block in range(args.max_blocks):
            start = 1000 + block * spb
            try:
                # A B, then B A: the order alternates so neither side always runs second
                order = (baseline, candidate) if block % 2 == 0 else (candidate, baseline)
                out = {side: runners[side].timed(start, spb, args.batch_size, args.size) for side in order}
            except Exception as err:  # keep every block measured so far
                stopped = "failed"
                failure = one_line(err)
                break
            (s_b, l_b), (s_c, l_c) = out[baseline], out[candidate]
            base_blocks.append(sum(s_b))
            cand_blocks.append(sum(s_c))
            base_steps += s_b
            cand_steps += s_c
            base_loss += l_b
            cand_loss += l_c
            if time.perf_counter() - started > args.max_seconds:
                stopped = "max_seconds"
                break
            if len(base_blocks) >= max(args.min_blocks, MIN_INTERVAL_BLOCKS):
                lo, mid, hi = bootstrap_interval(base_blocks, cand_blocks, seed=args.seed)
                if (hi - lo) / 2 <= args.target_ci * mid:
                    stopped = "target_ci"
                    break
    comparisons = []
    for name in names:
        if name in runners:
            steady = median(base_steps if name == baseline else cand_steps)
            compile_s = None
            if steady is not None:
                compile_s = max(0.0, sum(warm[name]) - steady * len(warm[name]))
            steps = base_steps if name == baseline else cand_steps
            backends[name] = backend_record(
                "ok",
                compile_seconds=compile_s,
                warmup=warm[name],
                steps=steps,
                blocks=len(base_blocks),
                spb=args.steps_per_block,
                losses=base_loss if name == baseline else cand_loss,
            )
            if steps:
                backends[name]["samples_per_second"] = args.batch_size * len(steps) / sum(steps)
    if failure is not None:
        for name in names:
            backends.setdefault(name, backend_record("failed"))["reason"] = "a timed block failed: " + failure
    n = len(base_blocks)
    cmp = {
        "baseline": baseline,
        "candidate": candidate,
        "compiler": COMPILERS[candidate],
        "blocks": n,
        "steps": n * args.steps_per_block,
        "stopped_because": stopped,
        "speedup_basis": "throughput ratio: total baseline time / total candidate time over paired blocks",
    }
    if n >= MIN_INTERVAL_BLOCKS:
        lo, mid, hi = bootstrap_interval(base_blocks, cand_blocks, seed=args.seed)
        cmp.update(measurement="interval", speedup={"low": lo, "mid": mid, "high": hi})
    elif n > 0:
        cmp.update(
            measurement="insufficient",
            speedup=None,
            point_estimate=throughput_ratio(base_blocks, cand_blocks),
        )
    else:
        cmp.update(measurement="failed", speedup=None)
    if n > 0:
        cmp["compile_seconds"] = (backends[candidate]["compile_seconds"] or 0.0) - (
            backends[baseline]["compile_seconds"] or 0.0
        )
        cmp["loss_parity"] = loss_parity(base_loss, cand_loss)
    comparisons.append(cmp)
    return {
        "kind": "fitcheck-bench-results",
        "format_version": FORMAT_VERSION,
        "fitcheck_version": "bench_job",
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "workload": args.workload,
        "model": args.model,
        "host": host_facts(),
        "config": {k: v for k, v in vars(args).items() if k != "output_dir"},
        "backends": backends,
        "comparisons": comparisons,
        "elapsed_seconds": time.perf_counter() - started,
        "interrupted": False,
    }


def one_line(err):
    return (f"{type(err).__name__}: {err}").replace("\n", " ")[:400]


def median(values):
    s = summary(list(values))
    return None if s is None else s["median"]


def loss_parity(base, cand, tolerance=0.05):
    pairs = [(a, b) for a, b in zip(base, cand) if math.isfinite(a) and math.isfinite(b)]
    if not pairs:
        return {
            "max_rel_diff": None,
            "tolerance": tolerance,
            "ok": False,
            "steps_compared": 0,
            "method": "loss of the same seeded batches, relative difference",
        }
    worst = max(abs(a - b) / max(abs(a), 1e-12) for a, b in pairs)
    return {
        "max_rel_diff": worst,
        "tolerance": tolerance,
        "ok": worst <= tolerance,
        "steps_compared": len(pairs),
        "method": "loss of the same seeded batches, relative difference",
    }


def write(doc, folder):
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, "fitcheck-bench.json")
    tmp = target + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, target)
    return target


def main(argv=None):
    if sys.version_info < (3, 8):  # noqa: UP036 - a container's Python may be older than ours
        sys.stderr.write(f"bench_job.py needs Python >= 3.8; this is {platform.python_version()}\n")
        return 2
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        doc = run(args)
    except BadRequest as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    path = write(doc, args.output_dir)
    sys.stdout.write(f"wrote {path}\n")
    return 0 if doc["comparisons"][0]["measurement"] != "failed" else 1


if __name__ == "__main__":
    sys.exit(main())
