"""Tiny random LLaMA models in every format sorted-llama reads, with PyTorch logits at every exit.

usage: /usr/bin/python3 tools/reference/make_reference_models.py src/test/resources/models
(Debian python3-torch 1.13 and numpy.) Deterministic: the same bytes every run.

Three seeded models, all dim 64, 4 layers, 4 heads, 2 KV heads, hidden 96, vocab 96, context 64:
  "tied"     rope theta 10000, head tied to the embedding: llama2.c legacy, a Hugging Face F32
             checkpoint, GGUF F32 / F16 / Q8_0 / Q4_0 (norms stay F32, as llama.cpp keeps them);
  "untied"   rope theta 500000 with Llama 3.1 rope scaling, separate head: a Hugging Face BF16
             checkpoint in two shards, and GGUF F32 carrying rope_freqs.weight;
  "untied10k" rope theta 10000, separate head: llama2.c version 1 (float32) and version 2 (int8 groups).

Logits: exit k = the first k layers, then the final RMSNorm and the head, at every position of a fixed
token sequence, computed in float64 from the weights exactly as each file stores them (quantized ones
dequantized), saved as little-endian float32 [exits][tokens][vocab]. Quantized files also name the
float model they were made from ("float_reference"), to bound the error quantisation itself causes.

manifest.json describes each fixture for the Java tests: path, format, expected config (LlamaConfig's
field names), tied or not, tensor types, the first values of a few tensors as stored (keyed by the
canonical GGUF-style name, with the tensor's name inside the file), token ids, logits file, tolerances.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, CONTEXT = 64, 96, 4, 4, 2, 96, 64
HEAD = DIM // HEADS
TOKENS = [1, 17, 42, 5, 88, 23, 64, 3, 77, 11, 50, 95]
EPS = 1e-5
LLAMA2C_GROUP = 64  # llama2.c's export.py default group size (halved until it divides dim)

# logits of the file's own weights: float32 kernels in another summation order than float64 torch
EXACT_TOLERANCE = {"abs": 1e-4, "rel": 1e-4}
# mean |logit - float model's logit| / mean |float model's logit|, per exit: quantisation error itself
QUANTISATION_BOUND = {"F16": 0.002, "Q8_0": 0.03, "Q4_0": 0.35, "int8 groups": 0.03}

# per-layer weight keys of the model dicts below, with their canonical (GGUF) names
LAYER_KEYS = [("attn_norm", "attn_norm"), ("wq", "attn_q"), ("wk", "attn_k"), ("wv", "attn_v"), ("wo", "attn_output"),
              ("ffn_norm", "ffn_norm"), ("w1", "ffn_gate"), ("w2", "ffn_down"), ("w3", "ffn_up")]
# tensors whose first values the manifest records
SAMPLED = ["token_embd.weight", "output_norm.weight", "output.weight", "blk.0.attn_q.weight", "blk.1.attn_k.weight",
           "blk.2.attn_norm.weight", "blk.3.ffn_down.weight", "rope_freqs.weight"]
SAMPLE_VALUES = 8


def canonical_names(w):
    """[(canonical name, tensor)] of a model dict; output.weight only when the head is untied."""
    out = [("token_embd.weight", w["emb"]), ("output_norm.weight", w["norm"])]
    if w["out"] is not w["emb"]:
        out.append(("output.weight", w["out"]))
    for i, L in enumerate(w["layers"]):
        out += [(f"blk.{i}.{ours}.weight", L[key]) for key, ours in LAYER_KEYS]
    return out


def from_canonical(t):
    """A model dict from {canonical name: tensor}; a missing output.weight means a tied head."""
    m = {"emb": t["token_embd.weight"], "norm": t["output_norm.weight"], "layers": []}
    m["out"] = t.get("output.weight", m["emb"])
    for i in range(LAYERS):
        m["layers"].append({key: t[f"blk.{i}.{ours}.weight"] for key, ours in LAYER_KEYS})
    return m


# ----- the reference model (Meta's layout: interleaved rotary pairs) -----

def random_model(seed, tied):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s, scale=1.0: (torch.randn(*s, generator=g) * scale).float()
    w = {"emb": r(VOCAB, DIM), "norm": 1 + r(DIM, scale=0.1), "layers": []}
    for _ in range(LAYERS):
        s = 1 / math.sqrt(DIM)
        w["layers"].append({
            "attn_norm": 1 + r(DIM, scale=0.1), "wq": r(HEADS * HEAD, DIM, scale=s), "wk": r(KV_HEADS * HEAD, DIM, scale=s),
            "wv": r(KV_HEADS * HEAD, DIM, scale=s), "wo": r(DIM, HEADS * HEAD, scale=s), "ffn_norm": 1 + r(DIM, scale=0.1),
            "w1": r(HIDDEN, DIM, scale=s), "w2": r(DIM, HIDDEN, scale=1 / math.sqrt(HIDDEN)), "w3": r(HIDDEN, DIM, scale=s)})
    w["out"] = w["emb"] if tied else r(VOCAB, DIM, scale=3 / math.sqrt(DIM))
    return w


def inv_freqs(theta, llama3):
    f = 1.0 / (theta ** (torch.arange(0, HEAD, 2, dtype=torch.float64) / HEAD))
    if llama3:
        factor, low, high, old = llama3
        out = []
        for x in f.tolist():
            wavelen = 2 * math.pi / x
            if wavelen < old / high:
                out.append(x)
            elif wavelen > old / low:
                out.append(x / factor)
            else:
                smooth = (old / wavelen - low) / (high - low)
                out.append((1 - smooth) * x / factor + smooth * x)
        f = torch.tensor(out, dtype=torch.float64)
    return f


def rmsnorm(x, w):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + EPS) * w


def rope(x, freqs):  # x: [T, heads, HEAD], interleaved pairs
    T = x.shape[0]
    ang = torch.arange(T, dtype=torch.float64)[:, None] * freqs[None, :]
    c, s = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    a, b = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = a * c - b * s
    out[..., 1::2] = a * s + b * c
    return out


def logits_at_every_exit(w, tokens, freqs):
    """[exits][T][vocab]: GQA attention with a causal mask, SwiGLU MLP; exit k = layers 1..k + norm + head."""
    d = lambda t: t.double()
    T = len(tokens)
    x = d(w["emb"])[tokens]
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    out = []
    for L in w["layers"]:
        h = rmsnorm(x, d(L["attn_norm"]))
        q = (h @ d(L["wq"]).T).view(T, HEADS, HEAD)
        k = (h @ d(L["wk"]).T).view(T, KV_HEADS, HEAD)
        v = (h @ d(L["wv"]).T).view(T, KV_HEADS, HEAD)
        q, k = rope(q, freqs), rope(k, freqs)
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        att = torch.einsum("thd,shd->hts", q, k) / math.sqrt(HEAD) + mask
        att = torch.softmax(att, dim=-1)
        x = x + torch.einsum("hts,shd->thd", att, v).reshape(T, DIM) @ d(L["wo"]).T
        h = rmsnorm(x, d(L["ffn_norm"]))
        x = x + (torch.nn.functional.silu(h @ d(L["w1"]).T) * (h @ d(L["w3"]).T)) @ d(L["w2"]).T
        out.append(rmsnorm(x, d(w["norm"])) @ d(w["out"]).T)
    return torch.stack(out).float().numpy()


# ----- storage types, rounded as the files store them -----

def to_bf16(t):  # round to nearest even, as PyTorch does
    b = t.float().numpy().view(np.uint32).astype(np.uint64)
    rounded = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded


def bf16_values(u16):
    return torch.from_numpy((u16.astype(np.uint32) << 16).view(np.float32).copy())


def q8_0(x):  # ggml's quantize_row_q8_0_ref: blocks of 32, d = max|x| / 127, q = roundf(x / d), d stored as f16
    x = x.float().numpy().reshape(-1, 32)
    d = np.abs(x).max(axis=1) / 127.0
    idv = np.where(d != 0, 1.0 / np.where(d == 0, 1, d), 0).astype(np.float32)
    q = np.trunc(x * idv[:, None] + np.copysign(0.5, x * idv[:, None])).astype(np.int8)  # roundf
    d16 = d.astype(np.float16)
    raw = b"".join(d16[i:i + 1].tobytes() + q[i].tobytes() for i in range(len(q)))
    values = (d16.astype(np.float32)[:, None] * q.astype(np.float32)).reshape(-1)
    return raw, values


def q4_0(x):  # ggml's quantize_row_q4_0_ref: the signed extreme maps to -8; nibbles low = values 0..15, high = 16..31
    x = x.float().numpy().reshape(-1, 32)
    idx = np.abs(x).argmax(axis=1)
    mx = x[np.arange(len(x)), idx]
    d = mx / -8.0
    idv = np.where(d != 0, 1.0 / np.where(d == 0, 1, d), 0).astype(np.float32)
    q = np.minimum(15, (x * idv[:, None] + 8.5).astype(np.int32)).astype(np.uint8)  # (int8_t)(x*id + 8.5f), MIN 15
    d16 = d.astype(np.float16)
    packed = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    raw = b"".join(d16[i:i + 1].tobytes() + packed[i].tobytes() for i in range(len(q)))
    values = (d16.astype(np.float32)[:, None] * (q.astype(np.float32) - 8)).reshape(-1)
    return raw, values


def int8_groups(t, group):
    """llama2.c export.py's quantize_q80: per group, scale = max|w| / 127, q = round-half-even(w / scale);
    stored as all the int8 values of the tensor, then its float32 scales."""
    w = t.float().reshape(-1, group)
    scale = w.abs().max(dim=1).values / 127.0
    q = torch.round(w / scale[:, None]).to(torch.int8)
    values = (q.float() * scale[:, None]).reshape(t.shape)
    return q.numpy().tobytes() + scale.numpy().astype("<f4").tobytes(), values


def gguf_encode(t, kind):
    """(bytes, values as stored, ggml type id) of one tensor in GGUF type kind; vectors (norms) stay F32."""
    if kind == "F32" or t.dim() == 1:
        return t.float().numpy().tobytes(), t.float(), 0
    if kind == "F16":
        h = t.float().numpy().astype(np.float16)
        return h.tobytes(), torch.from_numpy(h.astype(np.float32)), 1
    raw, vals = (q8_0 if kind == "Q8_0" else q4_0)(t)
    return raw, torch.from_numpy(vals).reshape(t.shape), 8 if kind == "Q8_0" else 2


# ----- writers: each returns {canonical name: (name in the file, type, values as stored)} -----

def llama2c_name(canonical):  # the field names of llama2.c's run.c, which the Java reader gives its tensors
    if canonical.startswith("blk."):
        _, i, kind, _ = canonical.split(".")
        base = {"attn_norm": "rms_att_weight", "attn_q": "wq", "attn_k": "wk", "attn_v": "wv", "attn_output": "wo",
                "ffn_norm": "rms_ffn_weight", "ffn_gate": "w1", "ffn_down": "w2", "ffn_up": "w3"}[kind]
        return f"{base}[{i}]"
    return {"token_embd.weight": "token_embedding_table", "output_norm.weight": "rms_final_weight", "output.weight": "wcls"}[canonical]


def write_llama2c(path, w, version):
    """version 0: legacy (7-int header, negative vocab = separate classifier, freq_cis tables before it);
    1: 256-byte header, float32; 2: 256-byte header, int8 groups (norms float32 first)."""
    tied = w["out"] is w["emb"]
    stored = {}

    def put(f, canonical, t):
        if version == 2 and t.dim() == 2:
            raw, values = int8_groups(t, LLAMA2C_GROUP)
            f.write(raw)
            stored[canonical] = (llama2c_name(canonical), "F32", values)  # the reader expands to float32
        else:
            f.write(t.float().numpy().tobytes())
            stored[canonical] = (llama2c_name(canonical), "F32", t.float())

    def per_layer(f, key, ours):
        for i, L in enumerate(w["layers"]):
            put(f, f"blk.{i}.{ours}.weight", L[key])

    with open(path, "wb") as f:
        if version == 0:
            f.write(struct.pack("<7i", DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB if tied else -VOCAB, CONTEXT))
            put(f, "token_embd.weight", w["emb"])
            for key, ours in LAYER_KEYS:  # attn_norm, wq, wk, wv, wo, ffn_norm, w1, w2, w3: each for all layers
                per_layer(f, key, ours)
            put(f, "output_norm.weight", w["norm"])
            f.write(np.zeros(CONTEXT * HEAD, np.float32).tobytes())  # freq_cis_real + imag: unused by readers
        else:
            hdr = struct.pack("<Ii7iB", 0x616B3432, version, DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, CONTEXT, int(tied))
            if version == 2:
                hdr += struct.pack("<i", LLAMA2C_GROUP)
            f.write(hdr + b"\0" * (256 - len(hdr)))
            per_layer(f, "attn_norm", "attn_norm")
            per_layer(f, "ffn_norm", "ffn_norm")
            put(f, "output_norm.weight", w["norm"])
            put(f, "token_embd.weight", w["emb"])
            for key, ours in LAYER_KEYS:
                if not ours.endswith("norm"):
                    per_layer(f, key, ours)
        if not tied:
            put(f, "output.weight", w["out"])
    return stored


def hf_permute(t, heads):  # transformers' convert_llama_weights_to_hf permute: Meta's interleaved rows to half-split
    return t.view(heads, HEAD // 2, 2, DIM).transpose(1, 2).reshape(heads * HEAD, DIM)


HF_NAMES = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
            "ffn_gate": "mlp.gate_proj", "ffn_down": "mlp.down_proj", "ffn_up": "mlp.up_proj"}


def hf_unpermute(t, heads):  # the inverse: half-split rows back to Meta's interleaved layout
    return t.view(heads, 2, HEAD // 2, DIM).transpose(1, 2).reshape(heads * HEAD, DIM)


def meta_layout(stored):
    """{canonical: values} in Meta's layout, from what a Hugging Face writer stored (q/k rows half-split)."""
    out = {}
    for canonical, (_, _, values) in stored.items():
        if canonical.endswith("attn_q.weight"):
            values = hf_unpermute(values, HEADS)
        elif canonical.endswith("attn_k.weight"):
            values = hf_unpermute(values, KV_HEADS)
        out[canonical] = values
    return out


