"""Words as search sees them: the stop list and Snowball stems, alike on both backends."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

# PostgreSQL's 'english' configuration drops these (Snowball's English stop list). Dropping the
# same words before SQLite sees them keeps ranking alike on both backends.
STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had having do does did doing a an the and but if or
    because as until while of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too very s t can
    will just don should now""".split()
)
_WORD = re.compile(r"\w+")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball English stem of a lower-case word (PostgreSQL's 'english' configuration uses the same)."""
    return _STEMMER.stemWord(word)[:100]


def stems(text: str) -> list[str]:
    """The searchable words of a text as stems, in order (stop words dropped)."""
    return [stem(w) for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in STOPWORDS]
