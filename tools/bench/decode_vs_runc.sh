#!/usr/bin/env bash
# Decode speed of sorted-llama against llama2.c's run.c (float32) and runq.c (int8), same machine,
# same threads, random-weight models shaped like stories15M and stories110M.
#
# usage: tools/bench/decode_vs_runc.sh LLAMA2C_DIR [WORK_DIR]
#   LLAMA2C_DIR holds run.c, runq.c and the Makefile of karpathy/llama2.c (not part of this repository);
#   they are built here by llama2.c's own fastest target, `make runomp` (-Ofast -fopenmp -march=native),
#   in a copy under WORK_DIR (default /tmp/sorted-llama-bench), which also receives the model files
#   (about 700 MB). Prints one line per configuration.
set -euo pipefail
src=$(cd "$1" && pwd)
work=${2:-/tmp/sorted-llama-bench}
here=$(cd "$(dirname "$0")/../.." && pwd)
threads=$(nproc)
mkdir -p "$work"
mkdir -p "$work/llama2c"
cp "$src/run.c" "$src/runq.c" "$src/Makefile" "$work/llama2c/"
make -s -C "$work/llama2c" runomp
cp "$work/llama2c/run" "$work/llama2c/runq" "$work/"
tok="$here/../shared/data/llama2-tokenizer/tokenizer.bin"
[ -f "$tok" ] || { echo "needs ../shared/data/llama2-tokenizer/tokenizer.bin for run.c" >&2; exit 2; }

best_of_3() { # command... ; prints the best "achieved tok/s" of three runs
  local best=0 v
  for _ in 1 2 3; do
    v=$(OMP_NUM_THREADS=$threads "$@" 2>&1 | grep -o 'achieved tok/s: [0-9.]*' | awk '{print $3}')
    best=$(awk -v a="$best" -v b="$v" 'BEGIN{print (b>a)?b:a}')
  done
  echo "$best"
}

"$here/sorted-llama" bench bandwidth --mib 1024 | tee "$work/bandwidth.txt"
gbs=$(grep -o '[0-9.]* GB/s' "$work/bandwidth.txt" | awk '{print $1}')
printf '%-12s %-5s %12s %12s %8s %14s\n' shape type "run.c tok/s" "ours tok/s" ratio "of bandwidth"
for shape in stories15M stories110M; do
  [ -f "$work/$shape.bin" ] || python3 "$here/tools/bench/make_random_llama2c.py" "$shape" "$work/$shape.bin" --q80 "$work/${shape}_q80.bin"
  ref_f32=$(best_of_3 "$work/run" "$work/$shape.bin" -z "$tok" -t 0 -n 256)
  ref_q8=$(best_of_3 "$work/runq" "$work/${shape}_q80.bin" -z "$tok" -t 0 -n 256)
  for type in F32 Q8_0; do
    out=$("$here/sorted-llama" bench decode --model "$work/$shape.bin" --quantize "$type" --tokens 255 --threads "$threads" 2>/dev/null)
    ours=$(echo "$out" | grep -o 'decode: [0-9.]*' | awk '{print $2}')
    mib=$(echo "$out" | grep -o 'per token: [0-9.]*' | awk '{print $3}')
    ref=$ref_f32; [ "$type" = Q8_0 ] && ref=$ref_q8
    limit=$(awk -v g="$gbs" -v m="$mib" 'BEGIN{print g*1e9/(m*1048576)}')
    printf '%-12s %-5s %12.1f %12.1f %7.2fx %13.0f%%\n' "$shape" "$type" "$ref" "$ours" \
      "$(awk -v a="$ours" -v b="$ref" 'BEGIN{print a/b}')" "$(awk -v a="$ours" -v l="$limit" 'BEGIN{print 100*a/l}')"
  done
done
echo "(F32 is compared with run.c, Q8_0 with runq.c (llama2.c's int8 groups of 64); 'of bandwidth' = tokens/s over"
echo " measured read bandwidth / weight bytes per token, the ceiling for memory-bound decoding)"
