"""The triage buttons (Assign to me, Comment, Adjudicate) and the comment and adjudication modals.

Every action checks the role with `bot.authz.guard.require` after the ack, against the project the
store gives for the case (never one a button value or a modal claims): a denial changes nothing, is
audited, and the user is told which role is needed; a lead's action is audited as privileged. A modal
submission is checked before the ack with reads only (inline errors, also when the case has been
decided meanwhile); it is stored after the ack. Of two leads who submit at once, the second gets
AlreadyAdjudicated and is told who decided, ephemerally where the queue was shown, else by DM.
After a decision the flaggers' DMs and thread replies are posted one by one: each failure (Slack
retried by the client's retry handlers and still failing) is logged, the decision stays stored.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.authz.guard import require
from bot.authz.roles import Action
from bot.errors import InputError
from bot.jobs.answer import Answer
from bot.jobs.flag_queue import (
    Adjudicated,
    CheckedDecision,
    adjudicate_job,
    adjudication_form_job,
    assign_job,
    case_project_job,
    check_comment,
    check_decision_job,
    comment_form_job,
    comment_job,
    final_label_options_job,
    section_change_options_job,
)
from bot.slack.blocks import kit
from bot.slack.blocks.flag_case import CASE_ADJUDICATE, CASE_ASSIGN, CASE_COMMENT, parse_case_value
from bot.slack.deps import Deps
from bot.slack.edge import ViewReply, after_ack, after_validation, user_message
from bot.slack.flag_queue.builder import B_CHANGE, B_COMMENT, B_FINAL, CALLBACK_ADJUDICATE, CALLBACK_COMMENT
from bot.slack.flag_queue.form import case_ref, comment_text, decision_draft

log = logging.getLogger("annobot.slack")


def _user(body: dict[str, Any]) -> str:
    who = (body.get("user") or {}).get("id")
    if not isinstance(who, str) or not who:
        raise InputError("the request names no user")
    return who


def _channel(body: dict[str, Any]) -> str:
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
    return channel if isinstance(channel, str) else ""


def _case_id(body: dict[str, Any]) -> int:
    actions = body.get("actions") or [{}]
    try:
        return parse_case_value(actions[0].get("value") if isinstance(actions[0], dict) else None)
    except ValueError as exc:
        raise InputError("that button does not name a flag case") from exc


def _post(client: WebClient, user: str, channel: str, answer: Answer, respond: Respond | None = None) -> None:
    """Show `answer` to the user only: through the response_url, ephemerally in the channel, else by DM."""
    for page in answer.pages:
        if respond is not None:
            respond(blocks=page, text=answer.text, response_type="ephemeral", replace_original=False)
            continue
        if channel:
            try:
                client.chat_postEphemeral(channel=channel, user=user, blocks=page, text=answer.text)
                continue
            except SlackApiError as exc:
                log.info("not shown in %s (%s); sent by DM", channel, exc.response.get("error"))
        client.chat_postMessage(channel=user, blocks=page, text=answer.text, unfurl_links=False)


def _explain(
    client: WebClient, user: str, channel: str, error: BaseException, respond: Respond | None
) -> None:
    """Tell the user why nothing happened (the message of an expected error, else a generic one)."""
    message = user_message(error, log)
    answer = Answer([kit.error_blocks(message)], kit.fallback_text(message))
    try:
        _post(client, user, channel, answer, respond)
    except (SlackApiError, SlackClientError):
        log.exception("could not tell %s why their triage action did nothing", user)


def _notify(client: WebClient, result: Adjudicated) -> int:
    """Post the decision's notices one by one; the number that could not be posted (each logged)."""
    failed = 0
    for notice in result.notices:
        try:
            client.chat_postMessage(
                channel=notice.channel,
                thread_ts=notice.thread_ts,
                blocks=notice.blocks,
                text=notice.text,
                unfurl_links=False,
            )
        except (SlackApiError, SlackClientError, OSError):
            failed += 1
            # The decision is stored; only this message is lost (after the client's own retries).
            log.exception("case %s: the outcome was not posted to %s", result.case_id, notice.channel)
    return failed


