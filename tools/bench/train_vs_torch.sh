#!/usr/bin/env bash
# Training steps (forward + backward + AdamW, SFT and SoFT), sorted-llama against PyTorch on the same
# shapes and the same 2 threads, taking turns: each round runs, per shape, `sorted-llama bench train`,
# then tools/train/bench_torch.py in float32, then under BF16 autocast. Prints the commit, the load
# (`uptime`) before every run, each run's lines, and a table of the median tokens/s over the rounds
# (min-max beside it) with the ratios of the medians.
#
# Usage: tools/bench/train_vs_torch.sh            (2 rounds, shapes a and b, 3 timed steps per run)
#   ROUNDS=3 SHAPES="a" STEPS=3 PRECISIONS="f32 bf16" OURS_OPTS="" tools/bench/train_vs_torch.sh
#   OURS_OPTS passes options to our side only (e.g. --precision f32,bf16: each row then per precision);
#   PYTHON picks the interpreter
#   with torch (default /usr/bin/python3, Debian's python3-torch).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${ROUNDS:-2} shapes=${SHAPES:-"a b"} steps=${STEPS:-3} precisions=${PRECISIONS:-"f32 bf16"}
py=${PYTHON:-/usr/bin/python3} ours_opts=${OURS_OPTS:-}
out=$(mktemp -d)
# COMMIT names the build when this runs from a copy without git (e.g. a `git archive` snapshot)
commit=$(git rev-parse --short HEAD 2>/dev/null && (git diff --quiet HEAD -- src || echo ' (with uncommitted changes)') || echo "${COMMIT:-unknown}")
echo "commit $(echo $commit), $(nproc) cores, $rounds rounds, $steps timed steps per run"
./sorted-llama bench train --help >/dev/null # builds the jar first if needed, outside the timings
for round in $(seq "$rounds"); do
  for shape in $shapes; do
    echo "--- round $round, shape $shape; load: $(uptime | sed 's/.*load average: //')"
    # shellcheck disable=SC2086
    ./sorted-llama bench train --shape "$shape" --steps "$steps" $ours_opts 2>/dev/null | tee -a "$out/ours"
    for p in $precisions; do
      echo "--- round $round, shape $shape, PyTorch $p; load: $(uptime | sed 's/.*load average: //')"
      "$py" tools/train/bench_torch.py --shape "$shape" --steps "$steps" --precision "$p" | tee -a "$out/torch-$p"
    done
  done
done
echo "--- after the runs; load: $(uptime | sed 's/.*load average: //')"
"$py" - "$out" $precisions <<'EOF'
import re, statistics, sys
out, precisions = sys.argv[1], sys.argv[2:]
# ours: "(a) dim ..., f32 SFT: N tok/s, ..."; PyTorch's: "(a) dim ..., SFT, f32: N tok/s, ..."
ours_line = re.compile(r"^\((\w+)\) .*?, (f32|bf16) (SFT|SoFT)[^:]*: (\d+) tok/s, ([0-9.]+) s/step .*?([0-9.]+) CPU s/step")
torch_line = re.compile(r"^\((\w+)\) .*?, (SFT|SoFT)[^:]*, (f32|bf16): (\d+) tok/s, ([0-9.]+) s/step .*?([0-9.]+) CPU s/step")
def read(name, line, shape_obj_prec):
    """(shape, objective, precision) -> [(tokens/s, tokens per CPU-second)], one pair per round."""
    runs = {}
    for l in open(f"{out}/{name}"):
        m = line.match(l)
        if m:
            key = shape_obj_prec(m)
            tps, wall, cpu = int(m[4]), float(m[5]), float(m[6])
            runs.setdefault(key, []).append((tps, tps * wall / cpu))
    return runs
ours = read("ours", ours_line, lambda m: (m[1], m[3], m[2]))
theirs = {p: read(f"torch-{p}", torch_line, lambda m: (m[1], m[2], m[3])) for p in precisions}
cell = lambda v: f"{statistics.median(v):,.0f} ({min(v):,.0f}-{max(v):,.0f})" if v else "-"
def table(title, pick):
    print(f"\n{title}: median over the rounds (min-max); ratio = sorted-llama's median / PyTorch's\n")
    print("| shape | objective | sorted-llama | " + " | ".join(f"PyTorch {p} | ratio" for p in precisions) + " |")
    print("| --- | --- | ---: |" + " ---: | ---: |" * len(precisions))
    for key in sorted(ours):
        mine = [pick(r) for r in ours[key]]
        row = [key[0], key[1], f"{key[2]}: {cell(mine)}"]
        for p in precisions:
            v = [pick(r) for r in theirs[p].get((key[0], key[1], p), [])]
            row += [cell(v), f"{statistics.median(mine) / statistics.median(v):.1f}x" if v else "-"]
        print("| " + " | ".join(row) + " |")
    print("\nSoFT/SFT time per step (ratio of the medians):")
    for side, runs in [("sorted-llama", ours)] + [(f"PyTorch", theirs[p]) for p in precisions]:
        for shape, prec in sorted({(k[0], k[2]) for k in runs}):
            if (shape, "SFT", prec) in runs and (shape, "SoFT", prec) in runs:
                sft, soft = (statistics.median(pick(r) for r in runs[shape, o, prec]) for o in ("SFT", "SoFT"))
                print(f"  {side} {prec}, shape {shape}: {sft / soft:.2f}")
table("Tokens/s (wall clock)", lambda r: r[0])
# CPU time counts every thread of each process; PyTorch's OpenMP threads may spin while waiting,
# which counts against it here: compare each side with itself (SoFT/SFT) rather than across
table("Tokens per CPU-second (each side's process CPU time)", lambda r: r[1])
EOF
