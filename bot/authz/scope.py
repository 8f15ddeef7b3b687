"""Which projects a user may act on, for actions that span projects (`/flag queue` without `project:`).

`allowed_projects` decides with the `Authorizer` and audits like `guard.authorize`: each project the
user is let into is recorded as a privileged action. A user let into none gets `DeniedError` (the
role needed, named), and then every denial is on record. Projects the user simply does not lead are
not recorded as denials when they lead another: they asked for "my queue", not for those projects.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from bot.authz.explain import denial_message, denial_message_any
from bot.authz.guard import Authorizer, authorize, record_decision, require
from bot.authz.roles import Action
from bot.errors import DeniedError, InputError


def allowed_projects(
    engine: Engine,
    authorizer: Authorizer,
    user: str,
    action: Action,
    projects: Sequence[str],
    wanted: str | None = None,
    detail: str = "",
) -> list[str]:
    """The projects of `projects` (only `wanted`, when given) on which `user` may do `action`.

    Raises InputError for a `wanted` project that is not configured, DeniedError when none is allowed.
    """
    if not projects:
        raise InputError("no project is configured: add a [[projects]] table to the config")
    if wanted is not None:
        if wanted not in projects:
            raise InputError(f"unknown project '{wanted}' (configured: {', '.join(projects)})")
        require(engine, authorizer, user, action, wanted, detail)
        return [wanted]
    decisions = [authorizer.may(user, action, p) for p in projects]
    allowed = [d for d in decisions if d.allowed]
    if not allowed:
        for decision in decisions:
            record_decision(engine, decision, detail)
        if len(decisions) == 1:
            raise DeniedError(denial_message(decisions[0]))
        raise DeniedError(denial_message_any(decisions[0], projects))
    for decision in allowed:
        authorize(engine, authorizer, user, action, decision.project, detail)
    return [d.project for d in allowed]
