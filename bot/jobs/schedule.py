"""One scheduler pass over the digest schedules: claim each due run once, post it, record it.

The schedules are the config's `[[digests]]` and those leads added from Slack (`/quality schedule`),
read through `bot.jobs.schedule_source.all_schedules`. Runs of a Slack-added schedule due before it
was added, or before it was last resumed, are not its to post (nothing is recorded for them); runs due
while it is paused are recorded skipped, so a resume never posts a backlog late.

`tick` is what the scheduler (bot/scheduler.py) calls every minute, and what tests call with a fake
clock. For each schedule it looks back `lookback(schedule)` = max(grace, LOOKBACK_MIN) from `now`:
- due runs nobody recorded are decided by `reports.schedule.due.catch_up` (on time, late within the
  grace, skipped beyond it or superseded by a newer one); skipped runs are recorded with the reason;
- a run to post is claimed in the store (`bot.store.schedules.claim`: a unique run key, so of any number
  of replicas one posts), its digest computed over the window ending at its due instant (`1d`, `7d`, …
  back from it, or `since-last`: since the previous posted run), posted to each channel target with
  chat.postMessage, and recorded posted with the first message's channel and ts;
- a failed run (Slack kept failing after the client's bounded retries) is recorded with the reason and
  claimed again at a later tick, at most MAX_ATTEMPTS times in all, while the run is within the look-back;
- a retried run (taken over after its lease ran out, or claimed again after a failure) first looks for
  its own message in each channel's history (`_found_in_history`, by the run key in the message
  metadata): a post Slack accepted but nobody recorded (the replica died in between) is recorded, and
  only the channels without one are posted to.
Runs due longer ago than the look-back are never seen, so nothing is recorded for them.

The `leads-dm` target is a run per lead at the lead's own local time (bot/jobs/schedule_dm.py plans
them; `_run_dm` claims and posts each like a channel run). On-demand posts go to the channel targets
only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from bot.authz.groups import GroupResolver
from bot.authz.roles import Members
from bot.config import Config
from bot.jobs.digest import DigestRequest, EmptyWindowError, digest_job, render
from bot.jobs.flag_figures import project_taxonomy
from bot.jobs.schedule_dm import DmRun, is_dm, plan, previous_due
from bot.jobs.schedule_source import PAUSED_REASON, all_schedules, find_entry
from bot.jobs.workers import InlineWorkers, Workers
from bot.slack.schedule.builder import annotator_details, empty_window_message
from bot.store import schedules as store
from bot.store.db import session_scope
from reports.render import render_html
from reports.render.charts import all_charts
from reports.schedule.due import Action, catch_up, due_times, run_key, window_start
from reports.schedule.model import LEADS_DM, Schedule

log = logging.getLogger("annobot.schedule")

# How far back a tick looks for due runs: at least the grace (a late post must still be seen), and two
# days so that runs skipped beyond the grace are recorded (history shows them) after a short outage.
LOOKBACK_MIN = timedelta(days=2)
# A claim holds this long: longer than one delivery (digest, post, chart uploads with retries), so a
# live replica is never overtaken; a replica killed mid-run is taken over after it.
LEASE = timedelta(minutes=10)
# Claims of one run in all (first post and retries at later ticks) before it stays failed.
MAX_ATTEMPTS = 5
REASON_MAX = 500
METADATA_EVENT = "annobot_digest_run"
# A retry reads each channel's history from the run's due instant (never after its first claim) less
# this, for Slack's clock and ours to disagree a little.
CLOCK_SKEW = timedelta(minutes=2)
HISTORY_PAGE = 100
HISTORY_PAGES = 10  # a channel busier than this since the run was due is not read further


def lookback(schedule: Schedule) -> timedelta:
    """How far before `now` a tick looks for the schedule's due runs: max(grace, LOOKBACK_MIN)."""
    return max(schedule.grace, LOOKBACK_MIN)


@dataclass
class TickResult:
    """What one tick did, by run key (for logs and tests)."""

    posted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class DeliveryError(Exception):
    """Slack refused or failed a post after the client's retries; the message is the run's reason."""


@dataclass(frozen=True)
class _Tick:
    """What every step of one tick needs."""

    engine: Engine
    config: Config
    client: WebClient
    workers: Workers
    now: datetime
    replica: str
    result: TickResult

    @classmethod
    def start(
        cls,
        engine: Engine,
        config: Config,
        client: WebClient,
        now: datetime,
        replica: str,
        workers: Workers | None,
    ) -> _Tick:
        """A pass at `now` (as UTC) with an empty result; inline workers when none are given."""
        return cls(
            engine,
            config,
            client,
            workers or InlineWorkers(engine),
            now.astimezone(UTC),
            replica,
            TickResult(),
        )


