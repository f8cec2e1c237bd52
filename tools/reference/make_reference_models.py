"""Tiny random LLaMA models in every format sorted-llama reads, with PyTorch logits at every exit.

usage: /usr/bin/python3 tools/reference/make_reference_models.py src/test/resources/models
(Debian python3-torch 1.13 and numpy.) Deterministic: the same files every run.

Model "tied": dim 64, 4 layers, 4 heads, 2 KV heads, hidden 96, vocab 96, rope theta 10000, head tied
to the embedding; written as llama2.c legacy and version-1 files, a Hugging Face F32 checkpoint, and
GGUF F32 / F16 / Q8_0 / Q4_0. Model "untied": same shapes, separate head, rope theta 500000 with
Llama 3.1 rope scaling; written as a Hugging Face BF16 checkpoint in two shards, and as GGUF F32 with
rope_freqs. Logits: exit k = first k layers, then the final RMSNorm and the head, for every position
of a fixed token sequence, computed in float64 from the weights exactly as stored (quantized ones
dequantized), saved as little-endian float32 [layers][tokens][vocab]; manifest.json lists them.
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

def to_bf16(t):
    b = t.float().numpy().view(np.uint32).astype(np.uint64)
    rounded = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded


def bf16_values(u16):
    return torch.from_numpy((u16.astype(np.uint32) << 16).view(np.float32).copy())


def q8_0(x):  # ggml's reference quantiser: blocks of 32, scale = max|x| / 127, f16 scale
    x = x.float().numpy().reshape(-1, 32)
    d = np.abs(x).max(axis=1) / 127.0
    idv = np.where(d != 0, 1.0 / np.where(d == 0, 1, d), 0).astype(np.float32)
    q = np.trunc(x * idv[:, None] + np.copysign(0.5, x * idv[:, None])).astype(np.int8)  # roundf
    d16 = d.astype(np.float16)
    raw = b"".join(d16[i:i + 1].tobytes() + q[i].tobytes() for i in range(len(q)))
    values = (d16.astype(np.float32)[:, None] * q.astype(np.float32)).reshape(-1)
    return raw, values


def q4_0(x):  # ggml: the signed extreme maps to -8, nibbles low = values 0..15, high = 16..31
    x = x.float().numpy().reshape(-1, 32)
    idx = np.abs(x).argmax(axis=1)
    mx = x[np.arange(len(x)), idx]
    d = mx / -8.0
    idv = np.where(d != 0, 1.0 / np.where(d == 0, 1, d), 0).astype(np.float32)
    q = np.minimum(15, (x * idv[:, None] + 8.5).astype(np.int32)).astype(np.uint8)
    d16 = d.astype(np.float16)
    packed = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    raw = b"".join(d16[i:i + 1].tobytes() + packed[i].tobytes() for i in range(len(q)))
    values = (d16.astype(np.float32)[:, None] * (q.astype(np.float32) - 8)).reshape(-1)
    return raw, values


def store(w, kind):
    """(bytes per tensor name, model with the values as stored) for GGUF tensor type kind."""
    def conv(t):
        if kind == "F32" or t.dim() == 1:
            return t.float().numpy().tobytes(), t.float(), 0
        if kind == "F16":
            h = t.float().numpy().astype(np.float16)
            return h.tobytes(), torch.from_numpy(h.astype(np.float32)), 1
        raw, vals = (q8_0 if kind == "Q8_0" else q4_0)(t)
        return raw, torch.from_numpy(vals).reshape(t.shape), 8 if kind == "Q8_0" else 2
    return conv


# ----- writers -----

def write_llama2c(path, w, tied, version):
    with open(path, "wb") as f:
        vocab = VOCAB if tied else -VOCAB
        if version == 0:
            f.write(struct.pack("<7i", DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, vocab, CONTEXT))
            order = ["emb"] + [("attn_norm",)] + [("wq",), ("wk",), ("wv",), ("wo",), ("ffn_norm",), ("w1",), ("w2",), ("w3",)] + ["norm", "freqs"]
        else:
            hdr = struct.pack("<Ii7iB", 0x616B3432, 1, DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, CONTEXT, int(tied))
            f.write(hdr + b"\0" * (256 - len(hdr)))
            order = [("attn_norm",), ("ffn_norm",), "norm", "emb", ("wq",), ("wk",), ("wv",), ("wo",), ("w1",), ("w2",), ("w3",)]
        for item in order:
            if item == "freqs":
                f.write(np.zeros(CONTEXT * HEAD, np.float32).tobytes())  # legacy freq_cis_real + imag (unused)
            elif isinstance(item, tuple):
                for L in w["layers"]:
                    f.write(L[item[0]].float().numpy().tobytes())
            else:
                f.write(w[item].float().numpy().tobytes())
        if not tied:
            f.write(w["out"].float().numpy().tobytes())


def hf_permute(t, heads):  # Meta's interleaved layout to Hugging Face's half-split one
    return t.view(heads, HEAD // 2, 2, DIM).transpose(1, 2).reshape(heads * HEAD, DIM)


def hf_tensors(w, tied):
    t = {"model.embed_tokens.weight": w["emb"], "model.norm.weight": w["norm"]}
    for i, L in enumerate(w["layers"]):
        p = f"model.layers.{i}."
        t.update({p + "input_layernorm.weight": L["attn_norm"], p + "self_attn.q_proj.weight": hf_permute(L["wq"], HEADS),
                  p + "self_attn.k_proj.weight": hf_permute(L["wk"], KV_HEADS), p + "self_attn.v_proj.weight": L["wv"],
                  p + "self_attn.o_proj.weight": L["wo"], p + "post_attention_layernorm.weight": L["ffn_norm"],
                  p + "mlp.gate_proj.weight": L["w1"], p + "mlp.down_proj.weight": L["w2"], p + "mlp.up_proj.weight": L["w3"]})
    if not tied:
        t["lm_head.weight"] = w["out"]
    return t


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


def write_hf(dirpath, w, tied, dtype, theta, scaling, shards):
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
    t = hf_tensors(w, tied)
    if shards == 1:
        write_safetensors(os.path.join(dirpath, "model.safetensors"), t, dtype)
        return
    names = sorted(t)
    half = len(names) // 2
    weight_map = {}
    for i, part in enumerate([names[:half], names[half:]]):
        fname = f"model-{i + 1:05d}-of-00002.safetensors"
        write_safetensors(os.path.join(dirpath, fname), {n: t[n] for n in part}, dtype)
        weight_map.update({n: fname for n in part})
    with open(os.path.join(dirpath, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=1)


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


def gguf_vocab():
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(64)]
    tokens += ["\u2581" + chr(ord("a") + i) for i in range(VOCAB - len(tokens))]
    types = [2, 3, 3] + [6] * 64 + [1] * (VOCAB - 67)
    scores = [0.0] * 67 + [-float(i) for i in range(VOCAB - 67)]
    return tokens, types, scores


def write_gguf(path, w, kind, theta, rope_freqs=None):
    conv = store(w, kind)
    tensors = [("token_embd.weight", w["emb"]), ("output_norm.weight", w["norm"])]
    if w["out"] is not w["emb"]:
        tensors.append(("output.weight", w["out"]))
    for i, L in enumerate(w["layers"]):
        for ours, meta in [("attn_norm", "attn_norm"), ("attn_q", "wq"), ("attn_k", "wk"), ("attn_v", "wv"), ("attn_output", "wo"),
                           ("ffn_norm", "ffn_norm"), ("ffn_gate", "w1"), ("ffn_down", "w2"), ("ffn_up", "w3")]:
            tensors.append((f"blk.{i}.{ours}.weight", L[meta]))
    if rope_freqs is not None:
        tensors.append(("rope_freqs.weight", rope_freqs.float()))
    stored, infos, blobs, offset = {}, b"", [], 0
    for name, t in tensors:
        raw, values, type_id = conv(t)
        stored[name] = values
        infos += gguf_string(name) + struct.pack("<I", t.dim())
        for d in reversed(t.shape):
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
    # the model as the file stores it, for the exact reference
    m = {"emb": stored["token_embd.weight"], "norm": stored["output_norm.weight"], "layers": []}
    m["out"] = stored.get("output.weight", m["emb"])
    for i in range(LAYERS):
        g = lambda n: stored[f"blk.{i}.{n}.weight"]
        m["layers"].append({"attn_norm": g("attn_norm"), "wq": g("attn_q"), "wk": g("attn_k"), "wv": g("attn_v"), "wo": g("attn_output"),
                            "ffn_norm": g("ffn_norm"), "w1": g("ffn_gate"), "w2": g("ffn_down"), "w3": g("ffn_up")})
    return m


def bf16_model(w):
    r = lambda t: bf16_values(to_bf16(t)).reshape(t.shape)
    m = {"emb": r(w["emb"]), "norm": r(w["norm"]), "layers": [{k: r(v) for k, v in L.items()} for L in w["layers"]]}
    m["out"] = m["emb"] if w["out"] is w["emb"] else r(w["out"])
    return m


def main(out):
    os.makedirs(out, exist_ok=True)
    manifest = {"tokens": TOKENS, "layers": LAYERS, "vocab": VOCAB, "fixtures": []}

    def save(name, path, fmt, model, freqs, reference=None, note=""):
        logits = logits_at_every_exit(model, TOKENS, freqs)
        lf = name + ".logits.f32"
        logits.astype("<f4").tofile(os.path.join(out, lf))
        entry = {"name": name, "path": path, "format": fmt, "logits": lf, "note": note}
        if reference:
            entry["float_reference"] = reference
        manifest["fixtures"].append(entry)

    tied = random_model(1234, tied=True)
    f10k = inv_freqs(10000.0, None)
    write_llama2c(os.path.join(out, "tied_legacy.bin"), tied, True, 0)
    save("tied_legacy", "tied_legacy.bin", "llama2.c legacy", tied, f10k)
    write_llama2c(os.path.join(out, "tied_v1.bin"), tied, True, 1)
    save("tied_v1", "tied_v1.bin", "llama2.c v1", tied, f10k)
    write_hf(os.path.join(out, "tied_hf_f32"), tied, True, "F32", 10000.0, None, 1)
    save("tied_hf_f32", "tied_hf_f32", "safetensors F32", tied, f10k)
    for kind in ["F32", "F16", "Q8_0", "Q4_0"]:
        name = "tied_gguf_" + kind.lower()
        stored = write_gguf(os.path.join(out, name + ".gguf"), tied, kind, 10000.0)
        save(name, name + ".gguf", "GGUF " + kind, stored, f10k, None if kind == "F32" else "tied_legacy",
             "reference computed from the dequantized weights" if kind != "F32" else "")

    untied = random_model(99, tied=False)
    scaling = (8.0, 1.0, 4.0, 16)  # original context 16: long enough wavelengths get scaled at theta 500000
    f500k = inv_freqs(500000.0, scaling)
    write_hf(os.path.join(out, "untied_hf_bf16"), untied, False, "BF16", 500000.0, scaling, 2)
    save("untied_hf_bf16", "untied_hf_bf16", "safetensors BF16, 2 shards, llama3 rope scaling", bf16_model(untied), f500k)
    divisors = inv_freqs(500000.0, None) / f500k
    stored = write_gguf(os.path.join(out, "untied_gguf_f32.gguf"), untied, "F32", 500000.0, rope_freqs=divisors)
    save("untied_gguf_f32", "untied_gguf_f32.gguf", "GGUF F32 with rope_freqs", stored, f500k)

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
