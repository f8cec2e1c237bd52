"""Quantized-weight fixtures made by llama.cpp's own ggml library, for sorted-llama's decoder tests.

usage: python3 tools/reference/make_ggml_fixtures.py [OUT_DIR] [--lib DIR] [--cpu VARIANT]
  OUT_DIR   where <TYPE>.bin files go (default src/test/resources/ggml)
  --lib     the directory holding libggml-base.so and libggml-cpu-<variant>.so
            (default $GGML_LIB_DIR, else /opt/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64)
  --cpu     which CPU build of ggml computes the reference dot products (default $GGML_CPU_VARIANT,
            else "haswell": AVX2 + FMA, the most common build). Other variants sum in another order,
            so their dot products differ in the last bits; the decoded values do not depend on it.
Needs python3 and numpy only (ggml is called through ctypes). Deterministic: the same bytes every run
with the same library build and CPU variant.

For each type in TYPES: a seeded 4 x 768 float32 matrix
  row 0  normal(0, 1)
  row 1  normal(0, 0.02) with a few outliers of magnitude 2..6 (one block scale dominated by them)
  row 2  all positive: uniform(0.1, 1.5)   (types with an offset "m" use it; symmetric ones waste half)
  row 3  tiny: normal(0, 1e-5)             (float16 scales become subnormal)
is quantized by ggml_quantize_chunk (no importance matrix) and decoded back by the type's to_float.
An activation vector x (768 floats, normal(0,1) with a slow ramp) is quantized the way llama.cpp's CPU
matmul does it: by from_float of the type's vec_dot_type (Q8_0, Q8_1, Q8_K, F16 or BF16), then each
quantized row is multiplied with it by the CPU traits' vec_dot. The exact dot of each decoded row
with the float x is also recorded, computed in float64.

File format, all little-endian:
  char[4]  magic "GGQF"
  int32    version (1)
  int32    ggml type id
  int32    rows
  int32    cols
  int32    bytes per quantized row (ggml_row_size)
  int32    ggml type id of the vec_dot_type x was quantized to
  int32    reserved (0)
  float32  src[rows * cols]            the floats that were quantized, row-major
  uint8    quantized[rows * rowBytes]  ggml_quantize_chunk's output
  float32  dequantized[rows * cols]    to_float of each quantized row
  float32  x[cols]
  float32  llama_dot[rows]             vec_dot(quantized row, from_float(x))
  float64  exact_dot[rows]             sum over i of (double) dequantized[i] * (double) x[i]
"""
import ctypes
import os
import struct
import sys

import numpy as np

DEFAULT_LIB = "/opt/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"

# ggml_type ids (ggml.h), in the order the fixtures are written
TYPES = {
    "F16": 1, "BF16": 30, "Q8_0": 8, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7,
    "Q2_K": 10, "Q3_K": 11, "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "IQ4_NL": 20, "IQ4_XS": 23,
}
ROWS, COLS = 4, 768
SEED = 20240611

TO_FLOAT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
FROM_FLOAT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
VEC_DOT = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                           ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)


class TypeTraits(ctypes.Structure):  # struct ggml_type_traits (ggml.h)
    _fields_ = [("type_name", ctypes.c_char_p), ("blck_size", ctypes.c_int64),
                ("blck_size_interleave", ctypes.c_int64), ("type_size", ctypes.c_size_t),
                ("is_quantized", ctypes.c_bool), ("to_float", ctypes.c_void_p),
                ("from_float_ref", ctypes.c_void_p)]


class CpuTraits(ctypes.Structure):  # struct ggml_type_traits_cpu (ggml-cpu.h)
    _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p),
                ("vec_dot_type", ctypes.c_int), ("nrows", ctypes.c_int64)]


