"""Answers computed in worker processes (production's default), over real HTTP, on both backends."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.cli.run_cmd import run_workers
from bot.config import load_config
from bot.errors import ConfigError, InputError
from bot.jobs.workers import InlineWorkers, JobError, ProcessWorkers, WorkerError, make_workers
from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, parse_section_ref
from bot.store.db import make_engine
from bot.store.models.slack import Lookup
from tests.bot.helpers import (
    SECRET,
    Bot,
    TimedClient,
    alive,
    bot_config,
    buttons,
    children,
    texts,
    wait_gone,
)
from tests.support.fakeslack import FakeSlack
from tests.support.published import examples_published


@pytest.fixture
def process_bot(engine: Engine, fake: FakeSlack) -> Iterator[Bot]:
    """The HTTP app answering through two spawned worker processes."""
    examples_published(engine)
    workers = ProcessWorkers(engine.url.render_as_string(hide_password=False), 2)
    workers.start()
    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine, workers=workers)
    server, port = serve_in_thread(make_wsgi_app(app, engine))
    try:
        yield Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))
    finally:
        server.stop()
        workers.close()


def test_guide_answered_by_a_worker_process(process_bot: Bot) -> None:
    bot = process_bot
    status, _, body = bot.slack.command("/guide", "sarcasm", response_url=bot.fake.response_url("r1"))
    assert (status, body) == (200, "")
    [call] = bot.fake.wait_for_response("r1")
    ref = buttons(call.params["blocks"], GUIDE_SHOW_SECTION)[0]
    assert parse_section_ref(ref) == ("product-sentiment", "1.1.0", "sarcasm")
    # The worker wrote the lookup through its own engine.
    with bot.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Lookup)) == 1

    bot.slack.action(GUIDE_SHOW_SECTION, ref, response_url=bot.fake.response_url("show"))
    [show] = bot.fake.wait_for_response("show")
    assert "Sarcasm and irony" in texts(show.params["blocks"])


def test_errors_cross_the_process_boundary_as_user_messages(process_bot: Bot) -> None:
    bot = process_bot
    bot.slack.command("/guide", "sarcasm @9.9.9", response_url=bot.fake.response_url("pin"))
    [call] = bot.fake.wait_for_response("pin")
    assert call.params["response_type"] == "ephemeral"
    assert "no guideline has a published version 9.9.9" in texts(call.params["blocks"])


def _fails_first_time(engine: Engine, marker: str) -> int:
    # Kills its own worker once (as an out-of-memory kill would), then answers.
    path = Path(marker)
    if not path.exists():
        path.write_text("died once")
        os._exit(1)
    return os.getpid()


def _raises(engine: Engine) -> None:
    raise InputError("bad input in a worker")


class _Unrebuildable(Exception):
    # Two required arguments and no __reduce__: pickle cannot rebuild it in the parent.
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}/{b}")


def _raises_unrebuildable(engine: Engine) -> None:
    raise _Unrebuildable(1, 2)


def _slow(engine: Engine) -> str:
    time.sleep(1.0)
    return "slow done"


def _niceness(engine: Engine) -> int:
    return os.nice(0)


def _engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_dead_worker_is_replaced_and_the_job_retried(db_url: str, tmp_path: Path) -> None:
    workers = ProcessWorkers(db_url, 1)
    try:
        assert workers.run(_fails_first_time, str(tmp_path / "marker")) != os.getpid()
        # Workers give way to the request process.
        assert workers.run(_niceness) == min(os.nice(0) + 10, 19)  # 19 is the ceiling
        with pytest.raises(InputError, match="bad input in a worker"):
            workers.run(_raises)
        # Each worker has its own engine on the same database.
        assert workers.run(_engine_url) == make_engine(db_url, upgrade=False).url.render_as_string(
            hide_password=False
        )
    finally:
        workers.close()


def _pool_in_a_child(url: str, ready: Any) -> None:
    workers = ProcessWorkers(url, 2, warm=())  # about orphans, not warm-up: start fast even under load
    workers.start()
    ready.set()
    time.sleep(60)  # killed long before


def test_workers_leave_when_their_parent_is_killed(db_url: str) -> None:
    # A parent killed with SIGKILL cannot close its pool: the workers notice and exit by themselves.
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    parent = ctx.Process(target=_pool_in_a_child, args=(db_url, ready))
    parent.start()
    try:
        assert ready.wait(60)
        workers = children(parent.pid)
        # start() returns once both workers have answered.
        assert len(workers) == 2
    finally:
        parent.kill()
        parent.join(10)
    assert wait_gone(workers, timeout=10), f"orphaned workers: {sorted(alive(workers))}"


def test_an_error_that_cannot_cross_processes_fails_only_its_job(db_url: str) -> None:
    workers = ProcessWorkers(db_url, 2)
    try:
        workers.start()
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(workers.run, _slow)
            time.sleep(0.2)
            bad = pool.submit(workers.run, _raises_unrebuildable)
            with pytest.raises(JobError, match=r"_Unrebuildable: 1/2") as caught:
                bad.result(30)
            assert "_raises_unrebuildable" in str(caught.value)  # the worker's traceback travels along
            assert slow.result(30) == "slow done"  # the pool was not broken under the other job
    finally:
        workers.close()


def test_closed_workers_refuse_jobs_instead_of_starting_a_new_pool(db_url: str) -> None:
    workers = ProcessWorkers(db_url, 1)
    workers.start()
    workers.close()
    with pytest.raises(WorkerError, match="closed"):
        workers.run(_niceness)
    assert workers._pool is None


def test_make_workers_chooses_inline_for_zero_and_in_memory_sqlite(engine: Engine) -> None:
    assert isinstance(make_workers(engine, 0), InlineWorkers)
    assert isinstance(make_workers(make_engine("sqlite:///:memory:"), 3), InlineWorkers)
    workers = make_workers(engine, 2)
    assert isinstance(workers, ProcessWorkers) and workers.processes == 2
    auto = make_workers(engine, None)
    assert isinstance(auto, ProcessWorkers) and 1 <= auto.processes <= 4


def test_annobot_run_builds_workers_from_config(engine: Engine, fake: FakeSlack) -> None:
    import dataclasses

    config = bot_config(fake.url)
    config = dataclasses.replace(config, slack=dataclasses.replace(config.slack, answer_workers=3))
    workers = run_workers(config, engine)
    assert isinstance(workers, ProcessWorkers) and workers.processes == 3
    workers.close()  # never started: nothing to stop


@pytest.mark.parametrize(("value", "expected"), [('"auto"', None), ("0", 0), ("2", 2)])
def test_answer_workers_config(tmp_path: Path, value: str, expected: int | None) -> None:
    path = tmp_path / "annobot.toml"
    path.write_text(f"[slack]\nanswer_workers = {value}\n")
    assert load_config(path, env={}).slack.answer_workers == expected


@pytest.mark.parametrize("value", ["-1", '"many"', "true", "1.5"])
def test_answer_workers_config_errors_name_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "annobot.toml"
    path.write_text(f"[slack]\nanswer_workers = {value}\n")
    with pytest.raises(ConfigError, match=r"slack\.answer_workers"):
        load_config(path, env={})


def test_workers_that_do_not_start_in_time_raise_worker_error(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.jobs.workers as workers_module

    monkeypatch.setattr(workers_module, "START_TIMEOUT_S", -1)  # the deadline has passed already
    workers = ProcessWorkers(db_url, 2)
    try:
        with pytest.raises(WorkerError, match=r"only 0 of 2 answer workers started"):
            workers.start()
    finally:
        workers.close()


class _Recording:
    """Inline workers that remember which jobs they ran."""

    def __init__(self, engine: Engine) -> None:
        self.inline = InlineWorkers(engine)
        self.ran: list[str] = []
        self.started = self.closed = False

    def run(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.ran.append(fn.__name__)
        return self.inline.run(fn, *args, **kwargs)

    def start(self) -> None:
        self.started = True

    def close(self) -> None:
        self.closed = True


def _served(app: Any, engine: Engine, fake: FakeSlack) -> tuple[Any, TimedClient]:
    server, port = serve_in_thread(make_wsgi_app(app, engine))
    return server, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET)


def test_create_app_runs_jobs_on_the_workers_it_is_given(engine: Engine, fake: FakeSlack) -> None:
    examples_published(engine)
    workers = _Recording(engine)
    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine, workers=workers)
    server, slack = _served(app, engine, fake)
    try:
        slack.command("/guide", "sarcasm", response_url=fake.response_url("given"))
        [call] = fake.wait_for_response("given")
        assert "Sarcasm and irony" in texts(call.params["blocks"])
    finally:
        server.stop()
    assert workers.ran == ["answer_and_remember"]
    # Starting and closing belong to whoever serves the app, not to create_app.
    assert not workers.started and not workers.closed


def test_create_app_answers_inline_by_default_whatever_the_config(engine: Engine, fake: FakeSlack) -> None:
    import dataclasses

    examples_published(engine)
    config = bot_config(fake.url)
    config = dataclasses.replace(config, slack=dataclasses.replace(config.slack, answer_workers=3))
    before = children(os.getpid())
    app = create_app(config, client=fake.client(), engine=engine)
    server, slack = _served(app, engine, fake)
    try:
        slack.command("/guide", "sarcasm", response_url=fake.response_url("inline"))
        [call] = fake.wait_for_response("inline")
        assert "Sarcasm and irony" in texts(call.params["blocks"])
    finally:
        server.stop()
    # `answer_workers` is for `annobot run`: the app alone spawns no process.
    assert alive(children(os.getpid()) - before) == set()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_workers_import_what_the_jobs_need_as_they_start_not_on_the_first_answer(db_url: str) -> None:
    from bot.jobs.workers import WARM_MODULES, warmed

    for warm, expected in ((WARM_MODULES, list(WARM_MODULES)), ((), [])):
        workers = ProcessWorkers(db_url, 1, warm=warm)
        try:
            workers.start()
            assert workers.run(warmed) == expected
        finally:
            workers.close()
    # A pool started on first use, too, takes its first job only once warm: a job unpickled (and its
    # module imported) while a warm-up thread imported beside it once hit an import-lock deadlock.
    workers = ProcessWorkers(db_url, 1)
    try:
        assert workers.run(warmed) == list(WARM_MODULES)
    finally:
        workers.close()
