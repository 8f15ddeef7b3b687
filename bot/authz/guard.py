"""`Authorizer.may` over the configured projects, and `authorize`: decide and audit in one call.

The edges (Slack listeners, the CLI) call `authorize` (or `require`, which raises `DeniedError`)
before a privileged action. The audit row is written in its own short transaction, so a denial is on
record whatever the caller does next (an error it raises, a rollback of its own work); an allowed
privileged action is recorded as attempted. Both may ask Slack for a group's members (cached) and
write to the database: call them after the ack (`after_ack`, `after_validation`), not before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.authz.explain import denial_message
from bot.authz.groups import GroupResolver
from bot.authz.roles import Action, Decision, Members, Role, decide, no_groups, role_of
from bot.config import Config, ProjectConfig
from bot.errors import DeniedError
from bot.store import audit
from bot.store.db import session_scope


class Authorizer:
    """Answers "may U do A on P?" from the config's `leads`/`managers` and Slack group members."""

    def __init__(self, projects: Sequence[ProjectConfig], members: Members = no_groups) -> None:
        """Roles of `projects`; `members` resolves user groups (a `GroupResolver`, or none)."""
        self._projects = {p.name: p for p in projects}
        self._members = members

    @classmethod
    def from_config(cls, config: Config, client: WebClient) -> Authorizer:
        """The app's authorizer: the config's projects, groups resolved through `client`."""
        return cls(config.projects, GroupResolver(client))

    def role(self, user: str, project: str) -> Role:
        """The user's role on the project; everyone is an annotator of a project the config lacks."""
        config = self._projects.get(project)
        if config is None:
            return Role.ANNOTATOR
        return role_of(user, config.leads, config.managers, self._members)

    def may(self, user: str, action: Action, project: str) -> Decision:
        """Whether `user` may do `action` on `project`, with the role needed and the role held."""
        config = self._projects.get(project)
        leads, managers = (config.leads, config.managers) if config is not None else ((), ())
        return decide(user, action, project, leads, managers, self._members)


def audit_decision(session: Session, decision: Decision, detail: str = "") -> None:
    """Write the decision to the audit table in the caller's transaction (with the change it allows)."""
    audit.record(
        session,
        user_id=decision.user,
        action=decision.action.value,
        project=decision.project,
        allowed=decision.allowed,
        role_needed=decision.role_needed.label,
        role_had=decision.role_had.label,
        detail=detail,
    )


def record_decision(engine: Engine, decision: Decision, detail: str = "") -> None:
    """Write the decision to the audit table in its own transaction."""
    with session_scope(engine) as session:
        audit_decision(session, decision, detail)


def authorize(
    engine: Engine,
    authorizer: Authorizer,
    user: str,
    action: Action,
    project: str,
    detail: str = "",
) -> Decision:
    """Decide, and audit the decision when it is a denial or a privileged action (`Decision.audited`)."""
    decision = authorizer.may(user, action, project)
    if decision.audited:
        record_decision(engine, decision, detail)
    return decision


def require(
    engine: Engine,
    authorizer: Authorizer,
    user: str,
    action: Action,
    project: str,
    detail: str = "",
) -> Decision:
    """`authorize`, raising DeniedError (its message names the role needed) when not allowed.

    The edges turn the error into the user's ephemeral explanation (`bot.slack.edge.explain`).
    """
    decision = authorize(engine, authorizer, user, action, project, detail)
    if not decision.allowed:
        raise DeniedError(denial_message(decision))
    return decision
