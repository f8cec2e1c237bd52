#!/usr/bin/env python3
"""PyTorch timing of the training steps `sorted-llama bench train` times, for the ratio.

One step = forward + backward of the exit objective (llama_ref.forward) + gradient clipping +
AdamW, on a random model with a tied head, 2 threads. SFT (standard): the last layer only; SoFT
(sorted): the exits of --exits, equally weighted. --precision bf16 runs forward and backward under
torch.autocast("cpu", dtype=torch.bfloat16) (products in BF16, float32 weights and optimizer);
f32 keeps float32 throughout. Shapes a and b only (llama_ref has no LoRA for the 1b shape).

Usage: /usr/bin/python3 tools/train/bench_torch.py --shape a [--method both] [--exits all]
           [--precision f32] [--steps 3] [--warmup-steps 1]
"""
import argparse
import contextlib
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


def parse_exits(spec, depth):
    """all, every:K or 2,4,6 as `sorted-llama bench train --exits`; the last layer always included."""
    if spec == "all":
        exits = set(range(1, depth + 1))
    elif spec.startswith("every:"):
        k = int(spec[len("every:"):])
        exits = set(range(k, depth + 1, k))
    else:
        exits = {int(e) for e in spec.split(",")}
    if not all(1 <= e <= depth for e in exits):
        sys.exit(f"bench_torch.py: exits {spec} out of range 1..{depth}")
    return sorted(exits | {depth})


def run(name, shape, exits, label, args):
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
        precision = (torch.autocast("cpu", dtype=torch.bfloat16) if args.precision == "bf16"
                     else contextlib.nullcontext())
        with precision:
            loss, _, _ = ref.forward(cfg, params, tokens, targets, mask, segments, exits, weights)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        return float(loss)

    for _ in range(args.warmup_steps):
        step()
    times, cpu = [], []
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)  # every thread of the process: moves less than wall time on a shared machine
    dt = sum(times) / len(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"({name}) dim {cfg['dim']}, {cfg['n_layers']} layers, vocab {V}, B {B} x T {T}, {label}, {args.precision}: "
          f"{B * T / dt:.0f} tok/s, {dt:.3f} s/step ({min(times):.3f}-{max(times):.3f}), "
          f"{sum(cpu) / len(cpu):.3f} CPU s/step, loss {loss:.3f}, "
          f"peak RSS so far {rss:.0f} MiB", flush=True)
    return dt


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", choices=["a", "b"], help="a or b (default: both)")
    p.add_argument("--method", choices=["sorted", "standard", "both"], default="both")
    p.add_argument("--exits", default="all", help="SoFT's exits: all, every:K or 2,4,6 (default all)")
    p.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    p.add_argument("--steps", type=int, default=3, help="timed steps per run (default 3)")
    p.add_argument("--warmup-steps", type=int, default=1, help="untimed steps first (default 1)")
    args = p.parse_args()
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {args.steps} timed steps after "
          f"{args.warmup_steps} warm-up step(s), {args.precision}")
    for name, shape in SHAPES.items():
        if args.shape and name != args.shape:
            continue
        L = shape["cfg"]["n_layers"]
        exits = parse_exits(args.exits, L)
        sft = run(name, shape, [L], "SFT", args) if args.method != "sorted" else None
        soft = run(name, shape, exits, f"SoFT exits {exits}", args) if args.method != "standard" else None
        if sft and soft:
            print(f"({name}) SoFT/SFT time per step: {soft / sft:.2f}", flush=True)


if __name__ == "__main__":
    main()
