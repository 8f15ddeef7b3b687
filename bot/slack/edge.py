"""The Slack edge: how listeners ack, hand work to the background, open modals, and explain errors.

Error policy: expected errors become an explanation for the user, others a logged traceback and a
generic message. `after_ack` makes a listener that acks empty at once and does the work afterwards.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import AnnobotError
from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from guidelines.errors import GuidelineError

log = logging.getLogger("annobot.slack")

EXPECTED = (AnnobotError, GuidelineError)
GENERIC = "Something went wrong on our side; it has been logged."
# A modal shows at most 100 blocks: a longer answer is cut, and this note says where to read it all.
MODAL_CUT_NOTE = "_Continues: use `/guide` in a channel._"


def user_message(error: BaseException, logger: logging.Logger = log) -> str:
    """What to tell the user about `error`; unexpected errors are logged with their traceback."""
    if isinstance(error, EXPECTED):
        message = error.message if isinstance(error, AnnobotError) else str(error)
        logger.info("user error: %s", message)
        return message
    logger.error("unexpected error in a Slack handler", exc_info=error)
    return GENERIC


def explain(
    error: BaseException,
    *,
    respond: Respond | None,
    client: WebClient | None,
    channel_id: str | None,
    user_id: str | None,
    logger: logging.Logger = log,
) -> None:
    """Tell the user what went wrong, ephemerally; log unexpected errors with their traceback."""
    message = user_message(error, logger)
    blocks = kit.error_blocks(message)
    text = kit.fallback_text(message)
    try:
        if respond is not None:
            respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
        elif client is not None and channel_id and user_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, blocks=blocks, text=text)
    except SlackApiError:
        logger.exception("could not tell the user about an error")


def explain_in_context(
    error: BaseException, client: WebClient, context: Any, logger: logging.Logger = log
) -> None:
    """`explain` to whoever the Bolt context says sent the request."""
    explain(
        error,
        # The context's own respond (None without a response_url), never a stand-in that raises.
        respond=context.get("respond"),
        client=client,
        channel_id=context.get("channel_id"),
        user_id=context.get("user_id"),
        logger=logger,
    )


def guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """Wrap work done after the ack: nobody awaits it, so every error is explained or logged here."""

    @functools.wraps(fn)
    def wrapper(*, respond: Respond | None, client: WebClient, context: Any, **kwargs: Any) -> None:
        try:
            fn(respond=respond, client=client, context=context, **kwargs)
        except Exception as exc:  # the edge: every error is shown or logged with its traceback
            explain_in_context(exc, client, context)

    return wrapper


def after_ack(executor: Executor, fn: Callable[..., None]) -> Callable[..., None]:
    """A listener that acks at once and runs `fn(respond=, client=, context=, body=)` on `executor`.

    Bolt's lazy listeners deep-copy the whole request on the request thread before the ack goes
    out (about half of an ack's CPU, profiled); handing over the parsed body costs nothing.
    """
    work = guarded(fn)

    def listener(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: Any) -> None:
        ack()
        executor.submit(work, respond=respond, client=client, context=context, body=body)

    listener.__name__ = listener.__qualname__ = fn.__name__
    return listener


def show_in_modal(
    client: WebClient, body: Mapping[str, Any], pages: Sequence[Sequence[Block]], title: str = "Guideline"
) -> None:
    """Open pages of blocks as a modal with the interaction's trigger_id (no message to answer)."""
    client.views_open(
        trigger_id=body["trigger_id"], view=kit.pages_modal(title, pages, cut_note=MODAL_CUT_NOTE)
    )
