"""Where jobs run: worker processes at a lower CPU priority, so that acks never wait for them.

An ack is a few hundred microseconds of Python; a job (a `/guide` answer: search, ranking,
suggestions, blocks; a Home tab; a scheduled digest) is tens of milliseconds or more. In one
process they share the GIL, and under load every ack queues behind that work. Jobs therefore run
in a pool of worker processes, each with its own engine, niced so that the request process wins
the CPU whenever it has an ack to send. The listener threads (and the scheduler) only hand a job
over, wait for its result and use it.

A job is a module-level function `fn(engine, *args, **kwargs)` returning something picklable.
`InlineWorkers` runs the same jobs in the calling thread (console, tests, in-memory SQLite).
The pool is built, started and closed by whoever serves the app (`annobot run`) and handed to
`create_app`. Nothing here is shared state between replicas: each process works on its own.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine

from bot.errors import AnnobotError
from bot.store.db import make_engine

T = TypeVar("T")
log = logging.getLogger("annobot.slack")

# Workers give way to the request process: nice 10 has about a tenth of the CPU weight of nice 0.
WORKER_NICE = 10
MAX_AUTO_WORKERS = 4
PARENT_CHECK_S = 1.0
START_TIMEOUT_S = 120


class WorkerError(AnnobotError):
    """The worker pool cannot take a job: it is closed, or its processes did not start."""


class Workers(Protocol):
    """Runs jobs; `close()` releases what it holds."""

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn(engine, *args, **kwargs)` and return its result (or raise its error)."""
        ...

    def start(self) -> None:
        """Get ready to answer (start processes), so that the first answers are not slower."""
        ...

    def close(self) -> None:
        """Stop the workers; jobs not started are cancelled."""
        ...


class JobError(Exception):
    """A job's error that could not cross the process boundary as itself (its text and traceback)."""


class InlineWorkers:
    """Jobs run in the calling thread with the app's own engine."""

    def __init__(self, engine: Engine) -> None:
        """Use `engine` for every job."""
        self.engine = engine

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run the job here."""
        return fn(self.engine, *args, **kwargs)

    def start(self) -> None:
        """Nothing to start."""

    def close(self) -> None:
        """Nothing to close."""


# The engine of this worker process, made by _init_worker.
_worker_engine: Engine | None = None
# What the jobs import (pandas, the digest, the search): seconds of imports that a fresh worker would
# otherwise pay on its first answer (about 3 s on a quiet machine, 12-24 s under a load of 15). Each
# worker imports them in its initializer, before it takes any job, so `annobot run` (which calls
# `start()`) serves once its workers are warm. Not on a thread beside the job loop: unpickling a job
# imports its module too, and two threads importing at once can hit CPython's import-lock
# `_DeadlockError` (seen on CI: the warm-up and a job both importing `html.entities`).
WARM_MODULES = (
    "bot.jobs.guide",
    "bot.jobs.digest",
    "bot.jobs.quality",
    "bot.jobs.home",
    "bot.jobs.flag_queue",
    "bot.store.fused",
)


def _warm(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            # Not only ImportError: the warm-up runs in the pool's initializer, where any error breaks
            # the pool for every job. A job that needs the module raises the error itself, where it
            # can be told to the user.
            log.warning("worker warm-up: %s cannot be imported", name, exc_info=True)


def _exit_with_parent(parent: int) -> None:
    # A pool's workers outlive a parent that was killed (each holds the job queue open): leave
    # when the request process is gone, rather than idle forever holding database connections.
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(0)


def _init_worker(parent: int, url: str, nice: int, log_level: int, warm: tuple[str, ...] = ()) -> None:
    global _worker_engine
    # `parent` comes from the parent itself: a worker that starts after its parent died sees
    # getppid() == 1 at once and leaves.
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    if nice:
        os.nice(nice)
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s")
    # The request process has already checked (or migrated) the schema.
    _worker_engine = make_engine(url, upgrade=False)
    _warm(warm)


def warmed(engine: Engine) -> list[str]:
    """A job: which WARM_MODULES this worker has imported."""
    return [m for m in WARM_MODULES if m in sys.modules]


def _call(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    assert _worker_engine is not None, "worker not initialised"
    try:
        return fn(_worker_engine, *args, **kwargs)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            # An error the request process could not rebuild would break the whole pool (and every
            # other user's answer in it): send its text and traceback instead.
            raise JobError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}") from None
        raise


def _ready(linger: float) -> int:
    # A worker takes jobs only once its initializer (warm-up included) is done. Lingering a moment lets every worker take a job, not only the first one up.
    time.sleep(linger)
    return os.getpid()


class ProcessWorkers:
    """Jobs run in a pool of spawned worker processes with their own engines."""

    def __init__(
        self,
        database_url: str,
        processes: int,
        *,
        nice: int = WORKER_NICE,
        warm: tuple[str, ...] = WARM_MODULES,
    ) -> None:
        """A pool of `processes` workers on `database_url` that import `warm` as they start; started on
        first use or by `start()`."""
        if processes < 1:
            raise ValueError("processes must be >= 1")
        self.database_url = database_url
        self.processes = processes
        self.nice = nice
        self.warm = warm
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._lock = threading.Lock()

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                # Shutting down: never spawn a pool nobody would close.
                raise WorkerError("the answer workers are closed")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    # spawn, not fork: the request process has threads and open connections.
                    mp_context=get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(
                        os.getpid(),
                        self.database_url,
                        self.nice,
                        logging.getLogger().getEffectiveLevel(),
                        self.warm,
                    ),
                )
            return self._pool

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run the job in a worker; a pool whose worker died is replaced and the job tried once more."""
        for attempt in (1, 2):
            pool = self._get_pool()
            try:
                return pool.submit(_call, fn, args, kwargs).result()
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                log.error("a worker died; starting a new pool and retrying once", exc_info=True)
                self._discard(pool)
        raise AssertionError("unreachable")

    def start(self) -> None:
        """Spawn every worker now and wait until each one has answered, its warm-up imports done."""
        pool = self._get_pool()
        deadline = time.monotonic() + START_TIMEOUT_S
        seen: set[int] = set()
        while len(seen) < self.processes:
            if time.monotonic() > deadline:
                raise WorkerError(f"only {len(seen)} of {self.processes} answer workers started")
            futures = [pool.submit(_ready, 0.05) for _ in range(self.processes)]
            seen.update(f.result(timeout=START_TIMEOUT_S) for f in futures)

    def close(self) -> None:
        """Shut the pool down, cancelling queued jobs."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._closed = True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def auto_processes() -> int:
    """The default number of worker processes: one per CPU, at most MAX_AUTO_WORKERS."""
    return max(1, min(MAX_AUTO_WORKERS, os.cpu_count() or 1))


def make_workers(engine: Engine, processes: int | None) -> Workers:
    """Process workers (`processes` None = auto), or inline ones for 0 and in-memory SQLite."""
    url = engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    count = auto_processes() if processes is None else processes
    if count == 0 or in_memory:
        return InlineWorkers(engine)
    return ProcessWorkers(url.render_as_string(hide_password=False), count)
