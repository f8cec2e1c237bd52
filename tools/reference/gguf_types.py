"""The tensors of GGUF files (name -> type and shape), read from the header with plain struct code.

usage: python3 gguf_types.py FILE.gguf...   prints {file: {"tensors": {name: {"type", "shape"}}, "type_counts": {...}}}

Used by make_llamacpp_models.sh to record which type llama.cpp's quantizer gave each tensor.
"""
import json
import struct
import sys

# GGML type ids as stored in GGUF tensor infos.
TYPE_NAMES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K",
              11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS",
              18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8",
              25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0",
              39: "MXFP4"}
# Byte sizes of the fixed-size GGUF metadata value types (the rest: 8 string, 9 array).
SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        n = self.take("Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def skip_value(self, vtype):
        if vtype in SCALAR:
            self.pos += SCALAR[vtype]
        elif vtype == 8:
            n = self.take("Q")  # read before moving: take() advances pos itself
            self.pos += n
        elif vtype == 9:
            item, count = self.take("I"), self.take("Q")
            if item in SCALAR:
                self.pos += SCALAR[item] * count
            else:
                for _ in range(count):
                    self.skip_value(item)
        else:
            raise ValueError(f"unknown GGUF value type {vtype} at byte {self.pos}")

    def value(self, vtype):
        if vtype == 8:
            return self.string()
        if vtype in (4, 5, 10, 11):
            return self.take({4: "I", 5: "i", 10: "Q", 11: "q"}[vtype])
        self.skip_value(vtype)
        return None


def read(path):
    with open(path, "rb") as f:
        data = f.read(64 << 20)  # the header is far smaller than this
    r = Reader(data)
    if r.take("4s") != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    version, n_tensors, n_kv = r.take("I"), r.take("Q"), r.take("Q")
    meta = {}
    for _ in range(n_kv):
        key, vtype = r.string(), r.take("I")
        v = r.value(vtype)
        if key in ("general.file_type", "general.quantization_version", "general.architecture"):
            meta[key] = v
    tensors = {}
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("Q") for _ in range(r.take("I"))]
        ttype = r.take("I")
        r.take("Q")  # offset
        tensors[name] = {"type": TYPE_NAMES.get(ttype, f"type{ttype}"), "shape": dims}
    counts = {}
    for t in tensors.values():
        counts[t["type"]] = counts.get(t["type"], 0) + 1
    return {"version": version, "metadata": meta, "tensors": tensors, "type_counts": dict(sorted(counts.items()))}


if __name__ == "__main__":
    json.dump({p: read(p) for p in sys.argv[1:]}, sys.stdout, indent=1)
    print()