def register(app: App, deps: Deps) -> None:
    """Register the triage buttons, the two modals and the adjudication modal's option loads."""
    projects = deps.config.projects

    def authorized(user: str, action: Action, case_id: int, what: str) -> str:
        project = deps.workers.run(case_project_job, case_id)
        require(deps.engine, deps.authorizer, user, action, project, f"{what} case {case_id}")
        return project

    def button(fn: Any) -> Any:
        """A button listener whose every error is told to the user (Home buttons have no response_url)."""

        def work(respond: Respond | None, client: WebClient, context: Any, body: dict[str, Any]) -> None:
            user, channel = _user(body), _channel(body)
            url = respond if body.get("response_url") else None
            try:
                fn(url, client, body, user, channel)
            except Exception as exc:  # the edge: told to the user; unexpected ones logged with traceback
                _explain(client, user, channel, exc, url)

        work.__name__ = fn.__name__
        return after_ack(deps.background, work)

    def assign_me(
        respond: Respond | None, client: WebClient, body: dict[str, Any], user: str, ch: str
    ) -> None:
        case_id = _case_id(body)
        authorized(user, Action.FLAG_TRIAGE, case_id, "assign")
        _post(client, user, ch, deps.workers.run(assign_job, case_id, user), respond)

    def open_comment(
        respond: Respond | None, client: WebClient, body: dict[str, Any], user: str, ch: str
    ) -> None:
        case_id = _case_id(body)
        authorized(user, Action.FLAG_TRIAGE, case_id, "open comment form of")
        view = deps.workers.run(comment_form_job, projects, case_id, ch)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def open_adjudication(
        respond: Respond | None, client: WebClient, body: dict[str, Any], user: str, ch: str
    ) -> None:
        case_id = _case_id(body)
        authorized(user, Action.FLAG_ADJUDICATE, case_id, "open adjudication form of")
        view = deps.workers.run(adjudication_form_job, projects, case_id, ch)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def validate_comment(body: dict[str, Any]) -> ViewReply:
        view = body.get("view") or {}
        ref = case_ref(view)
        text = comment_text(view)
        if ref.case_id is None:
            return ViewReply.errors({B_COMMENT: "this form names no flag case; open it again from the queue"})
        problem = check_comment(text)
        if problem is not None:
            return ViewReply.errors({B_COMMENT: problem})
        return ViewReply.close(values=(ref.case_id, ref.reply_channel, text))

    def store_comment(
        respond: Respond | None, client: WebClient, context: Any, body: dict[str, Any], reply: ViewReply
    ) -> None:
        case_id, channel, text = reply.values
        user = _user(body)
        try:
            authorized(user, Action.FLAG_TRIAGE, case_id, "comment on")
            answer = deps.workers.run(comment_job, case_id, user, text)
        except Exception as exc:  # the edge: told to the user; unexpected ones logged with traceback
            _explain(client, user, channel, exc, None)
            return
        _post(client, user, channel, answer)

    def validate_decision(body: dict[str, Any]) -> ViewReply:
        view = body.get("view") or {}
        ref = case_ref(view)
        checked: CheckedDecision = deps.workers.run(
            check_decision_job, projects, ref.case_id, decision_draft(view)
        )
        if checked.errors:
            return ViewReply.errors(checked.errors)
        return ViewReply.close(values=(checked, ref.reply_channel))

    def store_decision(
        respond: Respond | None, client: WebClient, context: Any, body: dict[str, Any], reply: ViewReply
    ) -> None:
        checked, channel = reply.values
        user = _user(body)
        try:
            authorized(user, Action.FLAG_ADJUDICATE, checked.case_id, "adjudicate")
            if checked.decision.add_to_gold:
                authorized(user, Action.GOLD_ADD, checked.case_id, "add to gold the label of")
            result = deps.workers.run(adjudicate_job, projects, checked.case_id, checked.decision, user)
        except Exception as exc:  # the edge: the loser of a race, a denial, … told to the user
            _explain(client, user, channel, exc, None)
            return
        _notify(client, result)
        try:
            _post(client, user, channel, result.confirmation)
        except (SlackApiError, SlackClientError):
            log.exception("case %s is decided; the lead's confirmation was not posted", result.case_id)

    def options(ack: Ack, body: dict[str, Any]) -> None:
        action = body.get("action_id")
        query = body.get("value") if isinstance(body.get("value"), str) else ""
        project = case_ref(body.get("view")).project
        try:
            job = section_change_options_job if action == B_CHANGE else final_label_options_job
            found = deps.workers.run(job, projects, project, query)
        except Exception:  # the edge: an options answer must go out; the error is logged with its traceback
            log.exception("could not answer the options of %s", action)
            found = []
        ack(options=found)

    app.action(CASE_ASSIGN)(button(assign_me))
    app.action(CASE_COMMENT)(button(open_comment))
    app.action(CASE_ADJUDICATE)(button(open_adjudication))
    app.view(CALLBACK_COMMENT)(after_validation(deps.background, validate_comment, store_comment))
    app.view(CALLBACK_ADJUDICATE)(after_validation(deps.background, validate_decision, store_decision))
    for action_id in (B_FINAL, B_CHANGE):
        app.options(action_id)(options)
