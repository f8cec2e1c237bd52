"""Expected answer normalisation, exact match and F1 for tricky strings, from the logic of the
official SQuAD v1.1 and TriviaQA v1.0 evaluation scripts (written out here from their published
behaviour), run on Python 3's str and re, so the Java port is checked against Python semantics.

usage: python3 tools/eval/make_qa_fixtures.py > src/test/resources/eval/qa_normalization.json
"""
import json
import re
import string
from collections import Counter

TRIVIA_EXTRA = "\u2018\u2019\u00b4`"


def articles_to_space(text):
    return re.sub(r"\b(a|an|the)\b", " ", text)


def squad_normalize(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    return " ".join(articles_to_space(s).split())


def trivia_normalize(s):
    s = s.replace("_", " ").lower()
    exclude = set(string.punctuation + TRIVIA_EXTRA)
    s = "".join(" " if ch in exclude else ch for ch in s)
    return " ".join(articles_to_space(s).split()).strip()


def f1(prediction, gold):
    p, g = prediction.split(), gold.split()
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


STRINGS = [
    "The Beatles", "the_beatles", "A Tale of Two Cities", "an apple a day", "Theatre", "anathema",
    "  lots   of\tspace\n", "Rock 'n' Roll", "U.S.A.", "“Quoted”", "‘single’ ´acute´ `grave`",
    "Ça va?", "Ñandú", "ΟΔΟΣ", "İstanbul", "straße", "東京", "emoji 🎉 party", "café\u00a0au\u2003lait",
    "file\x1cseparator", "naïve—dash", "a", "", "...", "The", "tHe ThE end", "AN-the-A",
    "e.g. the answer", "50%", "$100", "C++", "half_life_3", "L'Oréal", "don't", "ﬁne ligature",
]

PAIRS = [
    ("the Beatles", ["The Beatles", "Beatles"]),
    ("Beatles, The", ["The Beatles"]),
    ("Paris France", ["Paris"]),
    ("new york city", ["New York", "NYC"]),
    ("the the the", ["the"]),
    ("Rock and roll music", ["rock n roll", "Rock and Roll"]),
    ("Ça va", ["ca va", "Ça va!"]),
    ("ΟΔΟΣ", ["οδος"]),
    ("fish fish chips", ["fish chips chips"]),
    ("", ["something"]),
    ("Mount_Everest", ["Mount Everest"]),
]

if __name__ == "__main__":
    out = {
        "normalize": [{"input": s, "squad": squad_normalize(s), "triviaqa": trivia_normalize(s)} for s in STRINGS],
        "score": [],
    }
    for pred, golds in PAIRS:
        for name, norm in (("squad", squad_normalize), ("triviaqa", trivia_normalize)):
            out["score"].append({
                "normalizer": name, "prediction": pred, "answers": golds,
                "exact_match": max(float(norm(pred) == norm(g)) for g in golds),
                "f1": max(f1(norm(pred), norm(g)) for g in golds),
                "case_sensitive_exact_match": max(float(pred.strip() == g.strip()) for g in golds),
            })
    print(json.dumps(out, ensure_ascii=False, indent=1))