def tick(
    engine: Engine,
    config: Config,
    client: WebClient,
    now: datetime,
    replica_id: str,
    *,
    workers: Workers | None = None,
    members: Members | None = None,
) -> TickResult:
    """One pass over every configured schedule at `now` (aware) as replica `replica_id`.

    The digests are computed through `workers` (`annobot run`'s worker processes, so a digest never
    holds the GIL the acks need), inline without them. `members` resolves the user groups among the
    projects' leads (`leads-dm`); a resolver for this tick only without it.
    """
    t = _Tick.start(engine, config, client, now, replica_id, workers)
    with session_scope(engine) as session:
        # One read of the small digest_schedules table (config + Slack-added schedules) ...
        entries = all_schedules(session, config)
        if not entries:
            return t.result
        horizon = max(lookback(e.schedule) for e in entries)
        # ... and the one indexed query over digest_runs, whatever the number of schedules and past runs.
        recorded = store.runs_due_between(session, t.now - horizon, t.now)
    for entry in entries:
        schedule = entry.schedule
        if schedule.targets == (LEADS_DM,):
            continue  # no channel: its runs are the leads' own, below
        dues = entry.live(due_times(schedule, t.now - lookback(schedule), t.now))
        keys = {due: run_key(schedule, due) for due in dues}
        fresh = [due for due in dues if keys[due] not in recorded]
        if entry.paused:
            # Recorded skipped as they fall due, so that resuming never posts them late.
            for due in fresh:
                _skip(t, schedule, keys[due], due, PAUSED_REASON)
            continue
        for decision in catch_up(schedule, fresh, t.now):
            key = keys[decision.due]
            if decision.action is Action.SKIP:
                _skip(t, schedule, key, decision.due, decision.reason or "skipped")
            else:
                _run(t, schedule, key, decision.due, late=decision.action is Action.POST_LATE)
        for due in dues:
            run = recorded.get(keys[due])
            # An earlier failure (or a replica that died holding the claim): claim() decides whether
            # its lease has run out and attempts remain.
            if run is not None and run.status in ("failed", "claimed") and run.message_ts is None:
                _run(t, schedule, run.run_key, due, late=run.late)
    resolver = members or GroupResolver(client)
    by_name = {e.schedule.name: e for e in entries}
    schedules = [e.schedule for e in entries]
    for lead in plan(t.config, schedules, engine, client, t.now, recorded, lookback, resolver):
        entry = by_name[lead.schedule.name]
        if entry.live((lead.due,)) == ():
            continue  # due before the schedule was added or last resumed: not its to post
        if lead.skip is not None or entry.paused:
            _skip(t, lead.schedule, lead.key, lead.due, lead.skip or PAUSED_REASON)
        else:
            _run_dm(t, lead)
    return t.result


def _skip(t: _Tick, schedule: Schedule, key: str, due: datetime, reason: str) -> None:
    with session_scope(t.engine) as session:
        if store.mark_skipped(session, key, schedule=schedule.name, due=due, now=t.now, reason=reason):
            t.result.skipped.append(key)


def _run(t: _Tick, schedule: Schedule, key: str, due: datetime, *, late: bool) -> None:
    channels = [target for target in schedule.targets if target != LEADS_DM]
    if not channels:
        # Only an on-demand post gets here: leads get their DMs at their own local time, not now.
        _skip(t, schedule, key, due, "only the leads-dm target: on-demand posts go to channels only")
        return
    with session_scope(t.engine) as session:
        claimed = store.claim(
            session,
            key,
            t.replica,
            t.now,
            LEASE,
            schedule=schedule.name,
            due=due,
            late=late,
            max_attempts=MAX_ATTEMPTS,
        )
        since_last = claimed is not None and schedule.window.since_last
        previous = _previous_posted_due(session, schedule, due) if since_last else None
    if claimed is None:
        return  # another replica holds or finished it, or no attempts are left
    # A retry may follow a post Slack accepted that was never recorded: find it, post only what is missing.
    found = _found_in_history(t.client, key, channels, due) if claimed.attempts > 1 else {}
    todo = [channel for channel in channels if channel not in found]
    try:
        delivered = _deliver(t, schedule, key, todo, due, previous) if todo else None
    except DeliveryError as exc:
        with session_scope(t.engine) as session:
            store.mark_failed(session, key, t.replica, t.now, str(exc)[:REASON_MAX])
        log.warning("digest run %s failed (attempt %d): %s", key, claimed.attempts, exc)
        t.result.failed.append(key)
        return
    first = next(iter(found.items()), None) or delivered
    assert first is not None  # channels is not empty: each was found or posted to
    channel, ts = first
    with session_scope(t.engine) as session:
        if store.mark_posted(session, key, t.now, channel, ts):
            t.result.posted.append(key)
        else:
            log.error("digest run %s was posted twice: %s %s is a double", key, channel, ts)


