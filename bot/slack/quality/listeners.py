"""`/quality` and its **Post to channel** button: thin, the digest is computed by bot/jobs/quality.py;
`/quality schedule …` is answered by bot/jobs/quality_schedule.py (roles, store, audit)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.authz.guard import require
from bot.authz.roles import Action
from bot.errors import InputError
from bot.jobs.answer import Answer
from bot.jobs.digest import DigestRequest
from bot.jobs.flag_figures import project_taxonomy
from bot.jobs.quality import (
    claim_post,
    help_answer,
    parse_quality_text,
    quality_answer,
    quality_message,
    record_post,
    release_post,
)
from bot.jobs.quality_schedule import schedule_answer
from bot.slack.blocks.mrkdwn import plain_text
from bot.slack.deps import Deps
from bot.slack.edge import after_ack
from bot.slack.quality.builder import QUALITY_POST, already_posted_blocks, parse_post_value, posted_blocks

log = logging.getLogger("annobot.slack")

QUALITY_COMMAND = "/quality"


def _ephemeral(respond: Respond, answer: Answer) -> None:
    for page in answer.pages:
        respond(blocks=page, text=answer.text, response_type="ephemeral", replace_original=False)


def _request(deps: Deps, project: str, start: datetime, end: datetime, now: datetime) -> DigestRequest:
    """The digest job's request, with the config's reports settings (as `annobot digest` reads them)."""
    reports = deps.config.reports
    return DigestRequest(
        project=project,
        start=start,
        end=end,
        fmt="json",
        generated=now,
        tz=reports.timezone,
        flag_taxonomy=project_taxonomy(deps.config, project),
        min_pairable=reports.min_pairable,
        ordinal_weights=reports.ordinal_weights,
    )


def register(app: App, deps: Deps) -> None:
    """Register `/quality` and the Post to channel button."""
    names = [p.name for p in deps.config.projects]

    def quality_command(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        raw = body.get("text") or ""
        head, _, rest = raw.strip().partition(" ")
        if head.lower() == "schedule":
            # The raw text: channel mentions (<#C…|name>) are the targets; the job decodes entities.
            user = body.get("user_id") or ""
            answer = schedule_answer(deps.engine, deps.authorizer, deps.config, user, rest, now)
            _ephemeral(respond, answer)
            return
        query = parse_quality_text(
            plain_text(body.get("text") or ""), names, now, deps.config.reports.timezone
        )
        if query is None:
            _ephemeral(respond, help_answer())
            return
        request = _request(deps, query.project, query.start, query.end, now)
        _ephemeral(respond, deps.workers.run(quality_answer, request))

    def post_to_channel(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        try:
            project, start, end = parse_post_value((body.get("actions") or [{}])[0].get("value") or "")
        except ValueError as exc:
            raise InputError("that button no longer points at a digest: run /quality again") from exc
        if project not in names:
            raise InputError(f"project '{project}' is no longer configured")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if not isinstance(channel, str) or not channel:
            raise InputError("this digest is not in a channel: run /quality in the channel to post to")
        user = (body.get("user") or {}).get("id") or ""
        window = f"{start.isoformat()} to {end.isoformat()}"
        # Audited (a lead's action, or a denial naming the role needed) before anything is posted.
        require(
            deps.engine, deps.authorizer, user, Action.DIGEST_POST, project, f"post to {channel}: {window}"
        )
        now = datetime.now(UTC)
        # Once per channel, project and window: a second click (or a second lead) is told who posted it.
        key, held = claim_post(deps.engine, channel, project, start, end, user, now)
        if held is not None:
            blocks = already_posted_blocks(
                held.channel, held.posted_by, held.claimed_at, held.message_ts is not None
            )
            respond(blocks=blocks, text="Already posted", response_type="ephemeral", replace_original=False)
            return
        try:
            message = deps.workers.run(quality_message, _request(deps, project, start, end, now))
            posted = client.chat_postMessage(
                channel=channel, text=message["text"], blocks=message["blocks"], unfurl_links=False
            )
        except SlackApiError as exc:
            release_post(deps.engine, key, user)
            # A private channel the bot is not in, an archived one: the lead can act on the reason.
            error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            raise InputError(
                f"Slack refused the post ({error}): invite the bot to this channel, or post from another"
            ) from exc
        except BaseException:
            release_post(deps.engine, key, user)  # nothing reached the channel: a later click may post
            raise
        record_post(deps.engine, key, str(posted["ts"]))
        log.info("digest of %s (%s) posted to %s by %s", project, window, channel, user)
        respond(
            blocks=posted_blocks(channel),
            text="Posted the digest to the channel",
            response_type="ephemeral",
            replace_original=False,
        )

    app.command(QUALITY_COMMAND)(after_ack(deps.background, quality_command))
    app.action(QUALITY_POST)(after_ack(deps.background, post_to_channel))
