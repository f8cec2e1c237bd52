#!/usr/bin/env bash
# Training steps (forward + backward + AdamW, SFT and SoFT), sorted-llama against PyTorch on the same
# shapes and the same 2 threads, taking turns: each round runs, per shape, `sorted-llama bench train`,
# then tools/train/bench_torch.py in float32, then under BF16 autocast. Prints the commit, the load
# (`uptime`) before every run, each run's lines, and a table of the median tokens/s over the rounds
# (min-max beside it) with the ratios of the medians.
#
# Usage: tools/bench/train_vs_torch.sh            (2 rounds, shapes a and b, 3 timed steps per run)
#   ROUNDS=3 SHAPES="a" STEPS=3 PRECISIONS="f32 bf16" OURS_OPTS="" tools/bench/train_vs_torch.sh
#   OURS_OPTS passes options to our side only (e.g. a precision switch); PYTHON picks the interpreter
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
line = re.compile(r"^\((\w+)\) .*?(SFT|SoFT)[^:]*: (\d+) tok/s, ([0-9.]+) s/step .*?([0-9.]+) CPU s/step")
def read(name):
    """(shape, objective) -> [(tokens/s, tokens per CPU-second)], one pair per round."""
    runs = {}
    for l in open(f"{out}/{name}"):
        m = line.match(l)
        if m:
            tps, wall, cpu = int(m[3]), float(m[4]), float(m[5])
            runs.setdefault((m[1], m[2]), []).append((tps, tps * wall / cpu))
    return runs
sides = {"sorted-llama": read("ours")} | {f"PyTorch {p}": read(f"torch-{p}") for p in precisions}
cell = lambda v: f"{statistics.median(v):,.0f} ({min(v):,.0f}-{max(v):,.0f})" if v else "-"
def table(title, pick):
    print(f"\n{title}: median over the rounds (min-max); ratio = sorted-llama's median / the other's\n")
    print("| shape | objective | " + " | ".join(f"{s} | ratio" if s != "sorted-llama" else s for s in sides) + " |")
    print("| --- | --- |" + " ---: |" * (2 * len(sides) - 1))
    ours = sides["sorted-llama"]
    for key in sorted(ours):
        mine = [pick(r) for r in ours[key]]
        row = [key[0], key[1], cell(mine)]
        for s, runs in sides.items():
            if s == "sorted-llama": continue
            v = [pick(r) for r in runs.get(key, [])]
            row += [cell(v), f"{statistics.median(mine) / statistics.median(v):.1f}x" if v else "-"]
        print("| " + " | ".join(row) + " |")
    print("\nSoFT/SFT time per step (ratio of the medians):")
    for s, runs in sides.items():
        for shape in sorted({k[0] for k in runs}):
            if (shape, "SFT") in runs and (shape, "SoFT") in runs:
                sft, soft = (statistics.median(pick(r) for r in runs[shape, o]) for o in ("SFT", "SoFT"))
                print(f"  {s}, shape {shape}: {sft / soft:.2f}")
table("Tokens/s (wall clock)", lambda r: r[0])
# CPU time counts every thread of each process; PyTorch's OpenMP threads may spin while waiting,
# which counts against it here: compare each side with itself (SoFT/SFT) rather than across
table("Tokens per CPU-second (each side's process CPU time)", lambda r: r[1])
EOF
