"""Expected LLaMA 2 token ids for tricky strings, from the real sentencepiece library.

usage: /usr/bin/python3 tools/tokenizer/make_llama2_fixtures.py ../shared/data/llama2-tokenizer/tokenizer.model \
           > src/test/resources/tokenizer/llama2_expected.json
(Debian: python3-sentencepiece.) The tests compare both tokenizer.model and llama2.c's tokenizer.bin with it.
"""
import json
import sys
import unicodedata

import sentencepiece as spm

STRINGS = [
    "", " ", "  ", "a", " a", "a ", "  leading and trailing  ", "multiple   spaces   inside",
    "Hello, world!", "Hello world\n", "line one\nline two\n\nline four", "tabs\tand\ttabs", "windows\r\nnewline",
    "\n", "\n\n\n", "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9"), "na\u00efve r\u00e9sum\u00e9",
    "\u4f60\u597d\uff0c\u4e16\u754c", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
    "\u0645\u0631\u062d\u0628\u0627", "\ud55c\uad6d\uc5b4", "emoji \U0001F600 smile", "\U0001F469\u200d\U0001F4BB coder",
    "\U0001F1EB\U0001F1F7 flag", "\U0001F44D\U0001F3FD", "<s>", "</s>", "<unk>", "[INST] hi [/INST]", "<<SYS>>\nsys\n<</SYS>>",
    "0123456789", "3.14159 and 2,718", "def f(x):\n    return x * 2\n", "https://example.com/a?b=c&d=e",
    "supercalifragilisticexpialidocious", "Mixed \u00dcml\u00e4uts and \u00df", "a\u0000b", "bell\u0007char",
    "\u00a0non-breaking", "zero\u200bwidth", "I'm can't won't", "\u2581already\u2581escaped", "ALL CAPS TEXT",
    "The quick brown fox jumps over the lazy dog.",
]

if __name__ == "__main__":
    sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
    cases = [{"text": s, "ids": sp.encode(s), "decoded": sp.decode(sp.encode(s))} for s in STRINGS]
    print(json.dumps({"tokenizer": "LLaMA 2 tokenizer.model (sentencepiece " + spm.__version__ + ")", "cases": cases},
                     ensure_ascii=True, indent=1))
