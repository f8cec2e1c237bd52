#!/usr/bin/env python3
"""PyTorch timing of the training steps `sorted-llama bench train` times, for the ratio.

One step = forward + backward of the exit objective (llama_ref.forward, float32) + AdamW, on a
random model with a tied head, 2 threads. SFT: last layer only; SoFT: every exit, equal weights.

Usage: /usr/bin/python3 tools/train/bench_torch.py [a|b] [steps]
"""
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_ref as ref  # noqa: E402

SHAPES = {
    "a": dict(cfg=dict(dim=288, hidden_dim=768, n_layers=6, n_heads=6, n_kv_heads=6, head_dim=48, vocab_size=32000),
              batch=8, seq=256),
    "b": dict(cfg=dict(dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, head_dim=8, vocab_size=512),
              batch=32, seq=256),
}


def run(name, shape, exits, label, steps):
    cfg = dict(shape["cfg"], norm_eps=1e-5, rope_theta=10000.0, rope_layout="INTERLEAVED", tied=True)
    torch.manual_seed(1)
    params = {}
    for n, s in ref.param_shapes(cfg).items():
        v = torch.ones(s) if len(s) == 1 else torch.randn(s) * 0.02
        params[n] = v.requires_grad_()
    B, T, V = shape["batch"], shape["seq"], cfg["vocab_size"]
    tokens, targets = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
    mask, segments = torch.ones(B, T), torch.zeros(B, T, dtype=torch.long)
    opt = torch.optim.AdamW(list(params.values()), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    weights = [1.0 / len(exits)] * len(exits)

    def step():
        opt.zero_grad(set_to_none=True)
        loss, _, _ = ref.forward(cfg, params, tokens, targets, mask, segments, exits, weights)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        return float(loss)

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    dt = (time.perf_counter() - t0) / steps
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"({name}) dim {cfg['dim']}, {cfg['n_layers']} layers, vocab {V}, B {B} x T {T}, {label:<16} "
          f"{B * T / dt:8.0f} tok/s  ({dt:.3f} s/step, loss {loss:.3f}, peak RSS so far {rss:.0f} MiB)", flush=True)


def main():
    torch.set_num_threads(2)
    only = next((a for a in sys.argv[1:] if a in SHAPES), None)
    steps = next((int(a) for a in sys.argv[1:] if a.isdigit()), 3)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {steps} timed steps after one warm-up step")
    for name, shape in SHAPES.items():
        if only and name != only:
            continue
        L = shape["cfg"]["n_layers"]
        run(name, shape, [L], "SFT", steps)
        run(name, shape, list(range(1, L + 1)), f"SoFT all {L} exits", steps)


if __name__ == "__main__":
    main()
