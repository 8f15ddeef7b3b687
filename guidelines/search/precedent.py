"""When two questions are the same question: the key a confirmed answer (a precedent) is stored under.

Pure: text in, key or verdict out. A key is the question lower-cased, NFKC-folded, cut into words
(punctuation and whitespace do not count), "n't" read as "not", each word stemmed; the order of the
words is kept for display but not for comparison. Stop words stay: "not", "no" and "the" decide
guideline questions ("is an emoji alone not enough" is not "is an emoji alone enough").
"""

from __future__ import annotations

import re
import unicodedata

from guidelines.search.ranking import stem

# Two keys whose word sets overlap this much (Jaccard) are near-identical: one word added to or
# dropped from a question of four or more words, or a typo'd word in a long one.
NEAR = 0.8
# The words that turn a rule around: near-identical questions must have the same ones.
NEGATIONS = frozenset({"not", "no", "never", "nor", "without", "none", "nobodi", "noth"})
# Bounds the work of one key, whatever was pasted.
MAX_WORDS = 64
_WORD = re.compile(r"\w+")
_NOT = re.compile(r"n['’]t\b")


def question_key(text: str) -> str:
    """The normalised question: stemmed lower-case words joined by one space ('' when no word)."""
    folded = _NOT.sub(" not", unicodedata.normalize("NFKC", text).casefold())
    words = [m.group(0) for m in _WORD.finditer(folded)][:MAX_WORDS]
    return " ".join(stem(w) for w in words)


def near_identical(a: str, b: str) -> bool:
    """Whether two keys (from `question_key`) ask the same thing: equal, or one word apart in a long one."""
    if not a or not b:
        return False
    if a == b:
        return True
    sa, sb = set(a.split()), set(b.split())
    if sa & NEGATIONS != sb & NEGATIONS:
        return False
    return len(sa & sb) / len(sa | sb) >= NEAR
