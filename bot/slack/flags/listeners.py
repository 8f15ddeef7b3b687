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
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.authz.guard import require
from bot.authz.roles import Action
from bot.authz.scope import allowed_projects
from bot.errors import InputError
from bot.jobs.answer import Answer
from bot.jobs.flag_figures import project_taxonomy
from bot.jobs.flag_queue import queue_job
from bot.jobs.flag_stats import stats_answer
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
from reports.flags.queue import QueueSyntaxError, parse_queue_text

log = logging.getLogger("annobot.slack")

FLAG_COMMAND = "/flag"
SHORTCUT = "flag_disagreement"
# Link targets in a message's mrkdwn: `<https://…>` and `<https://…|label>`.
_LINK = re.compile(r"<(https?://[^|<>\s]+)(?:\|[^<>]*)?>")
# A user mention as Slack sends it in a command's text: `<@U123>` or `<@U123|name>`.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")

QUEUE_USAGE = "queue [project:P] [reason:R] [section:S] [assignee:@U|me|none] [page:N]"
# A subcommand answers `/flag NAME REST`: fn(deps, respond, client, body, rest).
Subcommand = Callable[[Deps, Respond, WebClient, dict[str, Any], str], None]


def _ephemeral(respond: Respond, blocks: list[dict[str, Any]], text: str) -> None:
    respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)


def _coming(name: str) -> Subcommand:
    def answer(deps: Deps, respond: Respond, client: WebClient, body: dict[str, Any], rest: str) -> None:
        _ephemeral(respond, coming_blocks(FLAG_COMMAND, name), f"{FLAG_COMMAND} {name} is coming soon")

    return answer


def _queue(deps: Deps, respond: Respond, client: WebClient, body: dict[str, Any], rest: str) -> None:
    """`/flag queue [FILTERS]`: a lead's unresolved cases (bot.jobs.flag_queue), ephemeral."""
    user = body.get("user_id") or ""
    # The filters from the raw text: plain_text would drop the mentions `assignee:@U` names.
    raw = (body.get("text") or "").strip()
    words = plain_text(_MENTION.sub(r"@\1", raw)).split(maxsplit=1)
    try:
        wanted = parse_queue_text(words[1] if len(words) > 1 else "", user)
    except QueueSyntaxError as exc:
        raise InputError(f"{exc}. Usage: {FLAG_COMMAND} {QUEUE_USAGE}") from exc
    names = [p.name for p in deps.config.projects]
    detail = f"queue {wanted.describe()}".strip()
    allowed = allowed_projects(
        deps.engine, deps.authorizer, user, Action.FLAG_QUEUE, names, wanted.project, detail
    )
    answer = deps.workers.run(queue_job, deps.config.projects, allowed, wanted, user, datetime.now(UTC))
    for page in answer.pages:
        _ephemeral(respond, page, answer.text)


def _stats(deps: Deps, respond: Respond, client: WebClient, body: dict[str, Any], rest: str) -> None:
    """`/flag stats [PROJECT]`: the hot spots of a project, or of every project (bot.jobs.flag_stats)."""
    project = rest.split()[0] if rest.split() else None
    names = [p.name for p in deps.config.projects]
    if project is not None and project not in names:
        raise InputError(f"unknown project '{project}' (configured: {', '.join(names) or 'none'})")
    # Everyone may see statistics: this decides (and audits nothing, the action is not privileged).
    require(deps.engine, deps.authorizer, body.get("user_id") or "", Action.FLAG_STATS, project or "*")
    tax = project_taxonomy(deps.config, project)
    answer = deps.workers.run(
        stats_answer,
        project,
        datetime.now(UTC),
        weights=tax.weights if project else None,
        labels=tax.labels,
        configured=project in {p.name for p in deps.config.projects},
    )
    for page in answer.pages:
        _ephemeral(respond, page, answer.text)


def _help(deps: Deps, respond: Respond, client: WebClient, body: dict[str, Any], rest: str) -> None:
    listed = [(name, what) for name, (what, _) in SUBCOMMANDS.items()]
    _ephemeral(respond, help_blocks(FLAG_COMMAND, listed), f"How to use {FLAG_COMMAND}")


# `/flag NAME …`: what each does (for help) and its handler. Other features add theirs here.
SUBCOMMANDS: dict[str, tuple[str, Subcommand]] = {
    "help": ("this message", _help),
    "queue": (
        "the unresolved cases to triage, oldest first, with Assign to me, Comment and Adjudicate "
        "(leads and managers); filters, each optional: `project:P` `reason:R` `section:S` "
        "(an anchor or `slug#anchor`) `assignee:@U|me|none` `page:N`",
        _queue,
    ),
    "stats": (
        "`stats [PROJECT]`: the guideline sections that cause the most flags in the last 30 days, "
        "with open, filed and resolved cases (every project's when none is named)",
        _stats,
    ),
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
