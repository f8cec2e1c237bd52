#!/usr/bin/env bash
# Does training a sample of the exits per step (train --exits-per-step N) give sub-models as good as
# training every exit every step? Fine-tunes the demo's committed base on Alpaca 1k (records 1-900;
# 901-1000 held out) with SoFT over --exits, the same batches in the same order for every method of a
# seed, and compares the held-out loss at each exit:
#   sft        --method standard (the last layer only: the cost and last-exit baseline)
#   all        SoFT, every exit every step
#   uniform    SoFT, N exits drawn per micro-batch (--exit-sampling uniform)
#   keep-last  SoFT, the last layer and N-1 drawn (--exit-sampling keep-last)
#   uniform-eqtime, keep-last-eqtime: the sampled runs given the training time of "all": more steps,
#              steps x (all's step seconds) / (the sampled run's), summed over the seed's runs (not the
#              median: a uniform draw without the last exit stops the trunk at its deepest exit, so its
#              step times are bimodal)
#   uniform-xF, keep-last-xF: with FACTOR=F set, the sampled runs given F times the steps (e.g. 2.5,
#              all's cost over a sampled step's at config A in bench train, where the heads dominate)
# A run whose model is already in OUT is kept, not re-run: the script can be re-run on the same OUT
# with more seeds or a FACTOR to add runs.
# Writes OUT/<seed>/<method>/ (train's output: metrics.jsonl with step_s and the final validation
# loss per exit), OUT/results.tsv (one row per run) and OUT/summary.md (means and spread over seeds).
#
# Usage: tools/train/exit_sampling_study.sh OUT [SEED...]      (default seeds: 1 2 3)
# Environment: STEPS (100), EXITS (every:2), PER_STEP (2), FACTOR (unset), THREADS (2), DATA (../shared/data/alpaca/alpaca_data_1k.json)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 OUT [SEED...]" >&2; exit 2; }
out="$(mkdir -p "$1" && cd "$1" && pwd)"
shift
if [ $# -ge 1 ]; then seeds=("$@"); else seeds=(1 2 3); fi
case "$out/" in "$here"/*) echo "$0: OUT must be outside the repository" >&2; exit 2 ;; esac
steps="${STEPS:-100}" exits="${EXITS:-every:2}" per_step="${PER_STEP:-2}" threads="${THREADS:-2}" factor="${FACTOR:-}"
data="${DATA:-$here/../shared/data/alpaca/alpaca_data_1k.json}"
[ -f "$data" ] || { echo "$0: Alpaca 1k not found at $data (set DATA)" >&2; exit 2; }
base="$here/src/main/resources/sortedllama/demo/base"

# a fixed split for every seed: the seeds change the batch order and the exit draws, not the data
jq '.[0:900]' "$data" > "$out/train.json"
jq '.[900:1000]' "$data" > "$out/validation.json"
{
  echo "commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"
  echo "steps $steps, exits $exits, $per_step per step, $threads threads, started $(date -u +%FT%TZ)"
  echo "uptime at start: $(uptime)"
} >> "$out/run-info.txt"

train() { # seed method steps extra-args...
  local seed=$1 method=$2 n=$3
  shift 3
  local dir="$out/$seed/$method"
  [ -f "$dir/model/model.safetensors" ] && return
  echo "== seed $seed, $method, $n steps ($(date -u +%T), load $(cut -d' ' -f1 /proc/loadavg))" >&2
  "$here/sorted-llama" train --model "$base" --data "$out/train.json" --validation "$out/validation.json" \
    --format alpaca --batching pack --batch 8 --seq-len 256 --lr 3e-4 --weight-decay 0.1 \
    --exits "$exits" --steps "$n" --seed "$seed" --threads "$threads" --out "$dir" --overwrite "$@" \
    > "$dir.log" 2>&1 || { echo "$0: training failed, see $dir.log" >&2; exit 1; }
}

# seconds of a run's training steps (step_s of metrics.jsonl; no loading, no validation)
step_seconds() {
  jq -s '[.[] | select(.step_s) | .step_s] | add' "$out/$1/metrics.jsonl"
}

mkdir -p "${seeds[@]/#/$out/}"
for seed in "${seeds[@]}"; do
  train "$seed" sft "$steps" --method standard
  train "$seed" all "$steps" --method sorted
  train "$seed" uniform "$steps" --method sorted --exits-per-step "$per_step" --exit-sampling uniform
  train "$seed" keep-last "$steps" --method sorted --exits-per-step "$per_step" --exit-sampling keep-last
  t_all=$(step_seconds "$seed/all")
  for mode in uniform keep-last; do
    eq=$(jq -n "($steps * $t_all / $(step_seconds "$seed/$mode")) | round")
    train "$seed" "$mode-eqtime" "$eq" --method sorted --exits-per-step "$per_step" --exit-sampling "$mode"
    [ -z "$factor" ] || train "$seed" "$mode-x$factor" "$(jq -n "$steps * $factor | round")" \
      --method sorted --exits-per-step "$per_step" --exit-sampling "$mode"
  done
done
echo "uptime at end: $(uptime)" >> "$out/run-info.txt"

# one row per run: seed, method, steps, mean and total step seconds, final held-out loss per exit
python3 - "$out" "$factor" "${seeds[@]}" <<'EOF'
import json, statistics, sys, pathlib
out, factor, seeds = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
methods = ["sft", "all", "uniform", "keep-last", "uniform-eqtime", "keep-last-eqtime"]
if factor: methods += ["uniform-x" + factor, "keep-last-x" + factor]
rows = []
for seed in seeds:
    for m in methods:
        lines = [json.loads(l) for l in (out / seed / m / "metrics.jsonl").read_text().splitlines()]
        secs = [r["step_s"] for r in lines if "step_s" in r]
        val = [r["validation_exit_loss"] for r in lines if "validation_exit_loss" in r][-1]
        rows.append((seed, m, len(secs), statistics.mean(secs), sum(secs), val))
exits = sorted(rows[0][5], key=int)
with open(out / "results.tsv", "w") as f:
    f.write("\t".join(["seed", "method", "steps", "mean_step_s", "train_s"] + ["exit_" + e for e in exits]) + "\n")
    for s, m, n, med, tot, val in rows:
        f.write("\t".join([s, m, str(n), f"{med:.3f}", f"{tot:.1f}"] + [f"{val[e]:.4f}" for e in exits]) + "\n")

def spread(xs):  # mean, and half the range over seeds
    return statistics.mean(xs), (max(xs) - min(xs)) / 2
with open(out / "summary.md", "w") as f:
    f.write(f"Held-out loss (nats; mean over seeds {', '.join(seeds)} ± half the range)\n\n")
    f.write("| method | steps | s/step | train s | " + " | ".join("exit " + e for e in exits) + " |\n")
    f.write("| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in exits) + " |\n")
    for m in methods:
        mine = [r for r in rows if r[1] == m]
        cells = [m, "/".join(str(r[2]) for r in mine),
                 "%.3f" % statistics.mean(r[3] for r in mine), "%.0f" % statistics.mean(r[4] for r in mine)]
        for e in exits:
            mean, half = spread([r[5][e] for r in mine])
            cells.append(f"{mean:.3f} ± {half:.3f}")
        f.write("| " + " | ".join(cells) + " |\n")
    f.write("\nPaired with 'all' of the same seed (method minus all, nats; mean, min..max over seeds)\n\n")
    f.write("| method | " + " | ".join("exit " + e for e in exits) + " |\n")
    f.write("| --- | " + " | ".join("---:" for _ in exits) + " |\n")
    for m in methods:
        if m == "all": continue
        cells = [m]
        for e in exits:
            d = [r[5][e] - a[5][e] for r in rows if r[1] == m for a in rows if a[1] == "all" and a[0] == r[0]]
            cells.append(f"{statistics.mean(d):+.3f} ({min(d):+.3f}..{max(d):+.3f})")
        f.write("| " + " | ".join(cells) + " |\n")
print((out / "summary.md").read_text())
EOF
