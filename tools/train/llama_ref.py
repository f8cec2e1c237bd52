"""A small, readable PyTorch LLaMA with exit losses: the reference for sortedllama.train.

Same math as the Java training code:
  * RMSNorm: x * rsqrt(mean(x^2) + eps) * w
  * rotary embeddings, either Meta's INTERLEAVED pairs (2i, 2i+1) or Hugging Face's HALF_SPLIT
    pairs (i, i + head_dim/2); inverse frequencies in float32 as Meta computes them
  * grouped-query attention (query head h reads KV head h // (n_heads / n_kv_heads)), causal, and
    with optional segment ids: a token attends only to earlier tokens of its own segment (packed
    documents), and rotary positions restart at 0 at each segment start
  * SwiGLU MLP: down(silu(gate(x)) * up(x))
  * exits: loss = sum_i w_i * CE(head(final_norm(h_{k_i}))), the final norm and head shared;
    CE is the mean over positions whose loss mask is 1

Parameter names are the GGUF names the Java code uses (sortedllama.model.TensorNames).
"""
import math

import torch
import torch.nn.functional as F


def param_names(n_layers, tied):
    names = ["token_embd.weight"]
    for l in range(n_layers):
        for part in ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                     "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]:
            names.append(f"blk.{l}.{part}.weight")
    names.append("output_norm.weight")
    if not tied:
        names.append("output.weight")
    return names


def param_shapes(cfg):
    d, hid, hd = cfg["dim"], cfg["hidden_dim"], cfg["head_dim"]
    q, kv = cfg["n_heads"] * hd, cfg["n_kv_heads"] * hd
    shapes = {"token_embd.weight": (cfg["vocab_size"], d), "output_norm.weight": (d,)}
    for l in range(cfg["n_layers"]):
        b = f"blk.{l}."
        shapes.update({b + "attn_norm.weight": (d,), b + "attn_q.weight": (q, d), b + "attn_k.weight": (kv, d),
                       b + "attn_v.weight": (kv, d), b + "attn_output.weight": (d, q), b + "ffn_norm.weight": (d,),
                       b + "ffn_gate.weight": (hid, d), b + "ffn_up.weight": (hid, d), b + "ffn_down.weight": (d, hid)})
    if not cfg["tied"]:
        shapes["output.weight"] = (cfg["vocab_size"], d)
    return shapes


def is_decayed(name, cfg):
    """AdamW weight decay policy of sortedllama.train.AdamW: matrices that multiply activations
    (attention and MLP projections, the head, a tied embedding-head) decay; norms and an untied
    input embedding do not."""
    if name.endswith("norm.weight"):
        return False
    if name == "token_embd.weight":
        return cfg["tied"]
    return True


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def positions_and_mask(segments):
    """segments [B, T] (non-decreasing per row) -> rotary positions [B, T] and a boolean
    attention mask [B, 1, T, T] that is True where query t may read key p."""
    B, T = segments.shape
    idx = torch.arange(T)
    same = segments[:, :, None] == segments[:, None, :]
    mask = same & (idx[None, :, None] >= idx[None, None, :])
    # position = t - (first index of t's segment)
    first = torch.stack([torch.searchsorted(segments[b].contiguous(), segments[b].contiguous()) for b in range(B)])
    return idx[None, :] - first, mask[:, None]


def rope_cos_sin(cfg, positions, dtype):
    hd = cfg["head_dim"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    angles = positions.to(torch.float32)[..., None] * inv_freq   # float32 angles, as the Java code
    return torch.cos(angles.to(dtype)), torch.sin(angles.to(dtype))


def rotate(x, cos, sin, layout):
    """x [B, T, heads, hd]; cos/sin [B, T, hd/2]."""
    cos, sin = cos[:, :, None, :], sin[:, :, None, :]
    if layout == "INTERLEAVED":
        a, b = x[..., 0::2], x[..., 1::2]
        return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def layer_forward(cfg, p, l, x, cos, sin, mask):
    B, T, _ = x.shape
    H, Hkv, hd = cfg["n_heads"], cfg["n_kv_heads"], cfg["head_dim"]
    b = f"blk.{l}."
    h = rms_norm(x, p[b + "attn_norm.weight"], cfg["norm_eps"])
    q = rotate((h @ p[b + "attn_q.weight"].T).view(B, T, H, hd), cos, sin, cfg["rope_layout"])
    k = rotate((h @ p[b + "attn_k.weight"].T).view(B, T, Hkv, hd), cos, sin, cfg["rope_layout"])
    v = (h @ p[b + "attn_v.weight"].T).view(B, T, Hkv, hd)
    k = k.repeat_interleave(H // Hkv, dim=2)
    v = v.repeat_interleave(H // Hkv, dim=2)
    q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)     # [B, H, T, hd]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    att = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    o = (att @ v).transpose(1, 2).reshape(B, T, H * hd)
    x = x + o @ p[b + "attn_output.weight"].T
    h = rms_norm(x, p[b + "ffn_norm.weight"], cfg["norm_eps"])
    g = F.silu(h @ p[b + "ffn_gate.weight"].T) * (h @ p[b + "ffn_up.weight"].T)
    return x + g @ p[b + "ffn_down.weight"].T


def head_weight(cfg, p):
    return p["token_embd.weight"] if cfg["tied"] else p["output.weight"]


def exit_logits(cfg, p, h):
    return rms_norm(h, p["output_norm.weight"], cfg["norm_eps"]) @ head_weight(cfg, p).T


def forward(cfg, p, tokens, targets, loss_mask, segments, exits, exit_weights, want_logits=False):
    """Returns (loss, [per-exit mean CE], [logits per exit] or None).
    tokens/targets/segments: long [B, T]; loss_mask: float [B, T] of 0/1."""
    positions, mask = positions_and_mask(segments)
    dtype = p["token_embd.weight"].dtype
    cos, sin = rope_cos_sin(cfg, positions, dtype)
    x = p["token_embd.weight"][tokens]
    count = loss_mask.sum()
    total, per_exit, logits = 0.0, [], []
    for l in range(max(exits)):
        x = layer_forward(cfg, p, l, x, cos, sin, mask)
        if l + 1 in exits:
            z = exit_logits(cfg, p, x)
            ce = F.cross_entropy(z.reshape(-1, z.shape[-1]), targets.reshape(-1), reduction="none")
            ce = (ce * loss_mask.reshape(-1)).sum() / count
            total = total + exit_weights[exits.index(l + 1)] * ce
            per_exit.append(ce)
            if want_logits:
                logits.append(z)
    return total, per_exit, (logits if want_logits else None)


def lr_at(step, max_lr, min_lr, warmup, total, decay="cosine"):
    """The schedule of sortedllama.train.LrSchedule (0-based step): linear warm-up to max_lr over
    `warmup` steps, then cosine or linear decay to min_lr at step `total`, min_lr after."""
    if step < warmup:
        return max_lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    if decay == "cosine":
        return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (max_lr - min_lr)
    return max_lr + (min_lr - max_lr) * progress
