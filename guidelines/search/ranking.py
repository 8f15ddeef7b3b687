"""Search ranking, one for both backends: the query language, stems, and BM25F over candidates.

The store (bot/store/search.py) chooses candidate sections from the stored stems (a small corpus) or
the integer postings of `postings.py` (a large one), alike on both backends, then orders them with
`bm25f`. The FTS5 and tsquery expressions built here only cut snippets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

# The words (stop list, stems) and the features beside them live in their own modules; the names
# are re-exported here, the one module the store's search imports (docs/architecture.md).
from guidelines.search.features import (  # noqa: F401  (re-exported)
    CUE_NAMES,
    CUE_PREFIX,
    QueryShape,
    query_features,
)
from guidelines.search.words import STOPWORDS, stem, stems  # noqa: F401  (re-exported)

MAX_TERMS = 32  # bounds the work of one query, whatever was typed
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ParsedQuery:
    """Words and phrases to look for (any of them), and words that must not occur."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing searchable is left."""
        return not self.terms and not self.phrases


def _words(text: str, keep_stopwords: bool = False) -> list[str]:
    words = [m.group(0).lower() for m in _WORD.finditer(text)]
    if keep_stopwords and any(w not in STOPWORDS for w in words):
        # Inside a phrase stop words hold positions: FTS5 needs them to match "read the words",
        # and PostgreSQL turns them into a distance operator itself.
        return words
    return [w for w in words if w not in STOPWORDS]


def parse_query(text: str) -> ParsedQuery:
    """Web-search style: words, "quoted phrases", -excluded words; operators are plain words."""
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    budget = MAX_TERMS
    for m in _CHUNK.finditer(text):
        if budget <= 0:
            break
        negated = bool(m.group(1) or m.group(3))
        quoted = m.group(2) is not None
        words = _words(m.group(2), keep_stopwords=True) if quoted else _words(m.group(4))
        if not words:
            continue
        budget -= len(words)
        if negated:
            excluded.extend(w for w in words if w not in excluded)
        elif quoted and len(words) > 1:
            phrases.append(tuple(words))
        else:
            terms.extend(w for w in words if w not in terms)
    return ParsedQuery(tuple(terms), tuple(phrases), tuple(excluded))


def _fts5_string(words: tuple[str, ...] | list[str]) -> str:
    # Words are \w+ only, so a double-quoted FTS5 string needs no escaping.
    return '"' + " ".join(words) + '"'


def to_fts5(q: ParsedQuery) -> str:
    """An FTS5 MATCH expression: any positive term or phrase, none of the excluded."""
    positives = [_fts5_string([t]) for t in q.terms] + [_fts5_string(p) for p in q.phrases]
    expr = " OR ".join(positives)
    if q.excluded:
        expr = f"({expr}) NOT ({' OR '.join(_fts5_string([w]) for w in q.excluded)})"
    return expr


def to_websearch(q: ParsedQuery) -> tuple[str, str]:
    """websearch_to_tsquery inputs: (any of the positives, any of the excluded)."""
    positives = list(q.terms) + ['"' + " ".join(p) + '"' for p in q.phrases]
    return " or ".join(positives), " or ".join(q.excluded)


# --- BM25F ---------------------------------------------------------------

K1 = 0.6
B = 0.3
# Field weights: a word in the title says far more about a section than one in its body.
WEIGHTS = (6.0, 3.0, 1.0)  # title, path, body: chosen by bench/lookup_tune.py on the tuning half
# An alias is another title the author gave the section ("snark" for Sarcasm): its words weigh like
# title words, but only when the query has every word of the alias: "copy" in "the saved copy" is
# not the alias "copy-paste", and would put the spam section first. Aliases are not
# length-normalised: a section with five aliases is no less that section for each of them, and how
# many other sections declare aliases must not change its weight.
ALIAS_WEIGHT = WEIGHTS[0]
ALIAS_SEPARATOR = ","  # between the aliases in the stored alias field; stems never contain it


def alias_stems(aliases: Sequence[str]) -> list[str]:
    """The alias field as stored: each alias's stems, aliases separated by ALIAS_SEPARATOR."""
    out: list[str] = []
    for alias in aliases:
        words = stems(alias)
        if words:
            out.extend([*([ALIAS_SEPARATOR] if out else []), *words])
    return out


def _matched_alias_words(field: Sequence[str], query: set[str]) -> list[str]:
    """The stems of the aliases whose every word is in the query."""
    matched: list[str] = []
    alias: list[str] = []
    for token in [*field, ALIAS_SEPARATOR]:
        if token != ALIAS_SEPARATOR:
            alias.append(token)
            continue
        if alias and query.issuperset(alias):
            matched.extend(alias)
        alias = []
    return matched


