// Expected ids for SpecialTokens' llama.cpp test: llama.cpp's own tokenizer on its vocabulary-only
// GGUF files (ggml-vocab-llama-spm.gguf: LLaMA's SentencePiece; ggml-vocab-llama-bpe.gguf: Llama 3's
// byte-level BPE), each text tokenized with parse_special false and true (no BOS added).
//
// usage: node tools/tokenizer/make_llamacpp_special_fixtures.mjs [LLAMACPP_DIR]
//   LLAMACPP_DIR  where npm installed node-llama-cpp and where llama.cpp's source is (default /opt/llamacpp:
//                 node_modules/node-llama-cpp, and src/models/ggml-vocab-*.gguf)
// Writes src/test/resources/tokenizer/llamacpp_special.json. The vocabulary files are not committed
// (0.7 and 7.8 MB); the test runs where they are (-Dsortedllama.llamacpp.models=DIR, default
// /opt/llamacpp/src/models) and is skipped elsewhere.
import fs from "node:fs";
import path from "node:path";

const root = process.argv[2] ?? "/opt/llamacpp";
const { getLlama } = await import(path.join(root, "node_modules/node-llama-cpp/dist/index.js"));
const VOCABS = ["ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf"];
const TEXTS = ["hello <s> world</s>", "<s>Hello</s> world", "a<unk>b <|eot_id|>x<|begin_of_text|>", " </s>  y",
    "<s><s></s>", "</s>", "x <|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>", "<s >not special</ s>"];

const llama = await getLlama({ gpu: false, build: "never" });
const out = { about: "llama.cpp's tokenize(text, parse_special) on its vocabulary-only files, no BOS added; "
    + "made by tools/tokenizer/make_llamacpp_special_fixtures.mjs", vocabularies: {} };
for (const vocab of VOCABS) {
    const model = await llama.loadModel({ modelPath: path.join(root, "src/models", vocab), vocabOnly: true });
    out.vocabularies[vocab] = TEXTS.map(text => ({
        text, plain: Array.from(model.tokenize(text, false)), special: Array.from(model.tokenize(text, true)) }));
    await model.dispose();
}
const target = "src/test/resources/tokenizer/llamacpp_special.json";
fs.writeFileSync(target, JSON.stringify(out, null, 1) + "\n");
console.log("wrote " + target);
