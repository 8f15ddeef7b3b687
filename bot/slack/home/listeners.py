"""App Home: published with `views.publish` on `app_home_opened`; its buttons.

The scheduled digests' buttons come from the Home tab, which has no response_url: a refusal or an
error is explained in a modal (the click's trigger_id), and what Send now did is shown by publishing
the Home tab again, with its new last result.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.authz.explain import denial_message, denial_message_any
from bot.authz.guard import authorize
from bot.authz.roles import Action
from bot.errors import DeniedError, InputError, NotFoundError
from bot.jobs.guide import answer_and_remember, help_answer
from bot.jobs.home import DigestsRequest, home_schedule, home_view_job, send_outcome
from bot.jobs.schedule import post_now, preview
from bot.scheduler import replica_id
from bot.slack.blocks import kit
from bot.slack.deps import Deps
from bot.slack.edge import after_ack, show_in_modal, user_message
from bot.slack.home.builder import HOME_DIFF, HOME_HELP
from bot.slack.home.schedules import (
    HOME_DIGEST_PAGE,
    HOME_DIGEST_PAGE_BACK,
    HOME_DIGEST_PREVIEW,
    HOME_DIGEST_SEND,
    PREVIEW_CALLBACK,
    SendOutcome,
    loading_view,
    parse_page_value,
    preview_pages,
    preview_view,
)
from reports.schedule.model import NAME, Schedule

log = logging.getLogger("annobot.slack")

STALE = "that button no longer names a schedule: open the Home tab again"


def _explain(
    client: WebClient, body: dict[str, Any], error: BaseException, view_id: str | None = None
) -> None:
    """Explain an error in a modal: the one opened already (`view_id`), else a new one."""
    view = kit.modal("Scheduled digests", kit.error_blocks(user_message(error)), close="Close")
    try:
        if view_id:
            client.views_update(view_id=view_id, view=view)
        elif isinstance(body.get("trigger_id"), str):
            client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError:
        log.exception("could not explain a Home tab error")


def _explained(fn: Callable[..., None]) -> Callable[..., None]:
    """Home buttons: every error becomes the user's modal (unexpected ones logged with their traceback)."""

    @functools.wraps(fn)
    def work(*, respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        try:
            fn(respond=respond, client=client, context=context, body=body)
        except Exception as exc:  # the edge: no response_url on the Home tab, so a modal tells the user
            _explain(client, body, exc)

    return work


def _value(body: dict[str, Any]) -> str:
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    value = action.get("value")
    return value if isinstance(value, str) else ""


def _user(body: dict[str, Any]) -> str:
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise InputError("this click names no user")
    return user_id


class WorkspaceUrl:
    """auth.test's `url` (https://TEAM.slack.com/), asked once per process: message links are built
    from it, instead of one chat.getPermalink call per run shown."""

    def __init__(self) -> None:
        self._url: str | None = None
        self._lock = threading.Lock()

    def get(self, client: WebClient) -> str | None:
        """The workspace URL, or None when Slack does not answer (asked again next time)."""
        with self._lock:
            if self._url is None:
                try:
                    url = client.auth_test().get("url")
                except SlackApiError:
                    log.warning("auth.test failed: message links are left out", exc_info=True)
                    return None
                self._url = url if isinstance(url, str) else None
            return self._url


def register(app: App, deps: Deps) -> None:
    """Register the Home tab and its buttons."""
    replica = f"home:{replica_id()}"[:100]
    workspace = WorkspaceUrl()

    def postable(user_id: str) -> frozenset[str]:
        # Which schedules to list: a look, not an action, so nothing is audited (Send now is).
        return frozenset(
            p.name
            for p in deps.config.projects
            if deps.authorizer.may(user_id, Action.DIGEST_POST, p.name).allowed
        )

    def publish(client: WebClient, user_id: str, outcome: SendOutcome | None = None) -> None:
        # Which queues to show: a look, not an action, so nothing is audited (`/flag queue` is).
        leads = [
            p.name
            for p in deps.config.projects
            if deps.authorizer.may(user_id, Action.FLAG_QUEUE, p.name).allowed
        ]
        digests = DigestsRequest(
            deps.config.digests,
            postable(user_id),
            workspace.get(client),
            outcome,
            deps.config.reports.timezone,
        )
        view = deps.workers.run(home_view_job, user_id, leads, datetime.now(UTC), digests)
        client.views_publish(user_id=user_id, view=view)

    def schedule_of(name: str) -> Schedule:
        """The Home tab's schedule a button names; InputError for anything else (values can be forged)."""
        if not NAME.fullmatch(name):
            raise InputError(STALE)
        schedule = deps.workers.run(home_schedule, deps.config.digests, name, deps.config.reports.timezone)
        if schedule is None:
            raise NotFoundError(f"no schedule is named {name!r} any more: open the Home tab again")
        return schedule

    def may_preview(user_id: str, schedule: Schedule) -> None:
        """A preview is a look at what leads post: any project of the schedule led will do (not audited)."""
        decisions = [deps.authorizer.may(user_id, Action.DIGEST_POST, p) for p in schedule.projects]
        if not any(d.allowed for d in decisions):
            if len(decisions) == 1:
                raise DeniedError(denial_message(decisions[0]))
            raise DeniedError(denial_message_any(decisions[0], schedule.projects))

    def publish_home(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        event = body["event"]
        if event.get("tab", "home") != "home":
            return
        publish(client, event["user"])

    def home_help(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        show_in_modal(client, body, help_answer().pages)

    def home_diff(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        # A diff is not a search: nothing is remembered for it.
        result = deps.workers.run(
            answer_and_remember, "diff " + body["actions"][0].get("value", ""), user_id=body["user"]["id"]
        )
        show_in_modal(client, body, result.pages)

    def show_preview(
        client: WebClient, body: dict[str, Any], name: str, page: int, view_id: str | None
    ) -> None:
        user_id = _user(body)
        schedule = schedule_of(name)
        may_preview(user_id, schedule)
        if view_id is None:
            # The trigger lasts 3 s and a digest may take longer: open now, fill in when computed.
            trigger = body.get("trigger_id")
            if not isinstance(trigger, str) or not trigger:
                raise InputError("this click carries no trigger_id to open the preview with")
            opened = client.views_open(trigger_id=trigger, view=loading_view())
            view_id = str(opened["view"]["id"])
        try:
            messages = preview(
                deps.engine, deps.config, schedule.name, datetime.now(UTC), workers=deps.workers
            )
            view = preview_view(schedule.name, preview_pages(messages), page)
        except Exception as exc:  # the edge: the open modal explains it (unexpected ones are logged)
            _explain(client, body, exc, view_id)
            return
        client.views_update(view_id=view_id, view=view)

    def digest_preview(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        show_preview(client, body, _value(body), 0, None)

    def digest_page(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        try:
            name, page = parse_page_value(_value(body))
        except ValueError as exc:
            raise InputError(STALE) from exc
        view = body.get("view")
        view = view if isinstance(view, dict) else {}
        view_id = view.get("id")
        # Only a preview modal turns its pages: never the Home tab or another modal (values can be forged).
        if view.get("callback_id") != PREVIEW_CALLBACK or not isinstance(view_id, str) or not view_id:
            raise InputError("this page button is not in a preview: click Preview on the Home tab again")
        show_preview(client, body, name, page, view_id)

    def digest_send(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        user_id = _user(body)
        schedule = schedule_of(_value(body))
        detail = f"send now: schedule {schedule.name} to {', '.join(schedule.targets)}"
        # Re-checked at the click, for every project it posts (a button can be forged or outlive a
        # role); each decision is audited, and one denial posts nothing.
        decisions = [
            authorize(deps.engine, deps.authorizer, user_id, Action.DIGEST_POST, p, detail)
            for p in schedule.projects
        ]
        denied = [d for d in decisions if not d.allowed]
        if denied:
            raise DeniedError(denial_message(denied[0]))
        # The digest and its uploads take a while: the tab says so until the result replaces it (a
        # tab Slack did not take is no reason not to send).
        try:
            publish(client, user_id, SendOutcome(schedule.name, "sending"))
        except SlackApiError:
            log.warning("the Home tab of %s was not updated before a send now", user_id, exc_info=True)
        done = post_now(
            deps.engine, deps.config, client, schedule.name, datetime.now(UTC), replica, workers=deps.workers
        )
        key = next(iter(done.posted + done.failed + done.skipped), None)
        outcome = deps.workers.run(send_outcome, schedule.name, key)
        log.info("send now of %s by %s: %s", schedule.name, user_id, outcome.status)
        publish(client, user_id, outcome)

    app.event("app_home_opened")(after_ack(deps.background, publish_home))
    app.action(HOME_HELP)(after_ack(deps.background, home_help))
    app.action(HOME_DIFF)(after_ack(deps.background, home_diff))
    app.action(HOME_DIGEST_PREVIEW)(after_ack(deps.background, _explained(digest_preview)))
    app.action(HOME_DIGEST_PAGE)(after_ack(deps.background, _explained(digest_page)))
    app.action(HOME_DIGEST_PAGE_BACK)(after_ack(deps.background, _explained(digest_page)))
    app.action(HOME_DIGEST_SEND)(after_ack(deps.background, _explained(digest_send)))
