#!/usr/bin/env bash
# Our kernels against themselves in one run: the same GGUF files decoded and prefilled with the row groups
# and AMX prefill (the default) and without them (-Dsortedllama.rowGroups=false: one row at a time, prefill
# on sgemm over rows expanded to floats), processes alternating, best of each.
#
# usage: tools/bench/row_groups_ab.sh MODEL.gguf... [--tokens N] [--prefill N] [--rounds K]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tokens=128 prefill=256 rounds=3 models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tokens) tokens=$2; shift 2 ;;
    --prefill) prefill=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || { echo "row_groups_ab: name at least one model file (see --help)" >&2; exit 2; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
printf '| model | decode per row | decode row groups | ratio | prefill sgemm | prefill AMX | ratio | peak RSS MiB per row / groups |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for m in "${models[@]}"; do
  declare -A dec=() pre=() rss=()
  for r in $(seq "$rounds"); do
    for groups in false true; do
      out=$(SORTED_LLAMA_JAVA_OPTS="-Dsortedllama.rowGroups=$groups" "$repo/sorted-llama" bench decode --model "$m" \
            --tokens "$tokens" --prefill "$prefill" --json 2>/dev/null)
      d=$(echo "$out" | field decode_tok_s); p=$(echo "$out" | field prefill_tok_s); s=$(echo "$out" | field peak_rss_bytes)
      dec[$groups]=$(awk -v a="${dec[$groups]:-0}" -v b="$d" 'BEGIN{print (b>a)?b:a}')
      pre[$groups]=$(awk -v a="${pre[$groups]:-0}" -v b="$p" 'BEGIN{print (b>a)?b:a}')
      rss[$groups]=$((s >> 20))
    done
  done
  awk -v m="$(basename "$m")" -v d0="${dec[false]}" -v d1="${dec[true]}" -v p0="${pre[false]}" -v p1="${pre[true]}" \
      -v r0="${rss[false]}" -v r1="${rss[true]}" \
      'BEGIN{printf "| %s | %.1f | %.1f | **%.2fx** | %.1f | %.1f | **%.2fx** | %d / %d |\n", m, d0, d1, d1/d0, p0, p1, p1/p0, r0, r1}'
  unset dec pre rss
done
