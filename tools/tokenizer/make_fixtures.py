"""Expected SentencePiece token ids and decodings, from the real sentencepiece library.

usage (from the repository root; Debian: python3-sentencepiece, python3-protobuf):
    /usr/bin/python3 tools/tokenizer/make_fixtures.py [../shared/data/llama2-tokenizer/tokenizer.model]

Writes, under src/test/resources/tokenizer/:
  llama2_expected.json  the LLaMA 2 tokenizer.model on tricky strings, seeded random strings and
                        id sequences to decode (the tests check tokenizer.model and llama2.c's
                        tokenizer.bin against it);
  sp_tiny.model, sp_tiny_strip.model and sp_tiny_expected.json
                        two tiny BPE models trained here (a few KB), with what LLaMA's model lacks:
                        user-defined pieces, unused pieces, a control piece, and the normaliser
                        flags remove_extra_whitespaces / no dummy prefix.
The models and strings are fixed, so rerunning gives the same files (sentencepiece 0.1.97).
"""
import json
import os
import random
import sys
import tempfile
import unicodedata

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

OUT = os.path.join("src", "test", "resources", "tokenizer")

TRICKY = [
    "", " ", "  ", "   ", "a", " a", "a ", "  leading and trailing  ", "multiple   spaces   inside",
    "Hello, world!", "Hello world\n", "line one\nline two\n\nline four", "\n", "\n\n", "\n\n\n", "\r\n", "\r",
    "windows\r\nnewline\r\n", "tabs\tand\ttabs", "\t", " \t \n ", "\u3000ideographic space", "\u00a0non-breaking",
    "zero\u200bwidth", "\ufeffbyte order mark", "\u0085next line", "line\u2028separator",
    # accents in both normal forms: LLaMA's normaliser is "identity", so they encode differently
    "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9"), "na\u00efve r\u00e9sum\u00e9",
    unicodedata.normalize("NFD", "na\u00efve r\u00e9sum\u00e9"), "Mixed \u00dcml\u00e4uts and \u00df", "\ufb01ligature \u2460\u00bd",
    "\u4f60\u597d\uff0c\u4e16\u754c", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\ud55c\uad6d\uc5b4",
    "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440", "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 \u0928\u092e\u0938\u094d\u0924\u0947", "Hello \u043c\u0438\u0440 \u4e16\u754c \U0001F30D",
    # emoji: byte fallback, ZWJ sequences, skin tones, flags, keycaps
    "emoji \U0001F600 smile", "\U0001F469\u200d\U0001F4BB coder", "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
    "\U0001F1EB\U0001F1F7 flag", "\U0001F44D\U0001F3FD", "1\ufe0f\u20e3 keycap", "\U0001F3F3\ufe0f\u200d\U0001F308",
    # text that looks like control or byte tokens is ordinary text
    "<s>", "</s>", "<unk>", "<s>Hello</s>", "[INST] hi [/INST]", "<<SYS>>\nsys\n<</SYS>>", "<0x41>", "\u2581", "\u2581already\u2581escaped",
    "0123456789", "3.14159 and 2,718", "1000000", "def f(x):\n    return x * 2\n", "if (a && b) { c++; }",
    "https://example.com/a?b=c&d=e", "supercalifragilisticexpialidocious", "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4,
    "a\u0000b", "bell\u0007char", "\u007fdel", "escape\u001b[0m", "\ufffd replacement", "I'm can't won't", "ALL CAPS TEXT",
    "The quick brown fox jumps over the lazy dog.",
]

# characters random strings are drawn from: ASCII with many spaces, accents, CJK, emoji, controls
ALPHABET = (list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;:!?'\"()-_<>/\\[]{}") + [" "] * 12
            + ["\n", "\t", "\r", "\u00e9", "\u00fc", "\u00df", "\u0301", "\u4e16", "\u754c", "\u6c34", "\u3002",
               "\u0436", "\u03bb", "\U0001F600", "\U0001F44D", "\u200d", "\u00a0", "\u2581", "\u0000", "\U00010348"])
WORDS = ["the", "and", "of", "token", "izer", "ing", "tion", "Hello", " world", "caf\u00e9", "\u4f60\u597d", "<s>", "</s>",
         "[INST]", "  ", "\n", "123", "ly", "un", "re"]


def random_strings(rng, count):
    out = []
    for i in range(count):
        if i % 2 == 0:
            out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 24))))
        else:
            out.append("".join(rng.choice(WORDS) + rng.choice(["", " ", "", "."]) for _ in range(rng.randint(1, 8))))
    return out


def random_id_sequences(rng, sp, count):
    """Id sequences for decoding, mixing byte, control, unknown and ordinary pieces."""
    n = sp.get_piece_size()
    kinds = {"byte": [i for i in range(n) if sp.is_byte(i)], "control": [i for i in range(n) if sp.is_control(i)],
             "unknown": [i for i in range(n) if sp.is_unknown(i)], "unused": [i for i in range(n) if sp.is_unused(i)],
             "normal": [i for i in range(n) if not (sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i))]}
    weights = [("byte", 30), ("control", 8), ("unknown", 4), ("unused", 4), ("normal", 54)]
    pools = [(kinds[k], w) for k, w in weights if kinds[k]]
    seqs = []
    for _ in range(count):
        seq = []
        for _ in range(rng.randint(1, 10)):
            pool = rng.choices([p for p, _ in pools], weights=[w for _, w in pools])[0]
            seq.append(rng.choice(pool))
        seqs.append(seq)
    return seqs


