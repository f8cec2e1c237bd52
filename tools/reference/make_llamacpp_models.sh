#!/usr/bin/env bash
# Test files written by llama.cpp itself: a small LLaMA of ours (trained here, exported as an F32 GGUF with
# its vocabulary), quantized by llama.cpp's own quantizer to each recipe, with llama.cpp's mean NLL over a
# fixed id sequence and its greedy continuation of a short prompt for every file.
#
# usage: tools/reference/make_llamacpp_models.sh [WORK_DIR]
#   WORK_DIR (default /tmp/sorted-llama-llamacpp-ref) receives the scratch files (initial weights, corpus,
#   training run). Output: src/test/resources/llamacpp/{F32,<RECIPE>}.gguf and expected.json.
#   Needs ../shared/data/alpaca/alpaca_data_1k.json (the training text), python3 + numpy, and llama.cpp,
#   which tools/bench/build_llamacpp_client.sh installs (LLAMACPP_HOME) and builds a client for.
#   STEPS (default 1500) sets the training steps.
#
# The model: dim 256 (so that K-quant and IQ4_XS rows, 256 values per super-block, fit every matrix),
# hidden 256, 1 layer, 4 heads, 2 KV heads (grouped-query attention), a 512-token byte-level BPE
# vocabulary trained here on the corpus (tools/reference/TrainBpe.java, the demo's trainer), tied
# embeddings: about 0.53M parameters, so that the 14 files stay under 8 MB.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-/tmp/sorted-llama-llamacpp-ref}
out="$repo/src/test/resources/llamacpp"
steps=${STEPS:-1500}
threads=2
recipes=(Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_M Q4_K_S Q4_K_M Q5_K_M Q6_K IQ4_NL IQ4_XS)
shape=256,256,1,4,2,512,256      # dim,hidden,layers,heads,kv_heads,vocab,context
tokenizer="$work/tokenizer.json"
alpaca="$repo/../shared/data/alpaca/alpaca_data_1k.json"
# The NLL text: 4 windows of 256 ids (the context; BOS first) of the corpus's first documents. The two
# engines round activations for quantized weights alike but not identically (per-position losses
# differ by 0.02-0.03 nats, against 0.001 for F32), so the mean needs about a thousand positions to
# settle within 1e-3: over one window of 64 ids some recipes differed by 5e-3.
windows=4
n_ids=256
n_prompt=8
n_greedy=16

[ -f "$alpaca" ] || { echo "make_llamacpp_models: needs $alpaca" >&2; exit 2; }
client=$("$repo/tools/bench/build_llamacpp_client.sh")
mkdir -p "$work" "$out"
cd "$repo"

# REFRESH=1 keeps the committed model files and recomputes only llama.cpp's results and expected.json.
if [ "${REFRESH:-0}" != 1 ]; then
echo "== initial weights and training corpus" >&2
python3 tools/bench/make_random_llama2c.py "$shape" "$work/init.bin" --seed 7
python3 - "$alpaca" "$work/corpus.txt" <<'EOF'
import json, sys
records = json.load(open(sys.argv[1]))
docs = ["\n".join(p for p in (r["instruction"], r["input"], r["output"]) if p.strip()) for r in records]
open(sys.argv[2], "w").write("\n\n".join(docs) + "\n")  # blank lines separate documents
EOF

./sorted-llama --version > /dev/null  # builds target/sorted-llama.jar if needed
"${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$repo/target/sorted-llama.jar" tools/reference/TrainBpe.java "$work/corpus.txt" 512 "$tokenizer"

echo "== training ($steps steps)" >&2
rm -rf "$work/train"
./sorted-llama train --model "$work/init.bin" --tokenizer "$tokenizer" --data "$work/corpus.txt" --format text \
    --method standard --steps "$steps" --lr 3e-3 --batch 16 --seq-len 128 --seed 1 --threads "$threads" \
    --out "$work/train" >&2
./sorted-llama export --model "$work/train/model" --format gguf --out "$out/F32.gguf" >&2
chmod 644 "$out/F32.gguf"
fi

