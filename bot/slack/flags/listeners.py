"""`/flag`, the **Flag disagreement** message shortcut, **Flag** on `/guide` answers, and the flag modal.

Opening the modal: Slack's trigger_id is single-use and expires about 3 s after the request, so the
listeners ack at once and open the modal right after, on the background thread, with the few store
reads it needs (labels, the item) and nothing else first. The modal's submission is checked before
the ack (reads only: inline errors come back in the ack) and stored after it, in one transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import InputError
from bot.jobs.answer import Answer
from bot.jobs.flags import MessageText, check_job, file_job, form_job, label_options_job, section_options_job
from bot.slack.blocks.flag_link import FLAG_FROM_SECTION
from bot.slack.blocks.mrkdwn import plain_text
from bot.slack.blocks.section_link import parse_section_ref
from bot.slack.deps import Deps
from bot.slack.edge import ViewReply, after_ack, after_validation
from bot.slack.flags.builder import (
    B_SECTION,
    CALLBACK,
    LABEL_BLOCKS,
    REFRESH_ACTIONS,
    coming_blocks,
    help_blocks,
)
from bot.slack.flags.form import draft_from_view, origin
from reports.flags.draft import FlagDraft, explicit_item, section_value

log = logging.getLogger("annobot.slack")

FLAG_COMMAND = "/flag"
SHORTCUT = "flag_disagreement"
# Link targets in a message's mrkdwn: `<https://…>` and `<https://…|label>`.
_LINK = re.compile(r"<(https?://[^|<>\s]+)(?:\|[^<>]*)?>")

# A subcommand answers `/flag NAME REST`: fn(deps, respond, client, body, rest).
Subcommand = Callable[[Deps, Respond, WebClient, dict[str, Any], str], None]


def _ephemeral(respond: Respond, blocks: list[dict[str, Any]], text: str) -> None:
    respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)


def _coming(name: str) -> Subcommand:
    def answer(deps: Deps, respond: Respond, client: WebClient, body: dict[str, Any], rest: str) -> None:
        _ephemeral(respond, coming_blocks(FLAG_COMMAND, name), f"{FLAG_COMMAND} {name} is coming soon")

    return answer


def _help(deps: Deps, respond: Respond, client: WebClient, body: dict[str, Any], rest: str) -> None:
    listed = [(name, what) for name, (what, _) in SUBCOMMANDS.items()]
    _ephemeral(respond, help_blocks(FLAG_COMMAND, listed), f"How to use {FLAG_COMMAND}")


# `/flag NAME …`: what each does (for help) and its handler. Other features add theirs here.
SUBCOMMANDS: dict[str, tuple[str, Subcommand]] = {
    "help": ("this message", _help),
    "queue": ("the open cases to triage (leads; coming soon)", _coming("queue")),
    "stats": ("the guideline sections that cause the most flags (coming soon)", _coming("stats")),
}


def _channel(body: dict[str, Any]) -> str:
    channel = (
        body.get("channel_id")  # a slash command
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
    )
    return channel if isinstance(channel, str) else ""


def _permalink(client: WebClient, channel: str, ts: str) -> str:
    """The message's permalink, or "" when Slack does not give one (the flag is filed without it)."""
    if not channel or not ts:
        return ""
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except SlackApiError as exc:
        log.info("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
        return ""
    return link if isinstance(link, str) else ""


def _tell_filer(client: WebClient, user: str, channel: str, answer: Answer) -> None:
    """The confirmation, ephemeral where the flag was started; a DM when that channel refuses it."""
    for page in answer.pages:
        if channel:
            try:
                client.chat_postEphemeral(channel=channel, user=user, blocks=page, text=answer.text)
                continue
            except SlackApiError as exc:
                log.info("confirmation not shown in %s (%s); sent by DM", channel, exc.response.get("error"))
        client.chat_postMessage(channel=user, blocks=page, text=answer.text, unfurl_links=False)


def register(app: App, deps: Deps) -> None:
    """Register the command, the shortcut, the Flag button and the modal's listeners."""
    projects = deps.config.projects

    def open_modal(
        client: WebClient, body: dict[str, Any], draft: FlagDraft, message: MessageText | None = None
    ) -> None:
        if not projects:
            raise InputError("no project is configured: add a [[projects]] table to the config to file flags")
        user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
        view = deps.workers.run(form_job, projects, draft, user_id=user, message=message)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def flag_command(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        text = plain_text(body.get("text") or "").strip()
        name, _, rest = text.partition(" ")
        entry = SUBCOMMANDS.get(name.lower())
        if entry is not None:
            entry[1](deps, respond, client, body, rest.strip())
            return
        item = explicit_item(text) if text.lower().startswith(("item:", "item=")) else text
        open_modal(client, body, FlagDraft(item_id=item or "", reply_channel=_channel(body)))

    def flag_message(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        message = body.get("message") or {}
        channel = _channel(body)
        ts = message.get("ts") or body.get("message_ts") or ""
        # The later thread reply goes under the message: into its thread, or starting one.
        thread = message.get("thread_ts") or ts
        raw = message.get("text") if isinstance(message.get("text"), str) else ""
        draft = FlagDraft(**origin(_permalink(client, channel, ts), channel, thread))
        links = tuple(_LINK.findall(raw))
        open_modal(client, body, draft, MessageText(plain_text(raw), links))

    def flag_section(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        try:
            slug, _version, anchor = parse_section_ref(body["actions"][0].get("value", ""))
        except ValueError as exc:
            raise InputError("that button no longer points at a guideline section") from exc
        draft = FlagDraft(section=section_value(slug, anchor), reply_channel=_channel(body))
        open_modal(client, body, draft)

    def refresh(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        new = deps.workers.run(form_job, projects, draft_from_view(view), user_id=body["user"]["id"])
        try:
            # The hash: a newer update (a later choice) wins over this one.
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new)
        except SlackApiError as exc:
            log.info("flag modal not updated: %s", exc.response.get("error"))

    def options(ack: Ack, body: dict[str, Any]) -> None:
        action = body.get("action_id")
        query = body.get("value") if isinstance(body.get("value"), str) else ""
        project = draft_from_view(body.get("view")).project or (
            projects[0].name if len(projects) == 1 else ""
        )
        try:
            job = section_options_job if action == B_SECTION else label_options_job
            found = deps.workers.run(job, projects, project, query)
        except Exception:  # the edge: an options answer must go out; the error is logged with its traceback
            log.exception("could not answer the options of %s", action)
            found = []
        ack(options=found)

    def validate(body: dict[str, Any]) -> ViewReply:
        view = body.get("view") or {}
        checked = deps.workers.run(
            check_job,
            projects,
            draft_from_view(view),
            user_id=body["user"]["id"],
            # The same submission delivered again carries the same view id and hash: one flag.
            idempotency_key=f"{view.get('id')}:{view.get('hash')}",
        )
        if checked.errors:
            return ViewReply.errors(checked.errors)
        return ViewReply.close(values=checked)

    def file_it(
        respond: Respond | None, client: WebClient, context: Any, body: dict[str, Any], reply: ViewReply
    ) -> None:
        answer = deps.workers.run(file_job, reply.values)
        if answer is None:
            log.info("replayed flag submission: stored once already")
            return
        reply_channel = draft_from_view(body.get("view")).reply_channel
        _tell_filer(client, body["user"]["id"], reply_channel, answer)

    app.command(FLAG_COMMAND)(after_ack(deps.background, flag_command))
    app.shortcut(SHORTCUT)(after_ack(deps.background, flag_message))
    app.action(FLAG_FROM_SECTION)(after_ack(deps.background, flag_section))
    app.action(re.compile(f"^(?:{'|'.join(REFRESH_ACTIONS)})$"))(after_ack(deps.background, refresh))
    for action_id in (B_SECTION, *LABEL_BLOCKS):
        app.options(action_id)(options)
    app.view(CALLBACK)(after_validation(deps.background, validate, file_it))
