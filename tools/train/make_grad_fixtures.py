#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures of sortedllama.train's tests (src/test/resources/train/).

For each case, a tiny random LLaMA (llama_ref.py) in float64 runs one Sorted Fine-Tuning step:
loss, per-exit losses, logits at every exit and the gradient of every parameter; then two AdamW
steps from the same start (step 1 on the batch, step 2 on a second batch split into two
micro-batches whose gradients accumulate), with warm-up learning rates, decoupled weight decay on
matrices only and gradient clipping by global norm (active in step 1).

Output per case: <case>.json (config, batch layout, scalars, array index) and <case>.bin
(little-endian arrays: int32 for ids and masks, float32 for values; the float64 results are rounded
to float32, far below the tests' tolerances). "update/<param>" is params after two steps minus the
initial params, computed in float64.

Usage: /usr/bin/python3 tools/train/make_grad_fixtures.py [out_dir]
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_ref as ref  # noqa: E402

torch.set_default_dtype(torch.float64)

CASES = [
    # untied head, Meta's interleaved rope, 4 layers, exits {1, 3, 4} with unequal weights, no packing
    dict(name="untied_interleaved", seed=1, n_layers=4, tied=False, rope_layout="INTERLEAVED",
         exits=[1, 3, 4], exit_weights=[1.0, 2.0, 3.0],
         segments=[[0] * 12, [0] * 12]),
    # tied embedding/head, HF's half-split rope, 3 layers, all exits equally weighted, packed documents
    dict(name="tied_halfsplit_packed", seed=2, n_layers=3, tied=True, rope_layout="HALF_SPLIT",
         exits=[1, 2, 3], exit_weights=[1.0, 1.0, 1.0],
         segments=[[0] * 5 + [1] * 7, [0] * 3 + [1] * 4 + [2] * 5]),
]

OPTIM = dict(max_lr=1e-2, min_lr=1e-3, warmup=2, total=10, decay="cosine",
             beta1=0.9, beta2=0.95, eps=1e-6, weight_decay=0.1)


def config(case):
    return dict(dim=32, hidden_dim=64, n_layers=case["n_layers"], n_heads=4, n_kv_heads=2, head_dim=8,
                vocab_size=48, norm_eps=1e-5, rope_theta=10000.0, rope_layout=case["rope_layout"], tied=case["tied"])


def init_params(cfg, rng):
    """Float32 values (the Java model is float32), held as float64 leaves for the reference."""
    params = {}
    for name, shape in ref.param_shapes(cfg).items():
        if name.endswith("norm.weight"):
            v = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name == "token_embd.weight" and not cfg["tied"]:
            v = rng.standard_normal(shape)
        else:
            v = rng.standard_normal(shape) / np.sqrt(shape[1])
        params[name] = torch.tensor(v.astype(np.float32), dtype=torch.float64, requires_grad=True)
    return params


def random_batch(cfg, rng, segments):
    B, T = len(segments), len(segments[0])
    tokens = rng.integers(0, cfg["vocab_size"], size=(B, T))
    targets = rng.integers(0, cfg["vocab_size"], size=(B, T))
    mask = (rng.random((B, T)) < 0.75).astype(np.int32)
    mask[0, 0] = 1
    return dict(tokens=tokens.astype(np.int32), targets=targets.astype(np.int32), mask=mask,
                segments=np.array(segments, dtype=np.int32))


def run(cfg, params, batch, exits, weights, want_logits=False):
    t = {k: torch.tensor(v, dtype=torch.long) for k, v in batch.items()}
    return ref.forward(cfg, params, t["tokens"], t["targets"], t["mask"].to(torch.float64), t["segments"],
                       exits, weights, want_logits)


def micro(batch, b):
    return {k: v[b:b + 1] for k, v in batch.items()}


class Writer:
    def __init__(self):
        self.blob, self.index = bytearray(), {}

    def add(self, name, array):
        a = np.asarray(array)
        dtype = "i32" if a.dtype.kind in "iub" else "f32"
        data = a.astype("<i4" if dtype == "i32" else "<f4").tobytes()
        self.index[name] = dict(dtype=dtype, shape=list(a.shape), offset=len(self.blob))
        self.blob += data


def make(case, out_dir):
    cfg = config(case)
    rng = np.random.default_rng(case["seed"])
    params = init_params(cfg, rng)
    names = ref.param_names(cfg["n_layers"], cfg["tied"])
    batch = random_batch(cfg, rng, case["segments"])
    batch2 = random_batch(cfg, rng, case["segments"])
    exits = case["exits"]
    weights = [w / sum(case["exit_weights"]) for w in case["exit_weights"]]
    out = Writer()
    for k, v in batch.items():
        out.add("batch1/" + k, v)
    for k, v in batch2.items():
        out.add("batch2/" + k, v)
    init = {n: params[n].detach().clone() for n in names}
    for n in names:
        out.add("init/" + n, init[n].numpy())

    # one SoFT step: loss, per-exit losses, logits, gradients
    loss, per_exit, logits = run(cfg, params, batch, exits, weights, want_logits=True)
    loss.backward()
    for e, z in zip(exits, logits):
        out.add(f"logits/{e}", z.detach().numpy())
    for n in names:
        out.add("grad/" + n, params[n].grad.numpy())
    grad_norm1 = float(torch.sqrt(sum((params[n].grad ** 2).sum() for n in names)))
    clip = round(0.5 * grad_norm1, 3)   # makes clipping active in step 1

    # two AdamW steps from the same start
    for n in names:
        params[n].grad = None
    groups = [dict(params=[params[n] for n in names if ref.is_decayed(n, cfg)], weight_decay=OPTIM["weight_decay"]),
              dict(params=[params[n] for n in names if not ref.is_decayed(n, cfg)], weight_decay=0.0)]
    opt = torch.optim.AdamW(groups, lr=OPTIM["max_lr"], betas=(OPTIM["beta1"], OPTIM["beta2"]), eps=OPTIM["eps"],
                            foreach=False)
    steps = []
    for step, micro_batches in enumerate([[batch], [micro(batch2, 0), micro(batch2, 1)]]):
        opt.zero_grad(set_to_none=False)
        step_loss, step_per_exit = 0.0, [0.0] * len(exits)
        for mb in micro_batches:  # accumulation: the mean of the micro-batches' losses
            l, pe, _ = run(cfg, params, mb, exits, weights)
            (l / len(micro_batches)).backward()
            step_loss += float(l) / len(micro_batches)
            step_per_exit = [a + float(b) / len(micro_batches) for a, b in zip(step_per_exit, pe)]
        norm = float(torch.nn.utils.clip_grad_norm_([params[n] for n in names], clip))
        lr = ref.lr_at(step, OPTIM["max_lr"], OPTIM["min_lr"], OPTIM["warmup"], OPTIM["total"], OPTIM["decay"])
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        steps.append(dict(loss=step_loss, per_exit_losses=step_per_exit, grad_norm=norm, lr=lr))
    for n in names:
        out.add("update/" + n, (params[n].detach() - init[n]).numpy())

    manifest = dict(config=cfg, exits=exits, exit_weights=weights, loss=float(loss),
                    per_exit_losses=[float(x) for x in per_exit], grad_norm=grad_norm1,
                    optimizer=dict(OPTIM, clip=clip), steps=steps, params=names, arrays=out.index)
    with open(os.path.join(out_dir, case["name"] + ".json"), "w") as f:
        json.dump(manifest, f, indent=1)
    with open(os.path.join(out_dir, case["name"] + ".bin"), "wb") as f:
        f.write(out.blob)
    print(f"{case['name']}: loss {float(loss):.6f} per exit {[round(float(x), 6) for x in per_exit]} "
          f"grad norm {grad_norm1:.4f} clip {clip} steps {steps}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "src", "test", "resources", "train")
    os.makedirs(out_dir, exist_ok=True)
    for case in CASES:
        make(case, out_dir)


if __name__ == "__main__":
    main()