def _previous_posted_due(session: Any, schedule: Schedule, due: datetime) -> datetime | None:
    """`since-last`: the due instant of the schedule's latest posted run before `due`."""
    for run in store.list_runs(session, schedule.name):
        # An on-demand post is an extra: the scheduled windows run from scheduled posts only.
        # A lead's DM run has a window of its own (schedule_dm.previous_due).
        if (
            run.due < due
            and run.message_ts is not None
            and not is_on_demand(run.run_key)
            and not is_dm(run.run_key)
        ):
            return run.due
    return None


def _digest(
    config: Config,
    workers: Workers,
    now: datetime,
    schedule: Schedule,
    project: str,
    start: datetime | None,
    end: datetime,
) -> dict[str, Any]:
    """The digest JSON of the window, by the job `annobot digest --format json` runs (same figures)."""
    request = DigestRequest(
        project=project,
        start=start,
        end=end,
        fmt="json",
        generated=now,
        tz=schedule.timezone,
        flag_taxonomy=project_taxonomy(config, project),
        min_pairable=config.reports.min_pairable,
        ordinal_weights=config.reports.ordinal_weights,
    )
    return json.loads(workers.run(digest_job, request))


def _message(
    config: Config,
    workers: Workers,
    now: datetime,
    schedule: Schedule,
    project: str,
    start: datetime | None,
    end: datetime,
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(digest JSON, chat.postMessage text and blocks); (None, the "no annotations since" line) when empty."""
    try:
        digest = _digest(config, workers, now, schedule, project, start, end)
    except EmptyWindowError:
        return None, empty_window_message(project, start, schedule.timezone)
    return digest, json.loads(render(digest, "blocks"))


def _deliver(
    t: _Tick, schedule: Schedule, key: str, channels: list[str], due: datetime, previous: datetime | None
) -> tuple[str, str]:
    """Post each project's digest (or the empty-window line) to each channel; the first (channel, ts)."""
    start = window_start(schedule, due, previous)
    first: tuple[str, str] | None = None
    for project in schedule.projects:
        digest, message = _message(t.config, t.workers, t.now, schedule, project, start, due)
        for channel in channels:
            ts = _post(t.client, channel, message, key)
            first = first or (channel, ts)
            if digest is not None:
                _details(t.client, channel, ts, digest)
                _attach(t.client, schedule, channel, ts, digest, t.now)
    assert first is not None  # schedules name at least one project, and channels is not empty
    return first


def _post(client: WebClient, channel: str, message: dict[str, Any], key: str) -> str:
    """chat.postMessage; the client's retry handlers honour 429 Retry-After and back off on 5xx.

    The run key rides along as message metadata, so that a message posted by a replica that died
    before recording it is recognised in the channel's history (`_found_in_history`).
    """
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"run_key": key}}
    try:
        resp = client.chat_postMessage(
            channel=channel, text=message["text"], blocks=message["blocks"], metadata=metadata
        )
    except SlackApiError as exc:
        status = exc.response.status_code
        raise DeliveryError(
            f"chat.postMessage to {channel}: HTTP {status}, {exc.response.get('error')}"
        ) from exc
    except (SlackClientError, OSError) as exc:
        raise DeliveryError(f"chat.postMessage to {channel}: {type(exc).__name__}: {exc}") from exc
    return str(resp["ts"])


def _found_in_history(client: WebClient, key: str, channels: list[str], due: datetime) -> dict[str, str]:
    """The channels (in order) whose history holds a message of run `key`, with its ts.

    Read with conversations.history (scopes channels:history, groups:history) from `due` less
    CLOCK_SKEW, with the messages' metadata. A channel whose history cannot be read (a missing scope,
    the bot not in it, Slack failing after the client's retries, more than HISTORY_PAGES pages) is
    logged and counted as not holding it, so the run is posted there: a possible double is preferred
    to a lost digest (docs/digest.md, "Exactly once").
    """
    found: dict[str, str] = {}
    for channel in channels:
        ts = _run_message(client, channel, key, due - CLOCK_SKEW)
        if ts is not None:
            log.warning(
                "digest run %s was posted to %s (ts %s) but not recorded: recorded now, not posted again",
                key,
                channel,
                ts,
            )
            found[channel] = ts
    return found


