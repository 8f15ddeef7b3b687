"""Features of text that plain stemmed words miss, extracted alike from queries and sections (issue 15).

Two families, each a token that can never be a stem (stems are `\\w+`; these start with a sign):

- **kept words** (item 2): what a stop list throws away but a guideline rule turns on. A negation and
  the word it negates (`¬bad` from "not bad", `¬complaint` from "no complaints", "doesn't disappoint"),
  a comparison of two things (`~mix|neutral` from "neutral vs mixed", "between Neutral and Mixed",
  "positive or mixed"), and a stop word written in quotes (`'the` from `"the"` or 'the').
- **surface cues** (item 5): what a pasted item shows rather than says: a percentage, an amount with a
  currency, a scale suffix (20k, 1.2bn), a number in figures and words, accounting parentheses, a
  duration, a date, emoji (each one, and any), a star rating (★★☆☆☆, 4/5, "five stars"), negated
  negatives (litotes: "not bad", "not the worst"), a phone number or an email address.

`features(text)` is run on every section when a version is published and on the query at lookup, so a
pasted review with "20% lighter" meets the section whose examples contain "10%".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guidelines.search.words import STOPWORDS, stem, stems

NEGATIONS = frozenset({"not", "no", "never", "without", "nor", "cannot", "nothing", "none", "nobody"})
COMPARATORS = frozenset({"vs", "versus", "or"})
# Skipped between a negation and the word it negates: "not as good", "not the worst", "not at all bad".
_FILLERS = frozenset(
    "a an the as so too very at all that quite really even any i it s be been is was that's it's".split()
)
# Words whose negation is praise (litotes): "not bad", "no complaints", "can't fault it".
_NEGATIVE_WORDS = frozenset(
    stem(w)
    for w in (
        "bad worst terrible awful horrible poor disappoint disappointed disappointing complaint complaints "
        "complain unhappy regret fault wrong hate worse problem problems issue issues broken"
    ).split()
)
_TOKEN = re.compile(r"\w+(?:['’]\w+)*")

_CURRENCY_CODES = "usd|eur|gbp|chf|jpy|cad|aud|inr|cny|sek|nok|dkk"
_CURRENCY_WORDS = "dollars?|euros?|pounds?|yen|francs?|rupees?|cents?"
_NUMBER = r"\d[\d,.]*"
_SURFACE = {
    "percent": re.compile(rf"{_NUMBER}\s?%|\bper ?cent\b|\bpercent(?:age)?s?\b", re.I),
    "currency": re.compile(
        rf"[$€£¥₹]\s?{_NUMBER}|{_NUMBER}\s?[$€£¥₹]|\b(?:{_CURRENCY_CODES})\s?{_NUMBER}"
        rf"|{_NUMBER}\s?(?:[kmb]|bn|mn|million|billion|thousand)?\s?(?:{_CURRENCY_CODES}|{_CURRENCY_WORDS})\b",
        re.I,
    ),
    "scale": re.compile(r"\b\d[\d,.]*\s?(?:k|m|bn|mn)\b|\b\d[\d,.]*\s(?:million|billion)\b", re.I),
    "words-and-figures": re.compile(
        r"\b[a-z]+(?:[- ][a-z]+)*\s\(\d[\d,.]*\)|\d[\d,.]*\s\((?:[a-z]+[- ]){1,}[a-z]+\)", re.I
    ),
    "accounting": re.compile(r"\(\s?[$€£¥₹]\s?\d[\d,.]*\s?\)|\(\d{1,3}(?:,\d{3})+(?:\.\d+)?\)"),
    "duration": re.compile(
        r"(?:\b\d+|\(\d+\))\s?(?:\(\d+\)\s)?(?:days?|weeks?|months?|years?|hours?|minutes?)\b", re.I
    ),
    "date": re.compile(
        r"\b\d{1,2}\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s\d{4}\b"
        r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s\d{1,2},?\s\d{4}\b"
        r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
        re.I,
    ),
    "stars": re.compile(
        r"[★☆✩✪⭐]|\b\d{1,2}\s?/\s?(?:5|10)\b|\b(?:\d|one|two|three|four|five|zero)[- ]stars?\b", re.I
    ),
    "table": re.compile(r"\S[^|\n]*\|[^|\n]+\|"),
    "phone": re.compile(r"(?:\+\d{1,3}[\s-]?)?\(?\d{3,4}\)?[\s-]\d{3,4}[\s-]\d{3,4}\b"),
    "email": re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b"),
}
# Pictographs, dingbats, symbols and flags; keycaps and the variation selector are not emoji alone.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\U0001f1e6-\U0001f1ff]")
_EMOTICON = re.compile(r"(?:^|\s)(?::-?[()DPp]|;-?\)|:'\()(?=\s|$)")
_STAR_CHARS = frozenset("★☆✩✪⭐")

# How the answer names each cue ("matched on: a percentage, a currency amount").
CUE_NAMES = {
    "percent": "a percentage",
    "currency": "a currency amount",
    "scale": "a number with a scale (k, m, bn)",
    "words-and-figures": "a number in words and figures",
    "accounting": "a number in parentheses",
    "duration": "a duration",
    "date": "a date",
    "stars": "a star rating",
    "table": "a table row",
    "phone": "a phone number",
    "email": "an email address",
    "emoji": "an emoji",
    "litotes": "a negated negative",
}
CUE_PREFIX = "#"
# Section text that names a cue governs items showing it: "a phone number" in the flags section is
# what a pasted review with a phone number needs. Read in sections only (a query's words are words).
_CUE_WORDS = {
    "percent": re.compile(r"\bpercent(?:ages?)?\b|\brates?\b", re.I),
    "currency": re.compile(r"\bcurrenc(?:y|ies)\b|\bamounts?\b", re.I),
    "scale": re.compile(r"\bscale words?\b|\babbreviat\w*", re.I),
    "words-and-figures": re.compile(r"\bin words\b|\bwords and figures\b", re.I),
    "table": re.compile(r"\btables?\b|\bschedules?\b", re.I),
    "stars": re.compile(r"\bstar ratings?\b|\bstars\b", re.I),
    "emoji": re.compile(r"\bemoji\w*|\bemoticons?\b", re.I),
    "phone": re.compile(r"\bphone numbers?\b", re.I),
    "email": re.compile(r"\bemail address(?:es)?\b", re.I),
    "date": re.compile(r"\bdates?\b", re.I),
    "duration": re.compile(r"\bdurations?\b|\bperiods?\b", re.I),
    "litotes": re.compile(r"\bnegated negatives?\b|\blitotes\b|\bdouble negati\w+", re.I),
}
_QUESTION_WORDS = frozenset(
    "what how when where which who whom whose why should shall do does did is are can could may must "
    "would will if any anyone".split()
)


def _negated(tokens: list[str], i: int) -> str | None:
    """The stem of the word a negation at `i` applies to, skipping fillers (at most three)."""
    for j in range(i + 1, min(i + 5, len(tokens))):
        w = tokens[j]
        if w in NEGATIONS:
            return None  # "not not", "no, no": the next negation starts its own feature
        if w not in _FILLERS and w not in STOPWORDS:
            return stem(w)
    return None


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith(("n't", "n’t"))


def kept_word_features(text: str) -> list[str]:
    """Negated words, compared pairs and quoted stop words, in order of appearance."""
    lowered = text.lower()
    tokens = [m.group(0) for m in _TOKEN.finditer(lowered)]
    out: list[str] = []
    for i, w in enumerate(tokens):
        if _is_negation(w):
            target = _negated(tokens, i)
            if target:
                out.append("¬" + target)
        elif w in COMPARATORS and 0 < i < len(tokens) - 1:
            left, right = tokens[i - 1], tokens[i + 1]
            if left not in STOPWORDS and right not in STOPWORDS:
                out.append("~" + "|".join(sorted((stem(left), stem(right)))))
        elif w == "between" and i + 3 < len(tokens) and tokens[i + 2] == "and":
            left, right = tokens[i + 1], tokens[i + 3]
            if left not in STOPWORDS and right not in STOPWORDS:
                out.append("~" + "|".join(sorted((stem(left), stem(right)))))
    for m in re.finditer(r"[\"'“‘`]\s*(\w+)\s*[\"'”’`]", lowered):
        if m.group(1) in STOPWORDS:
            out.append("'" + m.group(1))
    return out


def _cue_counts(text: str) -> dict[str, int]:
    """How often each surface cue occurs in a text (only those that occur), in CUE_NAMES order."""
    counts = {name: len(rx.findall(text)) for name, rx in _SURFACE.items()}
    counts["emoji"] = len([c for c in _EMOJI.findall(text) if c not in _STAR_CHARS])
    counts["emoji"] += len(_EMOTICON.findall(text))
    counts["litotes"] = sum(
        1 for f in kept_word_features(text) if f.startswith("¬") and f[1:] in _NEGATIVE_WORDS
    )
    return {name: n for name, n in counts.items() if n}


def surface_cues(text: str) -> list[str]:
    """The names of the surface cues of a text (keys of CUE_NAMES), each once, in a fixed order."""
    return list(_cue_counts(text))


def emoji_features(text: str) -> list[str]:
    """Each distinct emoji of a text as a feature (`#e:🙄`): a section listing 🙄 meets a review ending in it."""
    seen = dict.fromkeys(c for c in _EMOJI.findall(text) if c not in _STAR_CHARS)
    return [f"{CUE_PREFIX}e:{c}" for c in seen]


def features(text: str) -> list[str]:
    """Every feature of a section's text, as often as it occurs (its term frequency): kept-word
    features, surface cues (`#percent`) and emoji (`#e:🙄`)."""
    counts = _cue_counts(text)
    for name, rx in _CUE_WORDS.items():
        counts[name] = counts.get(name, 0) + len(rx.findall(text))
    cues = [CUE_PREFIX + c for c, n in counts.items() for _ in range(n)]
    emoji = [f"{CUE_PREFIX}e:{c}" for c in _EMOJI.findall(text) if c not in _STAR_CHARS]
    return [*kept_word_features(text), *cues, *emoji]


def query_features(text: str) -> tuple[list[str], QueryShape]:
    """The features a query is matched on, each once: kept-word features (and a negated negative)
    always; surface cues and emoji only when the query looks like a pasted item (a question about
    percentages is not one)."""
    shape = query_shape(text)
    found = kept_word_features(text)
    if shape.looks_like_item:
        found += [CUE_PREFIX + c for c in shape.cues] + emoji_features(text)
    elif "litotes" in shape.cues:
        found.append(CUE_PREFIX + "litotes")  # "what if they write not the worst" asks about litotes
    words = [m.group(0).lower() for m in _TOKEN.finditer(text)]
    if words and not found and all(w in STOPWORDS for w in words):
        # Nothing but stop words ("the", "a or an"): asked about those words, as if quoted.
        found = ["'" + w for w in words]
    return list(dict.fromkeys(found)), shape


@dataclass(frozen=True)
class QueryShape:
    """What kind of query this is: an item pasted as is, or a question about the rules."""

    looks_like_item: bool
    cues: tuple[str, ...]  # surface cue names found in the query


def query_shape(text: str) -> QueryShape:
    """An item: quoted text, or no question word and either longer than a sentence or with a surface cue."""
    stripped = text.strip()
    cues = tuple(surface_cues(stripped))
    words = [m.group(0).lower() for m in _TOKEN.finditer(stripped)]
    quoted = len(stripped) > 2 and stripped[0] in "\"“'" and stripped[-1] in "\"”'"
    asks = "?" in stripped or bool(words and words[0] in _QUESTION_WORDS)
    sentences = [s for s in re.split(r"[.!?\n]+", stripped) if s.strip()]
    long_ = len(sentences) > 1 or len(words) > 12
    no_words = bool(stripped) and not any(w not in STOPWORDS for w in words)
    item = quoted or (not asks and (long_ or bool(cues) or no_words))
    return QueryShape(item, cues)


MAX_FEATURE = 100  # the stored column's width; longer ones (two very long words compared) are dropped


def section_terms(
    title: str, path_text: str, plain: str
) -> tuple[tuple[list[str], list[str], list[str]], list[str]]:
    """A section's ranking fields (title, path, body: stems then features) and its distinct features."""
    fields = tuple(
        [*stems(text), *(f for f in features(text) if len(f) <= MAX_FEATURE)]
        for text in (title, path_text, plain)
    )
    distinct = sorted({t for f in fields for t in f if not t[0].isalnum() and t[0] != "_"})
    return fields, distinct  # type: ignore[return-value]
