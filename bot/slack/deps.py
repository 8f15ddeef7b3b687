"""What listeners need besides the Bolt arguments: built once by `create_app`, passed to `register`."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.authz.guard import Authorizer
from bot.config import Config
from bot.jobs.workers import Workers


@dataclass(frozen=True)
class Deps:
    """What listeners need besides the Bolt arguments."""

    config: Config
    engine: Engine
    # Jobs run here (worker processes under `annobot run`; see bot.jobs.workers).
    workers: Workers
    # Work after the ack (hand a job to the workers, wait, post the result) runs on these threads.
    background: Executor
    # "May U do A on P?" from the config's leads/managers, user groups resolved through the app's client.
    authorizer: Authorizer
