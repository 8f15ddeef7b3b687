"""Roles and actions, and the pure decision "may U do A on P?" from configured ids and group members.

No Slack and no database here: group members come in as a function (the edge passes a cached
resolver, tests a dict), so the decision table is testable on its own. A config entry counts only
in its own kind: a user id (U…/W…) matches that user, a group id (S…) matches the group's members.
So a user whose id happens to be written like a group id is never granted the group's role.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from bot.config import SLACK_GROUP_ID, SLACK_USER_ID


class Role(IntEnum):
    """annotator < lead < manager: a higher role may do everything a lower one may."""

    ANNOTATOR = 0
    LEAD = 1
    MANAGER = 2

    @property
    def label(self) -> str:
        """The role's name as people read it: annotator, lead, manager."""
        return self.name.lower()


class Action(StrEnum):
    """What a user asks to do on a project; the values are stored in the audit table, never renamed."""

    FLAG_FILE = "flag.file"
    FLAG_STATS = "flag.stats"
    FLAG_QUEUE = "flag.queue"
    FLAG_TRIAGE = "flag.triage"
    FLAG_ADJUDICATE = "flag.adjudicate"
    GOLD_ADD = "gold.add"
    DIGEST_POST = "digest.post"
    DIGEST_SCHEDULE = "digest.schedule"
    GUIDELINE_PUBLISH = "guideline.publish"
    AUDIT_VIEW = "audit.view"


# The least role each action needs. Filing and looking at hot spots is everyone's; working the queue
# (assign, comment, adjudicate, add to gold), posting a digest to a channel and managing the project's
# digest schedules from Slack (issue 14) is a lead's; what changes the whole team's material
# (guideline releases) and reading the audit trail is a manager's.
MIN_ROLE: dict[Action, Role] = {
    Action.FLAG_FILE: Role.ANNOTATOR,
    Action.FLAG_STATS: Role.ANNOTATOR,
    Action.FLAG_QUEUE: Role.LEAD,
    Action.FLAG_TRIAGE: Role.LEAD,
    Action.FLAG_ADJUDICATE: Role.LEAD,
    Action.GOLD_ADD: Role.LEAD,
    Action.DIGEST_POST: Role.LEAD,
    Action.DIGEST_SCHEDULE: Role.LEAD,
    Action.GUIDELINE_PUBLISH: Role.MANAGER,
    Action.AUDIT_VIEW: Role.MANAGER,
}

# How a denial names the action: "Only a lead … may <phrase>".
PHRASE: dict[Action, str] = {
    Action.FLAG_FILE: "file flags",
    Action.FLAG_STATS: "see flag statistics",
    Action.FLAG_QUEUE: "see the flag queue",
    Action.FLAG_TRIAGE: "triage flags",
    Action.FLAG_ADJUDICATE: "adjudicate flags",
    Action.GOLD_ADD: "add items to the gold set",
    Action.DIGEST_POST: "post digests to a channel",
    Action.DIGEST_SCHEDULE: "manage digest schedules",
    Action.GUIDELINE_PUBLISH: "publish guidelines",
    Action.AUDIT_VIEW: "read the audit log",
}

# Members of a Slack user group by its id; an unknown or unreadable group has none.
Members = Callable[[str], Collection[str]]


@dataclass(frozen=True)
class Decision:
    """The answer to "may `user` do `action` on `project`?", with the roles needed and held."""

    user: str
    action: Action
    project: str
    allowed: bool
    role_needed: Role
    role_had: Role

    @property
    def audited(self) -> bool:
        """Every denial and every privileged action (one above annotator) goes to the audit table."""
        return not self.allowed or self.role_needed > Role.ANNOTATOR


def no_groups(group_id: str) -> Collection[str]:
    """The members of every group when no resolver is configured: none."""
    return ()


def _holds(user: str, entries: Iterable[str], members: Members) -> bool:
    entries = tuple(entries)
    # Direct ids first: they cost nothing, groups may cost a Slack call.
    if SLACK_USER_ID.fullmatch(user) and user in entries:
        return True
    return any(SLACK_GROUP_ID.fullmatch(e) and user in members(e) for e in entries)


def role_of(user: str, leads: Iterable[str], managers: Iterable[str], members: Members = no_groups) -> Role:
    """The user's role on a project whose config lists `leads` and `managers`; else annotator."""
    if _holds(user, managers, members):
        return Role.MANAGER
    if _holds(user, leads, members):
        return Role.LEAD
    return Role.ANNOTATOR


def decide(
    user: str,
    action: Action,
    project: str,
    leads: Iterable[str],
    managers: Iterable[str],
    members: Members = no_groups,
) -> Decision:
    """Whether `user` may do `action` on `project`: their role is at least the action's MIN_ROLE."""
    needed = MIN_ROLE[action]
    had = role_of(user, leads, managers, members)
    return Decision(user, action, project, had >= needed, needed, had)