def cases(sp, strings):
    return [{"text": s, "ids": sp.encode(s), "decoded": sp.decode(sp.encode(s))} for s in strings]


def decodes(sp, seqs):
    return [{"ids": ids, "text": sp.decode(ids)} for ids in seqs]


def write_json(name, data):
    with open(os.path.join(OUT, name), "w", encoding="ascii") as f:
        json.dump(data, f, ensure_ascii=True, indent=None, separators=(",", ":"))
        f.write("\n")


def llama2(model_path):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    rng = random.Random(20240601)
    b = lambda *xs: [sp.piece_to_id("<0x%02X>" % x) for x in xs]
    space, a = sp.piece_to_id("\u2581"), sp.piece_to_id("\u2581a")
    fixed = [[1, space, a], [space, a], [1, 2], [2, space, a], [0, space, a], [0], [0, a], [1, 0], b(0x20) + [a],
             b(0x20) + [space, a], b(0xE4, 0xBD, 0xA0), b(0xE4, 0xBD) + [a], b(0xE4) + [a], b(0xFF, 0xFE), [space], [space, space],
             [1, sp.piece_to_id("\u2581\u2581")], b(0xC0, 0x80), b(0xED, 0xA0, 0x80), b(0xF4, 0x90, 0x80, 0x80), b(0xF0, 0x9F, 0x98),
             b(0xF0, 0x9F, 0x98, 0x80), b(0xE4, 0xBD, 0xA0, 0xE4), b(0x00), [1, 1, space, a, 2, space, a]]
    data = {"tokenizer": "LLaMA 2 tokenizer.model (sentencepiece " + spm.__version__ + ")",
            "cases": cases(sp, TRICKY), "random": cases(sp, random_strings(rng, 160)),
            "decode": decodes(sp, fixed + random_id_sequences(rng, sp, 80))}
    write_json("llama2_expected.json", data)


CORPUS_WORDS = ["the", "tokenizer", "token", "tokens", "merge", "merges", "piece", "pieces", "score", "byte", "fallback",
                "caf\u00e9", "na\u00efve", "\u4e16\u754c", "\u4f60\u597d", "hello", "world", "Hello", "World", "running",
                "walked", "unbelievable", "2024", "42", "<tool>", "[INST]", "and", "of", "to", "in"]


def train_tiny():
    """A tiny BPE model with user-defined and control pieces, then a few merged pieces marked unused."""
    rng = random.Random(7)
    lines = [" ".join(rng.choice(CORPUS_WORDS) for _ in range(rng.randint(3, 12))) for _ in range(3000)]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        prefix = os.path.join(tmp, "tiny")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=420,
                                       normalization_rule_name="identity", byte_fallback=True, character_coverage=1.0,
                                       user_defined_symbols=["<tool>", "[INST]", "\u2581\u2581\u2581\u2581"],
                                       control_symbols=["<ctl>"], remove_extra_whitespaces=False, num_threads=1,
                                       hard_vocab_limit=False, minloglevel=2)
        with open(prefix + ".model", "rb") as f:
            model = model_pb2.ModelProto()
            model.ParseFromString(f.read())
    for field in ("input", "model_prefix"):  # temporary paths: clear them so that reruns give the same bytes
        model.trainer_spec.ClearField(field)
    # Unused pieces still take part in merging, and are split back into their halves afterwards.
    # "▁token" stays normal while intermediates on its way ("ke", "ken" is built from it) become unused.
    for p in model.pieces:
        if p.piece in ("ke", "en", "ie", "ll") and p.type == model_pb2.ModelProto.SentencePiece.NORMAL:
            p.type = model_pb2.ModelProto.SentencePiece.UNUSED
    return model


TINY_STRINGS = ["", " ", "token tokens tokenizer", "the merge of pieces", "<tool>call</tool>", "[INST] hi [INST]",
                "a    b", "     five spaces", "  two  spaces  ", "caf\u00e9 \u4e16\u754c", "hello\tworld\n", "\U0001F600 emoji",
                "<ctl>", "<s>x</s>", "tok", "okay en ll", "unbelievable running walked 2024", "mer merge merges",
                "  leading", "trailing  ", "\u2581literal", "trailing\u2581", "\u2581\u2581", "  \u2581 x \u2581 ", "a  \u2581  b"]


def tiny():
    model = train_tiny()
    variants = {"sp_tiny.model": model}
    strip = model_pb2.ModelProto()
    strip.CopyFrom(model)
    strip.normalizer_spec.add_dummy_prefix = False  # LLaMA's flags are the opposite of these two
    strip.normalizer_spec.remove_extra_whitespaces = True
    variants["sp_tiny_strip.model"] = strip
    rng = random.Random(99)
    out = {"tokenizer": "tiny BPE models trained by make_fixtures.py (sentencepiece " + spm.__version__ + ")", "models": []}
    for name, proto in variants.items():
        data = proto.SerializeToString()
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        sp = spm.SentencePieceProcessor(model_proto=data)
        space, ctl, nul, t = (sp.piece_to_id(p) for p in ("\u2581", "<ctl>", "<0x00>", "\u2581token"))
        fixed = [[space, space, nul], [space], [space, space], [nul, space, space], [ctl, space, t], [space, t, space, t], [0, space, t]]
        out["models"].append({"file": name, "cases": cases(sp, TINY_STRINGS + random_strings(rng, 60)),
                              "decode": decodes(sp, fixed + random_id_sequences(rng, sp, 40))})
    write_json("sp_tiny_expected.json", out)


if __name__ == "__main__":
    llama2(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/llama2-tokenizer/tokenizer.model")
    tiny()
