"""The guideline a question is assumed to be about, and why (pure data for the answer's builder).

Where it comes from (a guideline named in the question, a thread's last answer, a project's channel, a
DM's last question) is read in bot/store/guide_context.py; how it reorders the ranking is
`guidelines.search.ranking.context_key`.
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
