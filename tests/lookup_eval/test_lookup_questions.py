"""The evaluation set of `/guide` (bench/lookup_questions.toml) is well formed, balanced and not copied."""

from __future__ import annotations

import re
import tomllib
from collections import Counter

import pytest

from bench.lookup_quality import EXAMPLES, KINDS, QUESTIONS, current_folders, load_questions
from guidelines.parse import load_guideline
from guidelines.plaintext import markdown_to_plain

FIELDS = {"id", "kind", "guideline", "text", "anchors"}
OPTIONAL = {"project"}
MIN_PER_KIND = {"keyword": 60, "paraphrase": 60, "pasted": 60, "short": 40}
PREFIX = {"product-sentiment": "ps", "contract-ner": "cn", "query-relevance": "qr"}
KIND_CODE = {"keyword": "kw", "paraphrase": "pa", "pasted": "pi", "short": "sh"}
RUN = 8  # words in a row that a question may not share with a section's text


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    with QUESTIONS.open("rb") as f:
        return tomllib.load(f)["question"]


@pytest.fixture(scope="module")
def published() -> dict[str, set[str]]:
    """Anchors of the current (latest published) version of each example guideline."""
    return {
        folder.parent.name: {s.anchor for s in load_guideline(folder).sections}
        for folder in current_folders()
    }


def test_fields_and_types(raw: list[dict]) -> None:
    for q in raw:
        assert FIELDS <= q.keys() <= FIELDS | OPTIONAL, q
        assert all(isinstance(q[k], str) and q[k].strip() for k in FIELDS - {"anchors"}), q
        assert q.get("project", "x") and isinstance(q.get("project", ""), str), q
        assert isinstance(q["anchors"], list) and q["anchors"], q
        assert q["kind"] in KINDS, q


def test_ids_are_unique_and_named_by_guideline_and_kind(raw: list[dict]) -> None:
    ids = [q["id"] for q in raw]
    assert len(ids) == len(set(ids))
    for q in raw:
        assert re.fullmatch(rf"{PREFIX[q['guideline']]}-{KIND_CODE[q['kind']]}-\d\d", q["id"]), q["id"]


def test_every_anchor_is_a_section_of_the_guideline_asked_about(raw: list[dict], published: dict) -> None:
    assert set(published) == set(PREFIX)
    for q in raw:
        assert len(q["anchors"]) == len(set(q["anchors"])), q["id"]
        for ref in q["anchors"]:
            slug, _, anchor = ref.partition("#")
            assert slug == q["guideline"], (q["id"], ref)
            assert anchor in published[slug], (q["id"], ref)


def test_counts_by_kind_and_guideline(raw: list[dict]) -> None:
    assert len(raw) >= 220
    kinds = Counter(q["kind"] for q in raw)
    for kind, least in MIN_PER_KIND.items():
        assert kinds[kind] >= least, (kind, kinds[kind])
    per_guideline = Counter(q["guideline"] for q in raw)
    assert all(n >= 60 for n in per_guideline.values()), per_guideline


def test_short_questions_have_one_or_two_words(raw: list[dict]) -> None:
    for q in raw:
        if q["kind"] == "short":
            assert 1 <= len(q["text"].split()) <= 2, q["id"]


def test_no_duplicate_questions(raw: list[dict]) -> None:
    texts = Counter(" ".join(q["text"].lower().split()) for q in raw)
    assert [t for t, n in texts.items() if n > 1] == []


def test_the_hard_cases_are_there(raw: list[dict]) -> None:
    """Negation, articles and "X vs Y": the words a stop list drops."""
    words = [set(_words(q["text"])) for q in raw]
    assert sum(1 for w in words if w & {"not", "no", "don", "t"}) >= 8
    assert sum(1 for w in words if w & {"the", "a", "an"}) >= 20
    assert sum(1 for w in words if w & {"vs", "versus"}) >= 5


def test_no_question_copies_a_section(raw: list[dict]) -> None:
    """No question shares a run of 8 words with the text of any section of any example version."""
    runs: set[tuple[str, ...]] = set()
    for guideline in EXAMPLES.iterdir():
        for folder in guideline.glob("v*"):
            for s in load_guideline(folder).sections:
                w = _words(markdown_to_plain(s.body))
                runs.update(tuple(w[i : i + RUN]) for i in range(len(w) - RUN + 1))
    for q in raw:
        w = _words(q["text"])
        shared = [" ".join(w[i : i + RUN]) for i in range(len(w) - RUN + 1) if tuple(w[i : i + RUN]) in runs]
        assert shared == [], (q["id"], shared)


def test_loader_reads_every_question(raw: list[dict]) -> None:
    questions = load_questions()
    assert [q.id for q in questions] == [q["id"] for q in raw]
    assert all(q.anchors for q in questions)