def load(lib_dir, variant):
    base = ctypes.CDLL(os.path.join(lib_dir, "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
    cpu = ctypes.CDLL(os.path.join(lib_dir, "libggml-cpu-%s.so" % variant), mode=ctypes.RTLD_GLOBAL)
    base.ggml_get_type_traits.restype = ctypes.POINTER(TypeTraits)
    base.ggml_get_type_traits.argtypes = [ctypes.c_int]
    base.ggml_quantize_chunk.restype = ctypes.c_size_t
    base.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                         ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    base.ggml_quantize_requires_imatrix.restype = ctypes.c_bool
    base.ggml_quantize_requires_imatrix.argtypes = [ctypes.c_int]
    base.ggml_row_size.restype = ctypes.c_size_t
    base.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    base.ggml_type_name.restype = ctypes.c_char_p
    base.ggml_type_name.argtypes = [ctypes.c_int]
    cpu.ggml_get_type_traits_cpu.restype = ctypes.POINTER(CpuTraits)
    cpu.ggml_get_type_traits_cpu.argtypes = [ctypes.c_int]
    cpu.ggml_cpu_init.restype = None
    cpu.ggml_cpu_init()
    return base, cpu


def matrix(rng):
    w = np.empty((ROWS, COLS), dtype=np.float64)
    w[0] = rng.normal(0.0, 1.0, COLS)
    w[1] = rng.normal(0.0, 0.02, COLS)
    spots = rng.choice(COLS, 6, replace=False)
    w[1, spots] = rng.uniform(2.0, 6.0, spots.size) * rng.choice([-1.0, 1.0], spots.size)
    w[2] = rng.uniform(0.1, 1.5, COLS)
    w[3] = rng.normal(0.0, 1e-5, COLS)
    return w.astype(np.float32)


def fixture(base, cpu, name, tid, rng):
    name_in_lib = base.ggml_type_name(tid).decode()
    if name_in_lib.upper() != name:
        raise SystemExit("type id %d is %s in this ggml, expected %s" % (tid, name_in_lib, name))
    if base.ggml_quantize_requires_imatrix(tid):
        raise SystemExit("%s needs an importance matrix" % name)
    traits = base.ggml_get_type_traits(tid).contents
    ct = cpu.ggml_get_type_traits_cpu(tid).contents
    row_bytes = base.ggml_row_size(tid, COLS)

    src = np.ascontiguousarray(matrix(rng))
    x = (rng.normal(0.0, 1.0, COLS) * (1.0 + np.arange(COLS) / COLS)).astype(np.float32)

    q = np.zeros(ROWS * row_bytes, dtype=np.uint8)
    written = base.ggml_quantize_chunk(tid, src.ctypes.data, q.ctypes.data, 0, ROWS, COLS, None)
    if written != q.size:
        raise SystemExit("%s: quantize_chunk wrote %d bytes, expected %d" % (name, written, q.size))

    to_float = TO_FLOAT(traits.to_float)
    deq = np.zeros((ROWS, COLS), dtype=np.float32)
    for r in range(ROWS):
        to_float(q.ctypes.data + r * row_bytes, deq[r].ctypes.data, COLS)

    # x as llama.cpp's CPU matmul hands it to vec_dot: converted to the vec_dot_type
    vdt = ct.vec_dot_type
    vdt_traits = cpu.ggml_get_type_traits_cpu(vdt).contents
    xq = np.zeros(base.ggml_row_size(vdt, COLS), dtype=np.uint8)
    FROM_FLOAT(vdt_traits.from_float)(x.ctypes.data, xq.ctypes.data, COLS)
    vec_dot = VEC_DOT(ct.vec_dot)
    llama = np.zeros(ROWS, dtype=np.float32)
    for r in range(ROWS):
        vec_dot(COLS, llama[r:].ctypes.data, 0, q.ctypes.data + r * row_bytes, 0, xq.ctypes.data, 0, 1)
    exact = deq.astype(np.float64) @ x.astype(np.float64)

    header = b"GGQF" + struct.pack("<7i", 1, tid, ROWS, COLS, row_bytes, vdt, 0)
    body = [src.astype("<f4").tobytes(), q.tobytes(), deq.astype("<f4").tobytes(), x.astype("<f4").tobytes(),
            llama.astype("<f4").tobytes(), exact.astype("<f8").tobytes()]
    with np.errstate(invalid="ignore"):  # a row ggml decodes to all zeros has sum|w x| = 0
        rel = np.abs(llama - exact) / (np.abs(deq.astype(np.float64)) @ np.abs(x.astype(np.float64)))
    print("%-7s row bytes %4d  vec_dot_type %-5s  llama.cpp dot error / sum|w x|: %s" % (
        name, row_bytes, base.ggml_type_name(vdt).decode(), " ".join("%.2e" % e for e in rel)))
    return header + b"".join(body)


def main(argv):
    out_dir, lib_dir = "src/test/resources/ggml", os.environ.get("GGML_LIB_DIR", DEFAULT_LIB)
    variant = os.environ.get("GGML_CPU_VARIANT", "haswell")
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--lib":
            lib_dir = args.pop(0)
        elif a == "--cpu":
            variant = args.pop(0)
        elif a.startswith("-"):
            raise SystemExit(__doc__)
        else:
            out_dir = a
    base, cpu = load(lib_dir, variant)
    os.makedirs(out_dir, exist_ok=True)
    for name, tid in TYPES.items():
        # one generator per type, seeded by the type, so adding a type leaves the others' bytes alone
        rng = np.random.default_rng([SEED, tid])
        with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
            f.write(fixture(base, cpu, name, tid, rng))
    print("wrote %d fixtures to %s (ggml CPU variant %s)" % (len(TYPES), out_dir, variant))


if __name__ == "__main__":
    main(sys.argv[1:])
