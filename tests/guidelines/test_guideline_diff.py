"""Section and metadata differences between two guideline versions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from guidelines.diff import diff_guidelines, meta_changes
from guidelines.model import GuidelineMeta


@dataclass(frozen=True)
class S:
    """A minimal SectionLike, as the store would hand back."""

    anchor: str
    title: str
    body: str
    aliases: tuple[str, ...] = ()


OLD = [
    S("intro", "Intro", "Welcome."),
    S("insults", "Insults", "Insults are toxic.\nSlurs are toxic."),
    S("sarcasm", "Sarcasm", "Judge by intent."),
    S("spam", "Spam", "Spam is not toxic."),
    S("legacy", "Legacy", "Old rule."),
]


def test_each_kind_and_order() -> None:
    new = [
        S("threats", "Threats", "Threats are toxic."),  # added, first in new order
        S("intro", "Intro", "Welcome.  \n\n"),  # trailing whitespace and blank lines only: unchanged
        S("sarcasm", "Sarcasm and irony", "Judge by intent."),  # renamed, body same
        S("insults", "Insults", "Insults are toxic.\nSlurs are always toxic."),  # changed
        S("memes", "Memes", "Read the image."),  # added
    ]
    diff = diff_guidelines("toxicity", "1.0.0", OLD, "1.1.0", new)
    assert (diff.guideline, diff.old_version, diff.new_version) == ("toxicity", "1.0.0", "1.1.0")
    assert [(e.anchor, e.kind, e.old_title, e.new_title) for e in diff.entries] == [
        ("threats", "added", None, "Threats"),
        ("sarcasm", "renamed", "Sarcasm", "Sarcasm and irony"),
        ("insults", "changed", "Insults", "Insults"),
        ("memes", "added", None, "Memes"),
        ("spam", "removed", "Spam", None),
        ("legacy", "removed", "Legacy", None),
    ]
    assert diff.anchors("removed") == ["spam", "legacy"]
    by_anchor = {e.anchor: e for e in diff.entries}
    assert by_anchor["sarcasm"].unified_diff == ""
    assert by_anchor["threats"].unified_diff == ""
    assert by_anchor["spam"].unified_diff == ""
    assert by_anchor["insults"].unified_diff == (
        "--- toxicity@1.0.0#insults\n"
        "+++ toxicity@1.1.0#insults\n"
        "@@ -1,2 +1,2 @@\n"
        " Insults are toxic.\n"
        "-Slurs are toxic.\n"
        "+Slurs are always toxic."
    )


def test_rename_with_body_change_carries_the_diff() -> None:
    new = [S("spam", "Spam and ads", "Spam is not toxic.\nAds neither.")]
    diff = diff_guidelines("toxicity", "1.0.0", OLD[3:4], "2.0.0", new)
    (entry,) = diff.entries
    assert entry.kind == "renamed"
    assert entry.unified_diff.splitlines()[:2] == ["--- toxicity@1.0.0#spam", "+++ toxicity@2.0.0#spam"]
    assert "+Ads neither." in entry.unified_diff.splitlines()


def test_identical_versions_have_no_entries() -> None:
    diff = diff_guidelines("toxicity", "1.0.0", OLD, "1.0.1", list(OLD))
    assert diff.entries == ()
    assert diff.meta_changes == ()


def test_indentation_change_is_a_change() -> None:
    old = [S("a", "A", "    code")]
    new = [S("a", "A", "code")]
    assert diff_guidelines("g", "1.0.0", old, "1.0.1", new).anchors("changed") == ["a"]


META = GuidelineMeta(
    slug="sentiment",
    title="Sentiment",
    version="1.0.0",
    labels=("negative", "neutral", "positive"),
    scale="ordinal",
    owners=("ana",),
    effective_date=date(2024, 1, 1),
    changelog="first",
)


def test_meta_changes() -> None:
    new = replace(
        META,
        version="2.0.0",
        title="Sentiment (v2)",
        labels=("negative", "mixed", "positive"),
        scale="nominal",
        owners=("ana", "bo"),
        effective_date=None,
        changelog="second",
    )
    assert meta_changes(META, new) == (
        'title: "Sentiment" → "Sentiment (v2)"',
        "labels: +mixed, -neutral",
        "scale: ordinal → nominal",
        "owners: +bo",
        "effective_date: 2024-01-01 → (none)",
    )


def test_label_reorder_is_reported() -> None:
    new = replace(META, labels=("positive", "neutral", "negative"))
    assert meta_changes(META, new) == (
        "labels reordered: negative, neutral, positive → positive, neutral, negative",
    )


def test_version_and_changelog_alone_are_not_meta_changes() -> None:
    assert meta_changes(META, replace(META, version="1.0.1", changelog="typo fixes")) == ()


def test_diff_includes_meta_changes_only_with_both_metas() -> None:
    new_meta = replace(META, labels=(*META.labels, "mixed"))
    with_meta = diff_guidelines("sentiment", "1.0.0", OLD, "1.1.0", OLD, META, new_meta)
    assert with_meta.meta_changes == ("labels: +mixed",)
    assert diff_guidelines("sentiment", "1.0.0", OLD, "1.1.0", OLD, META, None).meta_changes == ()
