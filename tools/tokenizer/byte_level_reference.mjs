// Expected ids for a byte-level BPE tokenizer.json, from transformers.js (an independent
// implementation of Hugging Face's tokenizer.json), for src/test/resources/tokenizer/.
// usage: (in a folder with `npm install @huggingface/transformers@3 --ignore-scripts`)
//   node byte_level_reference.mjs TOKENIZER.json > expected.json
import fs from "node:fs";
import { PreTrainedTokenizer } from "@huggingface/transformers";

const STRINGS = [
  "", " ", "  ", "a", " a", "entity (noun): that which is perceived.", "Hello, World!", "don't WE'LL they've",
  "12345 and 3.14159", "1234567", "line one\nline two\n\n  indented", "tabs\tand  double  spaces ",
  "trailing spaces   ", "caf\u00e9 na\u00efve", "\u6771\u4eac \u65e5\u672c", "emoji \u{1F600}\u{1F469}\u200d\u{1F4BB}",
  "<s>special</s> tokens <unk>", "a<s>b", "\r\nwindows", "Synonyms: thing, object. A kind of entity.",
  "ALL CAPS and MiXeD", "?!... --- ***", "\u00a0nbsp and\u2003em space",
];

const json = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const tokenizer = new PreTrainedTokenizer(json, {});
const cases = STRINGS.map((text) => {
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  return { text, ids, decoded: ids.length ? tokenizer.decode(ids) : "" };
});
console.log(JSON.stringify({ reference: "transformers.js 3 PreTrainedTokenizer", cases }, null, 1));
