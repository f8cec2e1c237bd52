// Expected ids for the byte-level BPE tests, from Hugging Face's own tokenizers library (the
// Rust implementation, through its Node binding), with the real Llama 3 vocabulary.
//
// usage, outside the repository:
//   mkdir -p /tmp/tokref && cd /tmp/tokref && npm install tokenizers@0.23.2 llama3-tokenizer-js@1.2.0
//   cd /path/to/repo && node tools/tokenizer/make_byte_level_fixtures.mjs /tmp/tokref
//
// It writes:
//   /tmp/tokref/llama3-tokenizer.json   the full Llama 3.1 tokenizer.json (128,256 tokens, 280,147
//       merges), rebuilt from llama3-tokenizer-js's data; NOT committed (9 MB). Point the optional
//       test at it: -Dsortedllama.llama3.tokenizer=/tmp/tokref/llama3-tokenizer.json
//   src/test/resources/tokenizer/llama3_subset.json   a faithful subset of it: the 256 byte tokens,
//       every token and merge on the way to the test strings' tokens, all special tokens, original
//       ids. Any merge list that keeps the merges that fire, in their order, merges identically,
//       so the subset gives the full vocabulary's ids on these strings (checked below).
//   src/test/resources/tokenizer/llama3_expected.json   ids and decodings for the subset, for
//       variants of its configuration, and for decoding id sequences.
//   src/test/resources/tokenizer/wordnet_bpe_600_expected.json   ids for BpeTrainer's demo vocabulary.
// llama3-tokenizer-js (an independent JS implementation) must agree with the Rust library on every
// string; the script stops if it does not.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const refDir = path.resolve(process.argv[2] ?? "/tmp/tokref");
const require = createRequire(path.join(refDir, "node_modules", "noop.js"));
const { Tokenizer } = require("tokenizers");
const llama3js = (await import(pathToFileURL(path.join(refDir, "node_modules/llama3-tokenizer-js/bundle/llama3-tokenizer-with-baked-data.js")))).default;
const OUT = "src/test/resources/tokenizer";

const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function llama3Json(vocab, merges, specials) {
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: specials.map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: LLAMA3_SPLIT }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges },
  };
}

// --- the full vocabulary, rebuilt
const BASE = 128000;
const vocab = {};
for (let i = 0; i < BASE; i++) vocab[llama3js.vocabById[i]] = i;
const specials = [];
for (let i = BASE; i < llama3js.vocabById.length; i++) specials.push([llama3js.vocabById[i], i]);
const merges = [...llama3js.merges.keys()]; // insertion order is priority order
const fullPath = path.join(refDir, "llama3-tokenizer.json");
fs.writeFileSync(fullPath, JSON.stringify(llama3Json(vocab, merges, specials)));
const full = Tokenizer.fromFile(fullPath);