def _run_message(client: WebClient, channel: str, key: str, oldest: datetime) -> str | None:
    """The ts of the channel's message carrying run `key` in its metadata since `oldest`; None if none
    or unreadable (logged)."""
    cursor: str | None = None
    try:
        for _ in range(HISTORY_PAGES):
            page = client.conversations_history(
                channel=channel,
                oldest=f"{oldest.timestamp():.6f}",
                include_all_metadata=True,
                limit=HISTORY_PAGE,
                cursor=cursor,
            )
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT and payload.get("run_key") == key:
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None
        reason = f"more than {HISTORY_PAGES * HISTORY_PAGE} messages since {oldest:%Y-%m-%d %H:%M} UTC"
    except SlackApiError as exc:
        needed = exc.response.get("needed")
        reason = f"{exc.response.get('error')}" + (f" (needs {needed})" if needed else "")
    except (SlackClientError, OSError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    log.warning(
        "digest run %s: the history of %s is unreadable (%s); posting there, which doubles a post"
        " that reached Slack unrecorded, if there was one",
        key,
        channel,
        reason,
    )
    return None


def _details(client: WebClient, channel: str, ts: str, digest: dict[str, Any]) -> None:
    """The per-annotator details as replies in the message's thread (logged, not retried, if refused)."""
    try:
        for reply in annotator_details(digest):
            client.chat_postMessage(channel=channel, thread_ts=ts, unfurl_links=False, **reply)
    except (SlackClientError, OSError):
        log.warning("digest details to %s (thread %s) failed", channel, ts, exc_info=True)


def _attach(
    client: WebClient, schedule: Schedule, channel: str, ts: str, digest: dict[str, Any], now: datetime
) -> None:
    """Charts (PNG) and the HTML report in the message's thread, through files_upload_v2.

    The message is posted and recorded whatever happens here: a failed upload is logged, not retried,
    so a retry never posts the digest twice for the sake of an attachment.
    """
    uploads: list[dict[str, Any]] = []
    if schedule.charts:
        uploads += [
            {"content": c.png, "filename": f"{c.name}.png", "title": c.title} for c in all_charts(digest)
        ]
    if schedule.html:
        html = render_html(digest, generated=now.astimezone(schedule.zone))
        uploads.append(
            {
                "content": html.encode("utf-8"),
                "filename": f"{digest['project']}-digest.html",
                "title": "Full report (HTML)",
            }
        )
    if not uploads:
        return
    try:
        client.files_upload_v2(channel=channel, thread_ts=ts, file_uploads=uploads)
    except (SlackClientError, OSError):
        log.warning("digest attachments to %s (thread %s) failed", channel, ts, exc_info=True)


# leads-dm (issue 14 item 6): bot/jobs/schedule_dm.py plans each lead's runs; these claim and post them.
def _run_dm(t: _Tick, run: DmRun) -> None:
    """One lead's run, claimed, failed and recorded as `_run` does a channel run."""
    with session_scope(t.engine) as session:
        claimed = store.claim(
            session, run.key, t.replica, t.now, LEASE,
            schedule=run.schedule.name, due=run.due, late=run.late, max_attempts=MAX_ATTEMPTS,
        )  # fmt: skip
        previous = previous_due(session, run) if claimed and run.schedule.window.since_last else None
    if claimed is None:
        return
    # As for a channel run: a retry may follow a DM Slack accepted that was never recorded.
    found = _found_in_dm(t.client, run) if claimed.attempts > 1 else None
    try:
        channel, ts = found or _deliver_dm(t, run, window_start(run.schedule, run.due, previous))
    except DeliveryError as exc:
        with session_scope(t.engine) as session:
            store.mark_failed(session, run.key, t.replica, t.now, str(exc)[:REASON_MAX])
        log.warning("digest run %s failed (attempt %d): %s", run.key, claimed.attempts, exc)
        t.result.failed.append(run.key)
        return
    with session_scope(t.engine) as session:
        if store.mark_posted(session, run.key, t.now, channel, ts):
            t.result.posted.append(run.key)
        else:
            log.error("digest run %s was posted twice: %s %s is a double", run.key, channel, ts)


def _found_in_dm(client: WebClient, run: DmRun) -> tuple[str, str] | None:
    """(DM channel, ts) of this lead's message of the run, if the DM's history holds one; else None.

    conversations.open (scope im:write) names the app's DM with the lead, conversations.history (scope
    im:history) reads it as `_run_message` reads a channel's. Either failing is logged and counted as
    not found, so the DM is posted: a possible double rather than a lost digest, as for channels.
    """
    try:
        opened = client.conversations_open(users=run.user)
        channel = (opened.get("channel") or {}).get("id")
    except SlackApiError as exc:
        needed = exc.response.get("needed")
        channel, reason = None, f"{exc.response.get('error')}" + (f" (needs {needed})" if needed else "")
    except (SlackClientError, OSError) as exc:
        channel, reason = None, f"{type(exc).__name__}: {exc}"
    else:
        reason = "conversations.open gave no channel id"
    if not isinstance(channel, str) or not channel:
        log.warning(
            "digest run %s: the DM with %s cannot be opened (%s); posting it, which doubles a post"
            " that reached Slack unrecorded, if there was one",
            run.key,
            run.user,
            reason,
        )
        return None
    ts = _run_message(client, channel, run.key, run.due - CLOCK_SKEW)
    if ts is None:
        return None
    log.warning("digest run %s was posted to %s (ts %s) but not recorded: recorded now, not posted again",
                run.key, channel, ts)  # fmt: skip
    return channel, ts


def _deliver_dm(t: _Tick, run: DmRun, start: datetime | None) -> tuple[str, str]:
    """Each project's digest in the lead's DM, details and attachments in the DM's (D…) threads; the first."""
    first: tuple[str, str] | None = None
    for project in run.schedule.projects:
        digest, message = _message(t.config, t.workers, t.now, run.schedule, project, start, run.due)
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"run_key": run.key}}
        try:  # the user id as channel: Slack opens the app's DM (chat:write only) and answers its id
            resp = t.client.chat_postMessage(
                channel=run.user, text=message["text"], blocks=message["blocks"], metadata=metadata
            )
        except (SlackClientError, OSError) as exc:
            why = f"HTTP {exc.response.status_code}, {exc.response.get('error')}" if isinstance(
                exc, SlackApiError) else f"{type(exc).__name__}: {exc}"  # fmt: skip
            raise DeliveryError(f"chat.postMessage to {run.user}: {why}") from exc
        channel, ts = str(resp.get("channel") or run.user), str(resp["ts"])
        first = first or (channel, ts)
        if digest is not None:
            _details(t.client, channel, ts, digest)
            _attach(t.client, run.schedule, channel, ts, digest, t.now)
    assert first is not None  # schedules name at least one project
    return first


