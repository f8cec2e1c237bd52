#!/usr/bin/env bash
# The draft-length rules of self-speculative decoding side by side: G fixed, the cost-model planner
# (SpeculationPlanner) and Hugging Face's heuristic (start at G, +2 after a fully accepted round, -1
# otherwise), each `bench speculative` call timing all three and full depth in one process, the
# modes taking turns on each prompt. Models: the demo's SoFT model (8 layers, cache-resident), and
# the 16-layer sorted model of sorted_speculation.sh when its work folder holds one (48 MB, above L3).
#
# usage: tools/bench/draft_schedule.sh [DEMO_DIR] [SORTED_SPECULATION_DIR]
#   DEMO_DIR (default /tmp/draft-schedule-demo): a `./sorted-llama demo --out DEMO_DIR` run; made
#   when absent (about 8 minutes on 2 quiet cores). SORTED_SPECULATION_DIR (default
#   /tmp/sorted-speculation): skipped unless it holds soft/model (tools/bench/sorted_speculation.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=${1:-/tmp/draft-schedule-demo}
big=${2:-/tmp/sorted-speculation}
sl="$here/sorted-llama"

if [ ! -f "$demo/model-soft/model.safetensors" ]; then
  "$sl" demo --out "$demo" > "$demo.log"
fi
# model, task folder, draft exits
run() {
  local model=$1 tasks=$2; shift 2
  for k in "$@"; do
    echo "== $model, long answers, draft exit $k; $(uptime)"
    "$sl" bench speculative --model "$model" --prompts-file "$tasks/instructions-test.json" --prompts-format alpaca \
      --prompts-limit 8 --tokens 48 --draft-exit "$k" --runs 5
    echo "== $model, short answers, draft exit $k; $(uptime)"
    "$sl" bench speculative --model "$model" --prompts-file "$tasks/questions-test.json" --prompts-format triviaqa \
      --prompts-limit 16 --tokens 6 --draft-exit "$k" --runs 5
  done
}
run "$demo/model-soft" "$demo" 2 4 6
if [ -f "$big/soft/model/model.safetensors" ]; then
  run "$big/soft/model" "$big/tasks" 2 4 6 8
fi
echo "== done; $(uptime)"