const STRINGS = [
  "", " ", "  ", "a", " a", "Hello, world!", "Hello world\n", "The quick brown fox jumps over the lazy dog.",
  // contractions, in any case (the (?i:...) group), and look-alikes
  "don't I'M we'Re they'VE you'll it'S she'd", "'s 'S 's's", "rock'n'roll", "l'homme", "O'Neil's", "'\u017f \u212a",
  // digits in groups of three, other numerals
  "1", "12", "123", "1234", "1234567", "3.14159", "1,000,000", "$12.50", "2024-01-31", "\uff12\uff10\uff12\uff14", "\u2460\u2461\u00bd\u0663",
  // newlines and whitespace runs
  "\n", "\n\n", "\n\n\n", "a\nb", "a\n\nb", "\r\n", "a\r\nb\r\n", " \n ", "x  \n  y", "a   b", "   leading", "trailing   ",
  "\t\tindented", "tab\tsep", "end with space ", "  \n\n  \n", "\u00a0nbsp\u00a0", "ideographic\u3000space", "line\u2028sep",
  "next\u0085line", "bom\ufeffmark", "mongolian\u180evowel", "zero\u200bwidth", "em\u2003space  double",
  // Unicode: accents (NFC and NFD), CJK, scripts, emoji with ZWJ, skin tones, flags, keycaps
  "caf\u00e9", "cafe\u0301", "na\u00efve r\u00e9sum\u00e9", "\u00dcml\u00e4ut \u00df \u0130stanbul", "\u4f60\u597d\uff0c\u4e16\u754c\u3002",
  "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\ud55c\uad6d\uc5b4", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
  "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 \u0928\u092e\u0938\u094d\u0924\u0947",
  "emoji \u{1F600}", "\u{1F469}\u200d\u{1F4BB} coder", "\u{1F468}\u200d\u{1F469}\u200d\u{1F467}\u200d\u{1F466}", "\u{1F1EB}\u{1F1F7}\u{1F1E9}\u{1F1EA}",
  "\u{1F44D}\u{1F3FD}", "1\ufe0f\u20e3", "\u{10348} gothic", "\ufffd",
  // special tokens are matched in text; near misses are not
  "<|begin_of_text|>Hello<|end_of_text|>", "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>",
  "<|eot_id|><|eot_id|>", "x<|eot_id|>y", "<|eot_id", "<|EOT_ID|>", "< |eot_id|>", "<|reserved_special_token_5|>", "<s></s><unk>",
  // code, punctuation, long runs
  "def f(x):\n    return x * 2\n", "if (a && b) { c++; }", "https://example.com/a?b=c&d=e", "?!... --- ***", "\"quoted\" (paren) [br]",
  "a\u0000b", "bell\u0007", "supercalifragilisticexpialidocious", "Pneumonoultramicroscopicsilicovolcanoconiosis".repeat(3),
  "9".repeat(40), "ALL CAPS and MiXeD cAsE", "   \t  ",
];

const encode = async (tok, text) => (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
const fullIds = [];
for (const s of STRINGS) {
  const ids = await encode(full, s);
  const js = llama3js.encode(s, { bos: false, eos: false });
  if (JSON.stringify(ids) !== JSON.stringify(js)) throw new Error(`llama3-tokenizer-js disagrees on ${JSON.stringify(s)}: ${ids} vs ${js}`);
  fullIds.push(ids);
}

// --- the subset: closure of the tokens used under "which merges make this token"
const madeBy = new Map();
for (const m of merges) {
  const [a, b] = m.split(" ");
  if (!madeBy.has(a + b)) madeBy.set(a + b, []);
  madeBy.get(a + b).push(m);
}
const idToToken = new Map(Object.entries(vocab).map(([t, i]) => [i, t]));
const keepTokens = new Set(), keepMerges = new Set();
const visit = (t) => {
  if (keepTokens.has(t)) return;
  keepTokens.add(t);
  for (const m of madeBy.get(t) ?? []) {
    keepMerges.add(m);
    m.split(" ").forEach(visit);
  }
};
for (let b = 0; b < 256; b++) visit(idToToken.get(llama3js.vocabById.indexOf(byteChar(b))));
for (const ids of fullIds) for (const id of ids) if (id < BASE) visit(idToToken.get(id));
function byteChar(b) { // GPT-2's byte map
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
  if (printable) return String.fromCharCode(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || x >= 0xae)) n++;
  return String.fromCharCode(256 + n);
}
// Hugging Face gives added tokens that the model's vocabulary lacks the ids after it, whatever
// ids the file says; listing them in the (sparse) subset vocabulary too keeps their real ids.
const subVocab = {};
for (const [t, i] of Object.entries(vocab)) if (keepTokens.has(t)) subVocab[t] = i;
for (const [t, i] of specials) subVocab[t] = i;
const subMerges = merges.filter((m) => keepMerges.has(m));
const subsetJson = llama3Json(subVocab, subMerges, specials);
fs.writeFileSync(path.join(OUT, "llama3_subset.json"), JSON.stringify(subsetJson));
const subset = Tokenizer.fromString(JSON.stringify(subsetJson));