# `annobot digests post`: a run of its own, keyed by the instant it was asked for and this suffix, so it
# never takes a scheduled run's key (the tick still posts that run) and history tells them apart.
ON_DEMAND = "/on-demand"


def on_demand_key(schedule: Schedule, now: datetime) -> str:
    """`NAME@YYYY-MM-DDTHH:MM:SSZ/on-demand`: an on-demand run's key (one per second and schedule)."""
    return f"{schedule.name}@{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}{ON_DEMAND}"


def is_on_demand(key: str) -> bool:
    """Whether a run key is an on-demand run's (`on_demand_key`)."""
    return key.endswith(ON_DEMAND)


def find_schedule(engine: Engine, config: Config, name: str) -> Schedule:
    """The schedule `name` of the config or added from Slack (paused too); NotFoundError naming them."""
    with session_scope(engine) as session:
        return find_entry(session, config, name).schedule


def post_now(
    engine: Engine,
    config: Config,
    client: WebClient,
    name: str,
    now: datetime,
    replica_id: str,
    *,
    workers: Workers | None = None,
) -> TickResult:
    """Post schedule `name`'s digest now, as its run due at `now` would be, recorded under an on-demand key."""
    schedule = find_schedule(engine, config, name)
    t = _Tick.start(engine, config, client, now, replica_id, workers)
    _run(t, schedule, on_demand_key(schedule, t.now), t.now, late=False)
    return t.result


def preview(
    engine: Engine, config: Config, name: str, now: datetime, *, workers: Workers | None = None
) -> list[dict[str, Any]]:
    """What `post_now` would post, per project: {project, channels, text, blocks}; nothing is recorded."""
    schedule = find_schedule(engine, config, name)
    moment = now.astimezone(UTC)
    run_workers = workers or InlineWorkers(engine)
    with session_scope(engine) as session:
        since_last = schedule.window.since_last
        previous = _previous_posted_due(session, schedule, moment) if since_last else None
    start = window_start(schedule, moment, previous)
    out = []
    for project in schedule.projects:
        _, message = _message(config, run_workers, moment, schedule, project, start, moment)
        channels = [target for target in schedule.targets if target != LEADS_DM]
        out.append({"project": project, "channels": channels, **message})
    return out
