#!/usr/bin/env bash
# Builds the native kernels (every *.c in this folder: kernels.c, bf16_gemm.c) into OUT_DIR/libsortedllama.so;
# run by Maven's compile phase.
# Without a C compiler the build goes on and the Java kernels serve every type (NativeKernels says so).
set -u
out="${1:?usage: build.sh OUT_DIR}"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src=("$dir"/*.c)
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "native kernels: no C compiler ($cc); the pure-Java kernels will be used" >&2
  exit 0
fi
mkdir -p "$out"
# -ffp-contract=off: the float operations are exactly the ones written (no fused multiply-adds the
# source does not ask for), so results do not depend on the compiler's choices.
if ! "$cc" -O3 -std=c11 -fPIC -shared -ffp-contract=off -fno-math-errno -Wall -Wextra -o "$out/libsortedllama.so.tmp" "${src[@]}"; then
  echo "native kernels: compiling ${src[*]} failed; the pure-Java kernels will be used" >&2
  exit 0
fi
mv "$out/libsortedllama.so.tmp" "$out/libsortedllama.so"
