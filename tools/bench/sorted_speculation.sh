#!/usr/bin/env bash
# Dynamic inference on a sorted model large enough for decoding to be memory-bound: pre-trains a
# 16-layer LLaMA (dim 256, 12M parameters, 48 MB in float32, above the 32 MiB L3 cache) with the
# sorted objective on the demo's WordNet corpus, SoFT-fine-tunes it on the demo's instruction and
# QA tasks, then benchmarks speculative and early-exit decoding against full depth on held-out
# instructions (long answers) and questions (short answers), in float32.
#
# usage: tools/bench/sorted_speculation.sh [WORK_DIR] [PRETRAIN_STEPS] [FINETUNE_STEPS]
#   WORK_DIR (default /tmp/sorted-speculation) receives the models and the task files.
#   Takes about 35 + 21 minutes of training and 10 of benchmarks on 2 cores (defaults 1400 and 1500 steps).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-/tmp/sorted-speculation}
pretrain_steps=${2:-1400}
finetune_steps=${3:-1500}
sl="$here/sorted-llama"
mkdir -p "$work"

# 1. the demo's tasks (a demo run writes them first; one step of each method is enough for that)
if [ ! -f "$work/tasks/finetune-train.jsonl" ]; then
  "$sl" demo --out "$work/tasks" --steps 1 --questions 1 --instructions 1 > "$work/tasks.log"
fi
# 2. sorted pre-training from scratch, every second layer an exit
if [ ! -f "$work/base/model.safetensors" ]; then
  "$sl" demo --pretrain-base "$work/base" --pretrain-steps "$pretrain_steps" --pretrain-dim 256 --pretrain-layers 16 \
    --pretrain-exits every:2 --pretrain-lr 2e-3
fi
# 3. SoFT on the task mix, the same exits
if [ ! -f "$work/soft/model/model.safetensors" ]; then
  "$sl" train --model "$work/base" --data "$work/tasks/finetune-train.jsonl" --format jsonl --method sorted --exits every:2 \
    --steps "$finetune_steps" --lr 3e-4 --batch 8 --seq-len 256 --out "$work/soft"
fi
model="$work/soft/model"
common=(--model "$model" --quantize F32)
long=(--prompts-file "$work/tasks/instructions-test.json" --prompts-format alpaca --prompts-limit 8 --tokens 48)
short=(--prompts-file "$work/tasks/questions-test.json" --prompts-format triviaqa --prompts-limit 16 --tokens 6)
"$sl" bench bandwidth --mib 1024
for k in 2 4 6 8; do
  echo "== long answers, draft exit $k"; "$sl" bench speculative "${common[@]}" "${long[@]}" --draft-exit "$k" --draft-tokens 2 --runs 7
  echo "== short answers, draft exit $k"; "$sl" bench speculative "${common[@]}" "${short[@]}" --draft-exit "$k" --draft-tokens 2 --runs 7
done
# every exit at one threshold, then two sparser sets (each check costs the head: 0.36 of a layer here)
thresholds="0.95;0.9;0.8;0.6;8:0.9,12:0.9;6:0.9,10:0.9,14:0.9"
echo "== long answers, early exit"; "$sl" bench adaptive "${common[@]}" "${long[@]}" --runs 7 --confidence "$thresholds"
echo "== short answers, early exit"; "$sl" bench adaptive "${common[@]}" "${short[@]}" --runs 7 --confidence "$thresholds"
