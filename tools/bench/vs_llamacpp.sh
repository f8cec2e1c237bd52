#!/usr/bin/env bash
# sorted-llama against llama.cpp on the same GGUF files: decode and prefill tokens/s, load time, peak RSS.
#
# usage: tools/bench/vs_llamacpp.sh [WORK_DIR] [options]
#   WORK_DIR        models and logs (default /tmp/vs-llamacpp; TinyLlama's shape needs about 12 GB there)
#   --shapes LIST   of dim256, stories110M, tinyllama (default all three)
#                     dim256:      dim 256, hidden 768, 4 layers, 8 heads, vocab 32000 (compute-bound)
#                     stories110M: dim 768, hidden 2048, 12 layers, 12 heads, vocab 32000
#                     tinyllama:   dim 2048, hidden 5632, 22 layers, 32 heads, 4 KV heads, vocab 32000
#   --types LIST    of F32, F16, BF16, Q8_0, Q4_0, Q4_K_M, Q6_K (default all; any recipe of
#                   llamacpp_client quantize works). F32 is our export; the others are written by
#                   llama.cpp's quantizer from it, so both engines read the very same file.
#   --threads N     threads of both engines (default 2)
#   --tokens N      decode length (default per shape: 256, 128, 32); both time the N-1 steps after BOS
#   --prefill N     positions of the timed prefill pass (default 256)
#   --runs R        timed runs inside each engine's process, best kept (default 3)
#   --rounds K      processes per engine, alternating ours/theirs; best over all (default 2)
#   --ours-only / --theirs-only
# Models have random weights (tools/bench/make_random_llama2c.py) and the LLaMA-2 vocabulary
# (../shared/data/llama2-tokenizer/tokenizer.model, embedded by `sorted-llama export --tokenizer`).
# A cell our loader (or llama.cpp) refuses is reported as "not supported" (other errors: "failed") and the run
# goes on. Ours runs from a copy of the jar made at the start (WORK_DIR/ours), as the launcher would run it.
# llama.cpp comes from tools/bench/build_llamacpp_client.sh (LLAMACPP_HOME, installed there if missing).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=/tmp/vs-llamacpp
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then work=$1; shift; fi
shapes=dim256,stories110M,tinyllama
types=F32,F16,BF16,Q8_0,Q4_0,Q4_K_M,Q6_K
threads=2 tokens= prefill=256 runs=3 rounds=2 engines=both
while [ $# -gt 0 ]; do
  case "$1" in
    --shapes) shapes=$2; shift 2 ;;
    --types) types=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --tokens) tokens=$2; shift 2 ;;
    --prefill) prefill=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --ours-only) engines=ours; shift ;;
    --theirs-only) engines=theirs; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "vs_llamacpp: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
tok="$repo/../shared/data/llama2-tokenizer/tokenizer.model"
[ -f "$tok" ] || { echo "vs_llamacpp: needs $tok" >&2; exit 2; }
mkdir -p "$work/logs"

num() { # KEY JSON_FILE: a number field of a one-line JSON object, or empty
  grep -o "\"$1\":-\{0,1\}[0-9.eE+-]*" "$2" 2>/dev/null | head -1 | cut -d: -f2
}
best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN{print (b+0>a+0)?b:a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a>0 && b>0) printf "%.2f", a/b; else print "-" }'; }
fmt() { awk -v a="$1" 'BEGIN{ if (a>0) printf "%.1f", a; else print "-" }'; }
runs_of() { # KEY JSON_FILE: the numbers of an array field, one a line
  grep -o "\"$1\":\[[^]]*\]" "$2" 2>/dev/null | sed 's/.*\[//; s/\]//' | tr ',' '\n'
}
median() { sort -g | awk '{v[NR]=$1} END{ if (NR==0) print 0; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
mib() { awk -v a="$1" 'BEGIN{ if (a>0) printf "%.0f", a/1048576; else print "-" }'; }

shape_args() {
  case "$1" in
    dim256) echo "256,768,4,8,8,32000,2048 256" ;;
    stories110M) echo "768,2048,12,12,12,32000,2048 128" ;;
    tinyllama) echo "2048,5632,22,32,4,32000,2048 32" ;;
    *) echo "vs_llamacpp: unknown shape $1" >&2; exit 2 ;;
  esac
}