def hf_name(canonical):
    if canonical.startswith("blk."):
        _, i, kind, _ = canonical.split(".")
        return f"model.layers.{i}.{HF_NAMES[kind]}.weight"
    return {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
            "output.weight": "lm_head.weight"}[canonical]


def write_safetensors(path, tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        raw = t.float().numpy().tobytes() if dtype == "F32" else to_bf16(t).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def write_hf(dirpath, w, dtype, theta, scaling, shards):
    tied = w["out"] is w["emb"]
    os.makedirs(dirpath, exist_ok=True)
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": DIM, "intermediate_size": HIDDEN,
           "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS, "vocab_size": VOCAB,
           "max_position_embeddings": CONTEXT, "rms_norm_eps": EPS, "rope_theta": theta, "tie_word_embeddings": tied,
           "bos_token_id": 1, "eos_token_id": [2], "torch_dtype": "bfloat16" if dtype == "BF16" else "float32"}
    if scaling:
        cfg["rope_scaling"] = {"rope_type": "llama3", "factor": scaling[0], "low_freq_factor": scaling[1],
                               "high_freq_factor": scaling[2], "original_max_position_embeddings": scaling[3]}
    with open(os.path.join(dirpath, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    t, stored = {}, {}
    for canonical, tensor in canonical_names(w):
        if canonical.endswith("attn_q.weight"):
            tensor = hf_permute(tensor, HEADS)
        elif canonical.endswith("attn_k.weight"):
            tensor = hf_permute(tensor, KV_HEADS)
        t[hf_name(canonical)] = tensor
        values = tensor.float() if dtype == "F32" else bf16_values(to_bf16(tensor)).reshape(tensor.shape)
        stored[canonical] = (hf_name(canonical), dtype, values)
    if shards == 1:
        write_safetensors(os.path.join(dirpath, "model.safetensors"), t, dtype)
        return stored
    names = sorted(t)
    half = len(names) // 2
    weight_map = {}
    for i, part in enumerate([names[:half], names[half:]]):
        fname = f"model-{i + 1:05d}-of-00002.safetensors"
        write_safetensors(os.path.join(dirpath, fname), {n: t[n] for n in part}, dtype)
        weight_map.update({n: fname for n in part})
    with open(os.path.join(dirpath, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=1)
    return stored


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_kv(key, value):
    out = gguf_string(key)
    if isinstance(value, str):
        return out + struct.pack("<I", 8) + gguf_string(value)
    if isinstance(value, float):
        return out + struct.pack("<If", 6, value)
    if isinstance(value, int):
        return out + struct.pack("<II", 4, value)
    kind, items = value  # ("str" | "f32" | "i32", list)
    code = {"str": 8, "f32": 6, "i32": 5}[kind]
    body = b"".join(gguf_string(x) if kind == "str" else struct.pack("<f" if kind == "f32" else "<i", x) for x in items)
    return out + struct.pack("<IIQ", 9, code, len(items)) + body


def gguf_vocab():  # SentencePiece-style: <unk>, <s>, </s>, 64 byte tokens, then "▁a", "▁b", ... with falling scores
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(64)]
    tokens += ["\u2581" + chr(ord("a") + i) for i in range(VOCAB - len(tokens))]
    types = [2, 3, 3] + [6] * 64 + [1] * (VOCAB - 67)
    scores = [0.0] * 67 + [-float(i) for i in range(VOCAB - 67)]
    return tokens, types, scores


def write_gguf(path, w, kind, theta, rope_freqs=None):
    tensors = canonical_names(w)
    # llama.cpp's order: embedding, final norm, head, then the layers; canonical_names lists layers last
    if rope_freqs is not None:
        tensors.append(("rope_freqs.weight", rope_freqs.float()))
    stored, infos, blobs, offset = {}, b"", [], 0
    for name, t in tensors:
        raw, values, type_id = gguf_encode(t, kind)
        stored[name] = (name, {0: "F32", 1: "F16", 8: "Q8_0", 2: "Q4_0"}[type_id], values)
        infos += gguf_string(name) + struct.pack("<I", t.dim())
        for d in reversed(t.shape):  # ggml lists dimensions innermost first
            infos += struct.pack("<Q", d)
        infos += struct.pack("<IQ", type_id, offset)
        pad = -len(raw) % 32
        blobs.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    tokens, types, scores = gguf_vocab()
    kvs = [("general.architecture", "llama"), ("general.name", "sorted-llama reference " + kind),
           ("llama.context_length", CONTEXT), ("llama.embedding_length", DIM), ("llama.feed_forward_length", HIDDEN),
           ("llama.block_count", LAYERS), ("llama.attention.head_count", HEADS), ("llama.attention.head_count_kv", KV_HEADS),
           ("llama.rope.dimension_count", HEAD), ("llama.attention.layer_norm_rms_epsilon", EPS), ("llama.rope.freq_base", float(theta)),
           ("general.alignment", 32), ("tokenizer.ggml.model", "llama"), ("tokenizer.ggml.tokens", ("str", tokens)),
           ("tokenizer.ggml.scores", ("f32", scores)), ("tokenizer.ggml.token_type", ("i32", types)),
           ("tokenizer.ggml.bos_token_id", 1), ("tokenizer.ggml.eos_token_id", 2)]
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(gguf_kv(k, v) for k, v in kvs) + infos
    head += b"\0" * (-len(head) % 32)
    with open(path, "wb") as f:
        f.write(head)
        for b in blobs:
            f.write(b)
    return stored


# ----- the manifest -----

VOCABULARY = {"model": "llama", "size": VOCAB, "bos": 1, "eos": 2, "token_5": gguf_vocab()[0][5]}  # what GGUF files embed

def config(theta, scaling, layout):
    c = {"dim": DIM, "hiddenDim": HIDDEN, "nLayers": LAYERS, "nHeads": HEADS, "nKvHeads": KV_HEADS, "headDim": HEAD,
         "vocabSize": VOCAB, "contextLength": CONTEXT, "normEps": EPS, "ropeTheta": theta, "ropeScaling": None,
         "ropeLayout": layout, "bosId": 1, "eosId": 2}
    if scaling:
        c["ropeScaling"] = {"factor": scaling[0], "lowFreqFactor": scaling[1], "highFreqFactor": scaling[2],
                            "originalContextLength": scaling[3]}
    return c


def samples(stored):
    out = {}
    for canonical in SAMPLED:
        if canonical in stored:
            name, dtype, values = stored[canonical]
            out[canonical] = {"name": name, "type": dtype, "shape": list(values.shape),
                              "first": [float(v) for v in values.reshape(-1)[:SAMPLE_VALUES].tolist()]}
    return out


def main(out):
    os.makedirs(out, exist_ok=True)
    manifest = {"about": "written by tools/reference/make_reference_models.py; logits are little-endian float32 "
                         "[exit 1..layers][token position][vocab]",
                "tokens": TOKENS, "layers": LAYERS, "vocab": VOCAB, "fixtures": []}

    def save(name, path, fmt, stored, cfg, freqs, reference=None, quantised=None, **extra):
        values = meta_layout(stored) if cfg["ropeLayout"] == "HALF_SPLIT" else {k: v[2] for k, v in stored.items()}
        model = from_canonical(values)
        logits = logits_at_every_exit(model, TOKENS, freqs)
        lf = name + ".logits.f32"
        logits.astype("<f4").tofile(os.path.join(out, lf))
        types = sorted({v[1] for k, v in stored.items() if v[2].dim() == 2})
        entry = {"name": name, "path": path, "format": fmt, "tied": "output.weight" not in stored, "config": cfg,
                 "matrix_types": types, "tokens": TOKENS, "exits": list(range(1, LAYERS + 1)), "logits": lf,
                 "tolerance": dict(EXACT_TOLERANCE), "samples": samples(stored)}
        entry["note"] = "reference computed from the weights as stored" + (" (dequantized)" if quantised else "")
        if reference:
            entry["float_reference"] = reference
            entry["float_logits"] = reference + ".logits.f32"
            entry["tolerance"]["float_mean_rel"] = QUANTISATION_BOUND[quantised]
        entry.update(extra)
        manifest["fixtures"].append(entry)

    f10k = inv_freqs(10000.0, None)
    tied = random_model(1234, tied=True)
    c_tied = config(10000.0, None, "INTERLEAVED")
    save("tied_legacy", "tied_legacy.bin", "llama2.c legacy", write_llama2c(os.path.join(out, "tied_legacy.bin"), tied, 0),
         c_tied, f10k)
    save("tied_hf_f32", "tied_hf_f32", "safetensors F32",
         write_hf(os.path.join(out, "tied_hf_f32"), tied, "F32", 10000.0, None, 1), config(10000.0, None, "HALF_SPLIT"), f10k)
    for kind in ["F32", "F16", "Q8_0", "Q4_0"]:
        name = "tied_gguf_" + kind.lower()
        stored = write_gguf(os.path.join(out, name + ".gguf"), tied, kind, 10000.0)
        quantised = None if kind == "F32" else kind
        save(name, name + ".gguf", "GGUF " + kind, stored, c_tied, f10k, "tied_legacy" if quantised else None, quantised,
             vocabulary=VOCABULARY)

    untied = random_model(99, tied=False)
    scaling = (8.0, 1.0, 4.0, 16)  # original context 16: long enough wavelengths get scaled at theta 500000
    f500k = inv_freqs(500000.0, scaling)
    save("untied_hf_bf16", "untied_hf_bf16", "safetensors BF16, 2 shards, llama3 rope scaling",
         write_hf(os.path.join(out, "untied_hf_bf16"), untied, "BF16", 500000.0, scaling, 2),
         config(500000.0, scaling, "HALF_SPLIT"), f500k)
    divisors = inv_freqs(500000.0, None) / f500k  # llama.cpp stores Llama 3.1 scaling as per-frequency divisors
    save("untied_gguf_f32", "untied_gguf_f32.gguf", "GGUF F32 with rope_freqs",
         write_gguf(os.path.join(out, "untied_gguf_f32.gguf"), untied, "F32", 500000.0, rope_freqs=divisors),
         config(500000.0, None, "INTERLEAVED"), f500k, vocabulary=VOCABULARY)

    untied10k = random_model(4321, tied=False)
    c_untied10k = config(10000.0, None, "INTERLEAVED")
    save("untied_v1", "untied_v1.bin", "llama2.c version 1",
         write_llama2c(os.path.join(out, "untied_v1.bin"), untied10k, 1), c_untied10k, f10k)
    save("untied_v2", "untied_v2.bin", "llama2.c version 2 (int8, group 64)",
         write_llama2c(os.path.join(out, "untied_v2.bin"), untied10k, 2), c_untied10k, f10k, "untied_v1", "int8 groups")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
