"""The one place the shell schedules work: an APScheduler 3.x BackgroundScheduler calling the digest tick.

`annobot run` always starts it (leads may add schedules from Slack at any time; a tick with none reads
one small table and returns) and stops it on shutdown; nothing is built at import time. The clock is injected (tests pass a fake one and call `tick_now` themselves). APScheduler
only triggers the ticks: which runs are due, late or skipped is decided by `bot.jobs.schedule.tick`
from the store, so a tick APScheduler drops (`misfire_grace_time`) loses nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.authz.groups import GroupResolver
from bot.config import Config
from bot.jobs.schedule import TickResult, tick
from bot.jobs.workers import Workers

log = logging.getLogger("annobot.scheduler")

TICK_INTERVAL = timedelta(minutes=1)
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SimulatedClock:
    """For drills and tests: reads `start` at the real instant `anchor`, and runs `speed` times real time.

    Processes given the same three values read the same time, so replicas on a simulated clock agree
    on what is due and on when a lease runs out (the lease is in the store, in this clock's time).
    """

    start: datetime
    anchor: datetime
    speed: float = 1.0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.anchor.tzinfo is None:
            raise ValueError("the simulated clock's start and anchor must be timezone-aware")
        if not self.speed > 0:
            raise ValueError(f"the clock speed must be positive, got {self.speed}")

    def __call__(self) -> datetime:
        """The simulated time now."""
        return self.start + (datetime.now(UTC) - self.anchor) * self.speed


def scheduler_clock(start: datetime | None, anchor: datetime | None, speed: float) -> Clock:
    """`annobot run`'s clock: the real one, or a `SimulatedClock` when a start or a speed is given."""
    if start is None and anchor is None and speed == 1:
        return _utc_now
    now = _utc_now()
    return SimulatedClock(start or now, anchor or now, speed)


def replica_id() -> str:
    """This process's name in the store's claims: host, pid and a random suffix (a restart is new)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DigestScheduler:
    """Calls `tick` every `interval` on a background thread, between `start()` and `stop()`."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        client: WebClient,
        *,
        interval: timedelta = TICK_INTERVAL,
        clock: Clock = _utc_now,
        replica: str | None = None,
        workers: Workers | None = None,
    ) -> None:
        """Nothing runs until `start()`; digests are computed through `workers` (inline without)."""
        if interval <= timedelta(0):
            raise ValueError(f"the tick interval must be positive, got {interval}")
        self.engine, self.config, self.client = engine, config, client
        self.interval, self.clock = interval, clock
        self.replica = replica or replica_id()
        self.workers = workers
        # Members of the user groups among the leads (leads-dm), cached across this process's ticks.
        self.members = GroupResolver(client)
        self._scheduler: Any = None

    def tick_now(self) -> TickResult | None:
        """One tick at the clock's time; an error is logged (the next tick tries again), never raised."""
        try:
            return tick(
                self.engine,
                self.config,
                self.client,
                self.clock(),
                self.replica,
                workers=self.workers,
                members=self.members,
            )
        except Exception:  # the scheduler thread must survive a bad tick; the traceback is logged
            log.exception("digest tick failed")
            return None

    def start(self) -> DigestScheduler:
        """Start the background scheduler: a first tick now, then one every interval."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            self.tick_now,
            "interval",
            seconds=self.interval.total_seconds(),
            id="digest-tick",
            next_run_time=datetime.now(UTC),
            max_instances=1,  # a slow tick is never run twice at once in one process
            coalesce=True,  # ticks missed while one ran are one tick: the store knows what is due
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "digest scheduler %s: %d schedule(s) in the config (and any added from Slack), a tick every %s",
            self.replica,
            len(self.config.digests),
            self.interval,
        )
        return self

    def stop(self) -> None:
        """Stop the scheduler, waiting for a running tick to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    @property
    def running(self) -> bool:
        """Whether `start()` was called and `stop()` not yet."""
        return self._scheduler is not None


def start_scheduler(
    engine: Engine,
    config: Config,
    client: WebClient,
    interval: timedelta = TICK_INTERVAL,
    workers: Workers | None = None,
    clock: Clock = _utc_now,
) -> DigestScheduler:
    """The started scheduler, with or without `[[digests]]` (schedules may be added from Slack).

    `interval` is real time; with a `SimulatedClock` the caller divides the clock's tick by its speed.
    """
    return DigestScheduler(engine, config, client, interval=interval, workers=workers, clock=clock).start()