for shape in ${shapes//,/ }; do shape_args "$shape" > /dev/null; done  # refuse an unknown shape before any work
for type in ${types//,/ }; do
  case "$type" in F32|F16|BF16|Q8_0|Q4_0|Q4_1|Q5_0|Q5_1|Q2_K|Q3_K_S|Q3_K_M|Q3_K_L|Q4_K_S|Q4_K_M|Q5_K_S|Q5_K_M|Q6_K|IQ4_NL|IQ4_XS) ;;
    *) echo "vs_llamacpp: unknown type $type" >&2; exit 2 ;;
  esac
done

client=$("$repo/tools/bench/build_llamacpp_client.sh")
# Ours: a snapshot of the jar (with its lib/ and native kernels), so that sources edited while this runs do not
# make the launcher rebuild (or fail to) in the middle of the table.
"$repo/sorted-llama" --version > /dev/null || { echo "vs_llamacpp: sorted-llama does not build" >&2; exit 1; }
rm -rf "$work/ours" && mkdir -p "$work/ours"
cp "$repo/target/sorted-llama.jar" "$work/ours/"
cp -r "$repo/target/lib" "$work/ours/"  # the jar's Class-Path
[ -d "$repo/target/native" ] && cp -r "$repo/target/native" "$work/ours/"
java="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
ours() {
  "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxRAMPercentage=70 \
    ${SORTED_LLAMA_JAVA_OPTS:-} -jar "$work/ours/sorted-llama.jar" "$@"
}
why() { # LOG.err: "not supported" when the loader refused the file's types, else "failed"
  if grep -v WARNING "$1" | grep -qiE 'unsupported|not supported|unknown (ggml |tensor )?type|type [0-9]+'; then
    echo "not supported"; else echo "failed"; fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load: $(uptime | sed 's/.*load average: //')"
echo "llama.cpp: $client ($("$client" info | grep -o '"system_info":"[^"]*"' | cut -d'"' -f4 | cut -c1-60)...)"
echo
rows=()
for shape in ${shapes//,/ }; do
  read -r spec default_tokens <<< "$(shape_args "$shape")"
  t=${tokens:-$default_tokens}
  src="$work/$shape-F32.gguf"
  if [ ! -f "$src" ]; then
    echo "== making $shape ($spec)" >&2
    python3 "$repo/tools/bench/make_random_llama2c.py" "$spec" "$work/$shape.bin"
    ours export --model "$work/$shape.bin" --tokenizer "$tok" --format gguf --out "$src.tmp" >&2 2>"$work/logs/$shape-export.log" \
      || { cat "$work/logs/$shape-export.log" >&2; exit 1; }
    mv "$src.tmp" "$src"
    rm -f "$work/$shape.bin"
  fi
  for type in ${types//,/ }; do
    f="$work/$shape-$type.gguf"
    if [ "$type" != F32 ] && [ ! -f "$f" ]; then
      echo "== quantizing $shape to $type" >&2
      "$client" quantize "$src" "$f.tmp" "$type" "$threads" > "$work/logs/$shape-$type-quantize.json" && mv "$f.tmp" "$f" \
        || { echo "   llama.cpp could not write $type" >&2; rm -f "$f.tmp"; }
    fi
    o_dec=0 o_pre=0 o_load= o_rss= o_note= l_dec=0 l_pre=0 l_load= l_rss= l_note=
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    : > "$work/logs/$shape-$type-llamacpp-decode-runs.txt"
    if [ ! -f "$f" ]; then
      rows+=("| $shape | $type | - | no file | | | | | | | | | | |"); continue
    fi
    for ((round = 1; round <= rounds; round++)); do
      if [ "$engines" != theirs ] && [ -z "$o_note" ]; then
        echo "== $shape $type round $round: sorted-llama" >&2
        log="$work/logs/$shape-$type-ours-$round"
        rm -f "$log.json" "$log.err"
        if ours bench decode --model "$f" --threads "$threads" --tokens "$t" --prefill "$prefill" --runs "$runs" --json \
            > "$log.json" 2> "$log.err" && [ -n "$(num decode_tok_s "$log.json")" ]; then
          o_dec=$(best "$o_dec" "$(num decode_tok_s "$log.json")"); o_pre=$(best "$o_pre" "$(num prefill_tok_s "$log.json")")
          o_load=$(num load_s "$log.json"); o_rss=$(best "$o_rss" "$(num peak_rss_bytes "$log.json")")
        else
          o_note=$(why "$log.err"); echo "   sorted-llama: $(grep -v WARNING "$log.err" | tail -1)" >&2
        fi
      fi
      if [ "$engines" != ours ] && [ -z "$l_note" ]; then
        echo "== $shape $type round $round: llama.cpp" >&2
        log="$work/logs/$shape-$type-llamacpp-$round"
        rm -f "$log.json" "$log.err"
        if "$client" bench "$f" --threads "$threads" --decode "$((t - 1))" --prefill "$prefill" --runs "$runs" \
            > "$log.json" 2> "$log.err"; then
          l_dec=$(best "$l_dec" "$(num decode_tok_s "$log.json")"); l_pre=$(best "$l_pre" "$(num prefill_tok_s "$log.json")")
          l_load=$(num load_s "$log.json"); l_rss=$(best "$l_rss" "$(num peak_rss_bytes "$log.json")")
          runs_of decode_runs "$log.json" >> "$work/logs/$shape-$type-llamacpp-decode-runs.txt"
        else
          l_note=$(why "$log.err"); echo "   llama.cpp: $(tail -1 "$log.err")" >&2
        fi
      fi
    done
    size=$(mib "$(stat -c %s "$f")")
    if [ -n "$o_note" ]; then od="$o_note" op="$o_note"; else od=$(fmt "$o_dec") op=$(fmt "$o_pre"); fi
    if [ -n "$l_note" ]; then ld="$l_note" lp="$l_note"; else ld=$(fmt "$l_dec") lp=$(fmt "$l_pre"); fi
    # llama.cpp's worker threads spin while they wait; when other processes hold a core its decode steps
    # slow down many times over. Flag a cell whose best run is far above the median of its runs.
    l_med=$(median < "$work/logs/$shape-$type-llamacpp-decode-runs.txt")
    if awk -v b="$l_dec" -v m="$l_med" 'BEGIN{exit !(m > 0 && b > 1.5 * m)}'; then ld="$ld (median $(fmt "$l_med"))"; fi
    row="| $shape | $type | $size | $od | $ld | $(ratio "$o_dec" "$l_dec") | $op | $lp | $(ratio "$o_pre" "$l_pre")"
    row+=" | ${o_load:--} | ${l_load:--} | $(mib "${o_rss:-0}") | $(mib "${l_rss:-0}") | $load_before |"
    rows+=("$row")
    echo "$row" >&2
  done
done

echo "threads $threads, prefill $prefill positions, best of $runs runs x $rounds alternating processes per engine"
echo
echo "| shape | type | file MiB | decode tok/s ours | llama.cpp | ours/llama.cpp | prefill tok/s ours | llama.cpp | ours/llama.cpp | load s ours | llama.cpp | peak RSS MiB ours | llama.cpp | load avg |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "not supported: the engine refused the file's tensor types; failed: another error (WORK_DIR/logs/*.err)."
echo "load avg: the 1-minute load average before the cell (this benchmark adds about $threads); llama.cpp's threads"
echo "  spin while waiting, so with other processes on the cores its decode collapses: a '(median ...)' after its"
echo "  decode figure marks runs far below the best. Compare on an otherwise idle machine."
echo "load: ours is opening the file in the JVM (after JVM start-up); llama.cpp's is llama_model_load_from_file (mmap)."
echo "machine load after: $(uptime | sed 's/.*load average: //')"
