"""The guideline a question is assumed to be about, and why (pure data for the answer's builder).

Where it comes from (a guideline named in the question, a thread's last answer, a project's channel, a
DM's last question) is read in bot/store/guide_context.py; how it reorders the ranking is
`guidelines.search.ranking.context_key`, with the strength `boost_for` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

# Why a guideline was assumed, strongest first: named in the question, the thread's last answer,
# the channel's project, the DM's last question.
WHY = ("named", "thread", "project", "dm")


@dataclass(frozen=True)
class Assumed:
    """The guideline a search ranks first, and why (one of WHY)."""

    slug: str
    title: str
    why: str
    project: str = ""  # for "project": the project whose channel it is
    channel: str = ""  # the channel or DM id asked in


# A guessed guideline (channel, thread, DM) multiplies its sections' scores by this; a named one ranks
# first outright. Chosen on the evaluation set (BENCHMARKS.md "with channel context"): asked in the
# right channel, x1.5 keeps nearly all of a strict partition's gain; asked about another project's
# guideline, it costs 7.6 points of top-1 where the partition costs 56.
CONTEXT_BOOST = 1.5


def boost_for(assumed: Assumed) -> float | None:
    """The score factor for the assumed guideline's sections; None: all of them first (named)."""
    return None if assumed.why == "named" else CONTEXT_BOOST
