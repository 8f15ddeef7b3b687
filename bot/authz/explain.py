"""What a denied user is told: plain text (`DeniedError`, escaped by the edge) or mrkdwn."""

from __future__ import annotations

from collections.abc import Sequence

from bot.authz.roles import PHRASE, Decision, Role
from bot.slack.blocks.mrkdwn import escape

# Who holds at least the role: a manager may do whatever a lead may.
_WHO = {Role.LEAD: "a lead or a manager", Role.MANAGER: "a manager"}
_ARTICLE = {Role.ANNOTATOR: "an annotator", Role.LEAD: "a lead", Role.MANAGER: "a manager"}


def denial_message(decision: Decision) -> str:
    """E.g. "Only a lead or a manager of project reviews-q4 may adjudicate flags; you are an annotator."."""
    if decision.allowed:
        raise ValueError("a denial message explains denials only")
    who = _WHO.get(decision.role_needed, _ARTICLE[decision.role_needed])
    return (
        f"Only {who} of project {decision.project} may {PHRASE[decision.action]}; "
        f"you are {_ARTICLE[decision.role_had]}."
    )


def denial_text(decision: Decision) -> str:
    """`denial_message` as mrkdwn, the project name escaped (for blocks built by hand)."""
    return escape(denial_message(decision))


def denial_message_any(decision: Decision, projects: Sequence[str]) -> str:
    """A denial on every project of `projects`, e.g. "Only a lead or a manager of a project may …"."""
    if decision.allowed:
        raise ValueError("a denial message explains denials only")
    who = _WHO.get(decision.role_needed, _ARTICLE[decision.role_needed])
    return (
        f"Only {who} of a project may {PHRASE[decision.action]}; "
        f"you are not one in any of {', '.join(projects)}."
    )