const cases = [];
for (let i = 0; i < STRINGS.length; i++) {
  const ids = await encode(subset, STRINGS[i]);
  if (JSON.stringify(ids) !== JSON.stringify(fullIds[i])) throw new Error(`subset differs on ${JSON.stringify(STRINGS[i])}: ${ids} vs ${fullIds[i]}`);
  cases.push({ text: STRINGS[i], ids, decoded: await subset.decode(ids, false) });
}

// --- decoding: random id sequences over the subset (split characters, special tokens)
let seed = 12345;
const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const subIds = Object.values(subVocab).filter((i) => i < BASE), byteIds = [];
for (let b = 0x80; b < 256; b++) byteIds.push(subVocab[byteChar(b)]);
const decode = [];
for (let k = 0; k < 60; k++) {
  const ids = [];
  for (let n = 1 + rand(8); n > 0; n--) {
    const r = rand(10);
    ids.push(r < 4 ? byteIds[rand(byteIds.length)] : r < 5 ? specials[rand(12)][1] : subIds[rand(subIds.length)]);
  }
  decode.push({ ids, text: await subset.decode(ids, false) });
}

// --- variants of the configuration, applied by the Java test to the subset before loading
const VARIANTS = [
  { name: "gpt2 pre-tokenizer with prefix space, merges only",
    patch: { pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true }, ignore_merges: false } },
  { name: "split then byte-level regex, NFC normaliser",
    patch: { normalizer: { type: "NFC" }, pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: "\\d" }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }] } } },
  { name: "NFKC normaliser, merges as pairs", patch: { normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }] }, pairMerges: true } },
];
const variants = [];
for (const v of VARIANTS) {
  const json = structuredClone(subsetJson);
  if ("pre_tokenizer" in v.patch) json.pre_tokenizer = v.patch.pre_tokenizer;
  if ("normalizer" in v.patch) json.normalizer = v.patch.normalizer;
  if ("ignore_merges" in v.patch) json.model.ignore_merges = v.patch.ignore_merges;
  if (v.patch.pairMerges) json.model.merges = json.model.merges.map((m) => m.split(" "));
  const tok = Tokenizer.fromString(JSON.stringify(json));
  const vcases = [];
  for (const s of STRINGS) vcases.push({ text: s, ids: await encode(tok, s) });
  variants.push({ name: v.name, patch: v.patch, cases: vcases });
}

const reference = "Hugging Face tokenizers (Rust, npm tokenizers@0.23.2); vocabulary: Llama 3.1 from llama3-tokenizer-js@1.2.0";
fs.writeFileSync(path.join(OUT, "llama3_expected.json"), JSON.stringify({ reference, cases, decode, variants }) + "\n");

// --- BpeTrainer's demo vocabulary
const WORDNET_STRINGS = [
  "", " ", "  ", "a", " a", "entity (noun): that which is perceived.", "Hello, World!", "don't WE'LL they've",
  "12345 and 3.14159", "1234567", "line one\nline two\n\n  indented", "tabs\tand  double  spaces ",
  "trailing spaces   ", "caf\u00e9 na\u00efve", "\u6771\u4eac \u65e5\u672c", "emoji \u{1F600}\u{1F469}\u200d\u{1F4BB}",
  "<s>special</s> tokens <unk>", "a<s>b", "\r\nwindows", "Synonyms: thing, object. A kind of entity.",
  "ALL CAPS and MiXeD", "?!... --- ***", "\u00a0nbsp and\u2003em space",
];
const wordnet = Tokenizer.fromFile(path.join(OUT, "wordnet_bpe_600.json"));
const wcases = [];
for (const s of WORDNET_STRINGS) {
  const ids = await encode(wordnet, s);
  wcases.push({ text: s, ids, decoded: await wordnet.decode(ids, false) });
}
fs.writeFileSync(path.join(OUT, "wordnet_bpe_600_expected.json"),
  JSON.stringify({ reference: "Hugging Face tokenizers (Rust, npm tokenizers@0.23.2)", cases: wcases }, null, 1) + "\n");
console.log(`full vocabulary: ${fullPath}; subset: ${Object.keys(subVocab).length} tokens, ${subMerges.length} merges`);
