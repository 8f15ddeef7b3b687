"""The Slack edge: how listeners ack, hand work to the background, open modals, and explain errors.

Error policy: expected errors become an explanation for the user, others a logged traceback and a
generic message. Two listener factories: `after_ack` (ack empty at once, do the work afterwards)
and `after_validation` (a modal submission: check it and ack with Slack's `response_action`, then
do the slow work afterwards).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Literal

from slack_bolt import Ack
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import AnnobotError, InputError
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


def explain_in_thread(
    error: BaseException, client: WebClient, channel: str, thread_ts: str, logger: logging.Logger = log
) -> None:
    """Answer a mention's error in its thread, with the explanation `/guide` gives ephemerally."""
    message = user_message(error, logger)
    try:
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            blocks=kit.error_blocks(message),
            text=kit.fallback_text(message),
            unfurl_links=False,
        )
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


# The context key under which the HTTP edge (bot.slack.http) leaves a signed request's replay
# claim: a callable that records the request and says whether this is its first delivery.
REPLAY_CLAIM = "annobot_replay_claim"


def first_delivery(context: Any) -> bool:
    """Claim the request for this delivery; False when an earlier delivery of it already acted.

    The claim is a database write, so it runs here, after the ack: on SQLite a write waits for the
    file's one writer (answers record lookups), and waiting on the request thread delayed acks.
    Requests without a claim (events, which dedupe by event_id; Socket Mode) are first deliveries.
    """
    claim = context.get(REPLAY_CLAIM) if context is not None else None
    return True if claim is None else bool(claim())


def guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """Wrap work done after the ack: nobody awaits it, so every error is explained or logged here.

    A replayed delivery of a signed request does nothing (`first_delivery`).
    """

    @functools.wraps(fn)
    def wrapper(*, respond: Respond | None, client: WebClient, context: Any, **kwargs: Any) -> None:
        try:
            if not first_delivery(context):
                log.info("replayed Slack request dropped (same timestamp and signature)")
                return
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


# --- modal submissions -------------------------------------------------------------------------

ResponseAction = Literal["errors", "update", "push", "clear"]


class FieldError(InputError):
    """Bad input in one field of a modal: shown under that field (its input block's block_id)."""

    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(message)
        self.block_id = block_id

    def __reduce__(self) -> tuple[Any, ...]:
        # Two arguments: rebuilt from both, not from `args`, wherever it is unpickled.
        return (type(self), (self.block_id, self.message))


@dataclass(frozen=True)
class ViewReply:
    """How a view_submission is acked: inline field errors, a new view, a pushed view, or close.

    `values` carries what `validate` parsed to the slow part, so it need not parse the body again.
    """

    action: ResponseAction | None = None
    field_errors: Mapping[str, str] = field(default_factory=dict)
    view: Mapping[str, Any] | None = None
    values: Any = None

    def __post_init__(self) -> None:
        if (self.action == "errors") != bool(self.field_errors):
            raise ValueError("field errors go with response_action 'errors', and only with it")
        if (self.action in ("update", "push")) != (self.view is not None):
            raise ValueError("a view goes with response_action 'update' or 'push', and only with them")

    @classmethod
    def close(cls, values: Any = None) -> ViewReply:
        """Close the modal (a plain ack)."""
        return cls(values=values)

    @classmethod
    def errors(cls, errors: Mapping[str, str]) -> ViewReply:
        """Keep the modal open with a message under each named input block (block_id -> message)."""
        return cls("errors", field_errors=dict(errors))

    @classmethod
    def update(cls, view: Mapping[str, Any], values: Any = None) -> ViewReply:
        """Replace the modal with `view`."""
        return cls("update", view=view, values=values)

    @classmethod
    def push(cls, view: Mapping[str, Any], values: Any = None) -> ViewReply:
        """Show `view` on top of the modal (Slack allows three views in the stack)."""
        return cls("push", view=view, values=values)

    @classmethod
    def clear(cls, values: Any = None) -> ViewReply:
        """Close every view of the stack."""
        return cls("clear", values=values)

    def ack_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of Bolt's `ack` for this reply."""
        if self.action is None:
            return {}
        if self.action == "errors":
            return {"response_action": "errors", "errors": dict(self.field_errors)}
        if self.view is not None:
            return {"response_action": self.action, "view": dict(self.view)}
        return {"response_action": self.action}


def explanation_view(message: str) -> dict[str, Any]:
    """A modal explaining why a submission was refused; closing it returns to the form underneath."""
    return kit.modal("Cannot submit", kit.error_blocks(message), close="Back")


def after_validation(
    executor: Executor, validate: Callable[[dict[str, Any]], ViewReply], fn: Callable[..., None]
) -> Callable[..., None]:
    """A view_submission listener: `validate(body)` decides the ack, then `fn` runs on `executor`.

    `validate` runs on the request thread and must be fast (Slack waits at most 3 s for the ack,
    which carries its reply). Then `fn(respond=, client=, context=, body=, reply=)` runs after the
    ack with after_ack's error policy, unless the reply keeps the modal open with field errors.
    A `FieldError` from `validate` becomes that field's inline error; any other error is explained
    in a view pushed on top of the form (expected errors by their message, others generically,
    logged), so that the form and what the user typed stay underneath.
    """
    work = guarded(fn)

    def listener(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: Any) -> None:
        try:
            reply = validate(body)
        except FieldError as exc:
            log.info("field error in %s: %s", exc.block_id, exc.message)
            reply = ViewReply.errors({exc.block_id: exc.message})
        except Exception as exc:  # the edge: shown to the user, and logged with its traceback if unexpected
            ack(**ViewReply.push(explanation_view(user_message(exc))).ack_kwargs())
            return
        ack(**reply.ack_kwargs())
        if reply.action != "errors":
            executor.submit(work, respond=respond, client=client, context=context, body=body, reply=reply)

    listener.__name__ = listener.__qualname__ = fn.__name__
    return listener
