"""ggml's quantization of fixed floats, for sorted-llama's quantizer test (QuantizeTest).

usage: python3 tools/reference/make_quantize_fixtures.py [OUT_FILE] [--lib DIR]
  OUT_FILE  default src/test/resources/quantize/ggml_quantize.bin
  --lib     the directory holding libggml-base.so (default $GGML_LIB_DIR, else
            /opt/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64)
Needs python3 and numpy only: ggml_quantize_chunk is called through ctypes, with no importance
matrix, i.e. ggml's reference quantizers (the ones llama-quantize runs without --imatrix). They live
in libggml-base, which is built without CPU-specific code, so the bytes do not depend on the CPU.

A seeded ROWS x COLS float32 matrix (COLS a multiple of 256, so that every type can hold a row):
  row 0  normal(0, 1)
  row 1  normal(0, 0.02) with a few outliers of magnitude 2..6
  row 2  all positive: uniform(0.1, 1.5)
  row 3  all negative: uniform(-1.5, -0.1)
  row 4  tiny: normal(0, 1e-5) (float16 scales become subnormal)
  row 5  edge cases by 32-value group: zeros, a constant, a negative constant, a ramp, values on a
         coarse grid (ties when rounded), one non-zero value, -0.0 among zeros, then normal(0, 1)
  row 6  normal(0, 50)
  row 7  normal(0, 0.05) with every 16th value zero (weights of a small trained model look alike)

File format, little-endian:
  char[4] "GGQZ", int32 version (1), int32 rows, int32 cols, int32 types
  float32 src[rows * cols]
  per type: int32 ggml type id, int32 bytes per row, uint8 quantized[rows * bytes per row]
"""
import ctypes
import os
import struct
import sys

import numpy as np

DEFAULT_LIB = "/opt/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
TYPES = {"Q8_0": 8, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q4_K": 12, "Q5_K": 13, "Q6_K": 14}
ROWS, COLS = 8, 512
SEED = 20251203


def matrix():
    rng = np.random.default_rng(SEED)
    w = np.zeros((ROWS, COLS), dtype=np.float64)
    w[0] = rng.normal(0.0, 1.0, COLS)
    w[1] = rng.normal(0.0, 0.02, COLS)
    spots = rng.choice(COLS, 6, replace=False)
    w[1, spots] = rng.uniform(2.0, 6.0, spots.size) * rng.choice([-1.0, 1.0], spots.size)
    w[2] = rng.uniform(0.1, 1.5, COLS)
    w[3] = rng.uniform(-1.5, -0.1, COLS)
    w[4] = rng.normal(0.0, 1e-5, COLS)
    edge = np.zeros(COLS)
    edge[32:64] = 0.5
    edge[64:96] = -0.25
    edge[96:128] = np.linspace(-1.0, 1.0, 32)
    edge[128:160] = rng.integers(-8, 8, 32) * 0.125
    edge[160 + 7] = 0.75
    edge[192 + 3] = -0.0
    edge[224:] = rng.normal(0.0, 1.0, COLS - 224)
    w[5] = edge
    w[6] = rng.normal(0.0, 50.0, COLS)
    w[7] = rng.normal(0.0, 0.05, COLS)
    w[7, ::16] = 0.0
    out = w.astype(np.float32)
    out[5, 192 + 3] = np.float32(-0.0)
    return out


def main(argv):
    out, lib_dir = "src/test/resources/quantize/ggml_quantize.bin", os.environ.get("GGML_LIB_DIR", DEFAULT_LIB)
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--lib":
            lib_dir = args.pop(0)
        elif a.startswith("-"):
            raise SystemExit(__doc__)
        else:
            out = a
    base = ctypes.CDLL(os.path.join(lib_dir, "libggml-base.so"))
    base.ggml_quantize_chunk.restype = ctypes.c_size_t
    base.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                         ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    base.ggml_row_size.restype = ctypes.c_size_t
    base.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    base.ggml_type_name.restype = ctypes.c_char_p
    base.ggml_type_name.argtypes = [ctypes.c_int]

    src = np.ascontiguousarray(matrix())
    parts = [b"GGQZ", struct.pack("<4i", 1, ROWS, COLS, len(TYPES)), src.astype("<f4").tobytes()]
    for name, tid in TYPES.items():
        if base.ggml_type_name(tid).decode().upper() != name:
            raise SystemExit("type id %d is not %s in this ggml" % (tid, name))
        row_bytes = base.ggml_row_size(tid, COLS)
        q = np.zeros(ROWS * row_bytes, dtype=np.uint8)
        written = base.ggml_quantize_chunk(tid, src.ctypes.data, q.ctypes.data, 0, ROWS, COLS, None)
        if written != q.size:
            raise SystemExit("%s: wrote %d bytes, expected %d" % (name, written, q.size))
        parts += [struct.pack("<2i", tid, row_bytes), q.tobytes()]
        print("%-5s %4d bytes per row" % (name, row_bytes))
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "wb") as f:
        f.write(b"".join(parts))
    print("wrote %s (%d x %d floats, %d types)" % (out, ROWS, COLS, len(TYPES)))


if __name__ == "__main__":
    main(sys.argv[1:])
