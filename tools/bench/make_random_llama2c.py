"""Random-weight llama2.c checkpoints shaped like stories15M / stories110M (and more), for decode benchmarks.

Writes the legacy float32 layout (read by llama2.c's run.c and by sorted-llama) and, with --q80,
llama2.c's version-2 int8 layout (read by runq.c). Random weights decode as fast as trained ones;
only the shapes matter. Nothing here is committed output: the files go wherever you point them.

usage: python3 make_random_llama2c.py SHAPE OUT.bin [--q80 OUTQ.bin] [--seed S]
  SHAPE: one of SHAPES below, or dim,hidden,layers,heads,kv_heads,vocab,seq_len (kv_heads < heads: GQA)
"""
import argparse
import struct

import numpy as np

SHAPES = {  # dim, hidden, layers, heads, kv_heads, vocab, seq_len (as the released checkpoints)
    "stories15M": (288, 768, 6, 6, 6, 32000, 256),
    "stories110M": (768, 2048, 12, 12, 12, 32000, 1024),
    "dim256": (256, 768, 4, 8, 8, 32000, 2048),  # small enough to be compute-bound
    "tinyllama": (2048, 5632, 22, 32, 4, 32000, 2048),  # TinyLlama-1.1B's shape (grouped-query attention)
}


def parse_shape(text):
    if text in SHAPES:
        return SHAPES[text]
    parts = [int(p) for p in text.split(",")]
    if len(parts) != 7 or min(parts) < 1 or parts[0] % parts[3] or parts[3] % parts[4]:
        raise argparse.ArgumentTypeError(f"shape {text!r}: a name ({', '.join(SHAPES)}) or dim,hidden,layers,heads,"
                                         "kv_heads,vocab,seq_len with heads dividing dim and kv_heads dividing heads")
    return tuple(parts)


def random_weights(shape, seed=1234):
    dim, hidden, layers, heads, kv_heads, vocab, seq_len = shape
    head = dim // heads
    rng = np.random.default_rng(seed)
    w = lambda *s: rng.standard_normal(s, dtype=np.float32) * np.float32(0.02)
    return {
        "emb": w(vocab, dim),
        "rms_att": np.ones((layers, dim), np.float32),
        "wq": w(layers, heads * head, dim), "wk": w(layers, kv_heads * head, dim),
        "wv": w(layers, kv_heads * head, dim), "wo": w(layers, dim, heads * head),
        "rms_ffn": np.ones((layers, dim), np.float32),
        "w1": w(layers, hidden, dim), "w2": w(layers, dim, hidden), "w3": w(layers, hidden, dim),
        "rms_final": np.ones(dim, np.float32),
    }


def write_legacy(path, shape, W):
    dim, hidden, layers, heads, kv_heads, vocab, seq_len = shape
    with open(path, "wb") as f:
        f.write(struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab, seq_len))  # vocab > 0: shared head
        for k in ["emb", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final"]:
            f.write(W[k].tobytes())
        f.write(np.zeros(seq_len * (dim // heads), np.float32).tobytes())  # legacy freq_cis_real + imag


def quantize_groups(x, group):
    x = x.reshape(-1, group)
    scale = np.abs(x).max(axis=1) / 127.0
    q = np.round(x / np.where(scale == 0, 1, scale)[:, None]).astype(np.int8)
    return q, scale.astype(np.float32)


def write_v2(path, shape, W, group=64):
    dim, hidden, layers, heads, kv_heads, vocab, seq_len = shape
    with open(path, "wb") as f:
        # "<" packs without alignment padding: the group size follows the shared-classifier byte directly
        header = struct.pack("<Ii7iBi", 0x616B3432, 2, dim, hidden, layers, heads, kv_heads, vocab, seq_len, 1, group)
        f.write(header + b"\0" * (256 - len(header)))
        for k in ["rms_att", "rms_ffn", "rms_final"]:
            f.write(W[k].tobytes())
        for k in ["emb", "wq", "wk", "wv", "wo", "w1", "w2", "w3"]:
            tensors = [W[k]] if k == "emb" else list(W[k])
            for t in tensors:
                q, s = quantize_groups(t, group)
                f.write(q.tobytes())
                f.write(s.tobytes())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("shape", type=parse_shape, help="a name (" + ", ".join(SHAPES) + ") or dim,hidden,layers,heads,kv_heads,vocab,seq_len")
    ap.add_argument("out")
    ap.add_argument("--q80", help="also write llama2.c's version-2 int8 file here")
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    W = random_weights(a.shape, a.seed)
    write_legacy(a.out, a.shape, W)
    if a.q80:
        write_v2(a.q80, a.shape, W)