# A section whose every title word is in the query is the section the query names ("decision order
# when a mention could take two labels" names Decision order; "what makes a review Negative" names
# Negative): its BM25F score is raised by this fraction. BM25F alone let a longer section that shares
# one title word and many body words come first. Chosen on the tuning half of bench/lookup_questions.toml
# (odd ids), confirmed on the held-out half (BENCHMARKS.md, "Sections the query names").
TITLE_NAMED_BOOST = 0.3


def names_title(title_field: str, query: set[str] | frozenset[str]) -> bool:
    """True when the stored title field (space-separated stems, then features) has at least one stem and
    every one of its stems is among the query's stems: the query names the section. Features are left out."""
    words = [t for t in title_field.split() if t[0].isalnum() or t[0] == "_"]
    return bool(words) and query.issuperset(words)


def named_score(score: float, title_field: str, query: set[str] | frozenset[str]) -> float:
    """`score` raised by TITLE_NAMED_BOOST when the query names the section (`names_title`)."""
    return score * (1 + TITLE_NAMED_BOOST) if score > 0 and names_title(title_field, query) else score


@dataclass(frozen=True)
class CorpusStats:
    """What BM25 needs to know about the whole corpus."""

    sections: int
    avg_lengths: tuple[float, float, float]  # title, path, body, in searchable words


def bm25f(
    fields: Sequence[Sequence[str]],
    query: Sequence[str],
    df: Mapping[str, int],
    corpus: CorpusStats,
    boosts: Mapping[str, float] | None = None,
) -> float:
    """Score one section for the query stems (each times its boost, default 1): `fields` are its title,
    path and body as stem lists, and optionally its alias field (`alias_stems`)."""
    texts = fields[:3]
    aliases = _matched_alias_words(fields[3], set(query)) if len(fields) > 3 else []
    norms = [
        1 - B + B * (len(f) / avg if avg > 0 else 1.0)
        for f, avg in zip(texts, corpus.avg_lengths, strict=True)
    ]
    score = 0.0
    for term in dict.fromkeys(query):
        tf = ALIAS_WEIGHT * aliases.count(term)
        for weight, field, norm in zip(WEIGHTS, texts, norms, strict=True):
            n_term = field.count(term)
            if n_term:
                tf += weight * n_term / norm
        if tf:
            n = df.get(term, 1)
            idf = math.log(1 + (corpus.sections - n + 0.5) / (n + 0.5))
            score += (boosts.get(term, 1.0) if boosts else 1.0) * idf * tf * (K1 + 1) / (K1 + tf)
    return score


def bm25f_text(
    fields: Sequence[str],
    query: Sequence[str],
    df: Mapping[str, int],
    corpus: CorpusStats,
    boosts: Mapping[str, float] | None = None,
) -> float:
    """`bm25f` of fields given as stored (space-separated stems): the same score, without splitting.

    Counting " term " in " field " is a C loop; splitting hundreds of candidates into lists was most of
    the rerank's time.
    """
    # Doubled spaces: str.count does not overlap, and " a " twice in " a a " shares a space.
    texts = fields[:3]
    aliases = _matched_alias_words(fields[3].split(), set(query)) if len(fields) > 3 else []
    padded = [f"  {f.replace(' ', '  ')}  " for f in texts]
    lengths = [f.count(" ") + 1 if f else 0 for f in texts]
    norms = [
        1 - B + B * (n / avg if avg > 0 else 1.0) for n, avg in zip(lengths, corpus.avg_lengths, strict=True)
    ]
    score = 0.0
    for term in dict.fromkeys(query):
        needle = f" {term} "
        tf = ALIAS_WEIGHT * aliases.count(term)
        for weight, field, norm in zip(WEIGHTS, padded, norms, strict=True):
            n_term = field.count(needle)
            if n_term:
                tf += weight * n_term / norm
        if tf:
            n = df.get(term, 1)
            idf = math.log(1 + (corpus.sections - n + 0.5) / (n + 0.5))
            score += (boosts.get(term, 1.0) if boosts else 1.0) * idf * tf * (K1 + 1) / (K1 + tf)
    return score


# --- context -------------------------------------------------------------


def context_key(score: float, in_context: bool, boost: float | None = None) -> tuple[int, float]:
    """A sort key (ascending) for a section scored `score`: with `boost` None a strict partition,
    every matching section of the context guideline before every other; else their scores times `boost`
    (guidelines.search.context.boost_for says which).

    Outside any context (`in_context` False for all) both order by score alone.
    """
    if boost is None:
        return (0 if in_context else 1, -score)
    return (0, -score * boost if in_context else -score)


_T = TypeVar("_T")


def keep_one_other(ranked: Sequence[_T], in_context: Callable[[_T], bool], limit: int) -> list[_T]:
    """The first `limit` of `ranked` (context sections first); when they are all the context
    guideline's, the best section of another guideline takes the last place: others stay in view."""
    top = list(ranked[:limit])
    if limit < 2 or len(ranked) <= limit or not all(in_context(x) for x in top):
        return top
    other = next((x for x in ranked[limit:] if not in_context(x)), None)
    return top if other is None else [*top[:-1], other]