echo "== ids and prompt" >&2
text=$(python3 -c 'import json, sys
docs = ["\n".join(p for p in (r["instruction"], r["input"], r["output"]) if p.strip()) for r in json.load(open(sys.argv[1]))[:80]]
print("\n\n".join(docs))' "$alpaca")
ids_json=$(./sorted-llama tokenize --tokenizer "$out/F32.gguf" --text "$text")
python3 - "$ids_json" "$work" "$n_ids" "$windows" <<'EOF'
import json, sys
ids = json.loads(sys.argv[1])
work, n, windows = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if len(ids) < windows * (n - 1):
    sys.exit(f"the text has only {len(ids)} ids; {windows} windows of {n - 1} are wanted")
for w in range(windows):  # each window: BOS, then the next n-1 ids of the text
    seq = [1] + ids[w * (n - 1):(w + 1) * (n - 1)]  # BOS is id 1 in the embedded vocabulary
    open(f"{work}/ids.{w}.txt", "w").write(" ".join(map(str, seq)) + "\n")
EOF
prompt=$(tr ' ' '\n' < "$work/ids.0.txt" | head -n "$n_prompt" | tr '\n' ' ' | sed 's/ $//')

echo "== llama.cpp: quantize, nll, greedy" >&2
mkdir -p "$work/results"
for r in F32 "${recipes[@]}"; do
  f="$out/$r.gguf"
  if [ "$r" != F32 ] && [ "${REFRESH:-0}" != 1 ]; then
    "$client" quantize "$out/F32.gguf" "$f" "$r" "$threads" > "$work/results/$r.quantize.json"
  fi
  for ((w = 0; w < windows; w++)); do
    "$client" nll "$f" "$work/ids.$w.txt" --threads "$threads" > "$work/results/$r.nll.$w.json"
  done
  "$client" greedy "$f" "$prompt" "$n_greedy" --threads "$threads" > "$work/results/$r.greedy.json"
  echo "$r: nll of window 0 $(grep -o '"nll":[0-9.]*' "$work/results/$r.nll.0.json" | cut -d: -f2)" >&2
done

lib_dir=$(dirname "$(ldd "$client" | awk '/libllama/ {print $3}')")
python3 - "$out" "$work" "$lib_dir" "$client" "$n_greedy" "$windows" F32 "${recipes[@]}" <<'EOF'
import json, os, subprocess, sys
out, work, lib_dir, client, n_greedy, windows = sys.argv[1:7]
windows = int(windows)
recipes = sys.argv[7:]
repo = os.path.abspath(os.path.join(out, "../../../.."))
sys.path.insert(0, os.path.join(repo, "tools/reference"))
import gguf_types

release = None
for base in (os.path.join(lib_dir, "../../../.."),):  # node_modules/@node-llama-cpp/<platform>/bins/<platform>
    info = os.path.join(base, "node-llama-cpp/llama/llama.cpp.info.json")
    if os.path.exists(info):
        release = json.load(open(info))
        pkg = json.load(open(os.path.join(base, "node-llama-cpp/package.json")))
        release["node_llama_cpp"] = pkg.get("version")
ids = [[int(x) for x in open(os.path.join(work, f"ids.{w}.txt")).read().split()] for w in range(windows)]
result = {
    "about": "Written by tools/reference/make_llamacpp_models.sh: llama.cpp's quantizer wrote <RECIPE>.gguf from "
             "F32.gguf (exported by sorted-llama); nll is llama.cpp's mean next-token negative log-likelihood "
             "(nats, log-softmax in double) over the windows of ids (each one batch, from an empty cache; the mean of "
             "the windows' means, which have equal lengths); greedy is llama.cpp's argmax "
             "continuation of prompt (no BOS added beyond the prompt's own, EOS not stopping it).",
    "llama_cpp": release,
    "command": "tools/reference/make_llamacpp_models.sh",
    "ids": ids,
    "prompt": None,
    "recipes": {},
}
for r in recipes:
    nlls = [json.load(open(os.path.join(work, "results", f"{r}.nll.{w}.json")))["nll"] for w in range(windows)]
    greedy = json.load(open(os.path.join(work, "results", r + ".greedy.json")))
    info = gguf_types.read(os.path.join(out, r + ".gguf"))
    result["prompt"] = greedy["prompt"]
    result["recipes"][r] = {
        "file": r + ".gguf",
        "bytes": os.path.getsize(os.path.join(out, r + ".gguf")),
        "file_type": info["metadata"].get("general.file_type"),
        "nll": round(sum(nlls) / windows, 6),
        "window_nll": [round(x, 6) for x in nlls],
        "greedy": greedy["greedy"],
        "type_counts": info["type_counts"],
        "tensor_types": {name: t["type"] for name, t in info["tensors"].items()},
    }
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
EOF
du -sh "$out" >&2
echo "wrote $out" >&2
