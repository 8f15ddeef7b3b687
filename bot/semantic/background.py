"""The process's few threads that compute a query's meaning while its lexical SQL runs on the caller's.

Both sides release the GIL (sqlite3 and psycopg while the database works; numpy's products and the
tokenizer while they compute), so a fused lookup takes about the longer of the two instead of their
sum. Lookups run on Bolt's after-ack threads, a few at a time: at most THREADS tasks run here at once,
and a lookup that finds every thread busy runs its task itself when it asks for the result, as it
would without the pool: it is never queued behind other lookups. Made on first use, never at import,
and anew in a forked child (a fork copies no thread).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

THREADS = 2
_pool: tuple[int, ThreadPoolExecutor, threading.BoundedSemaphore] | None = None  # pid, pool, free slots
_lock = threading.Lock()


def _threads() -> tuple[ThreadPoolExecutor, threading.BoundedSemaphore]:
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid():
            executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="annobot-meaning")
            _pool = (os.getpid(), executor, threading.BoundedSemaphore(THREADS))
        return _pool[1], _pool[2]


def soon(task: Callable[[], T]) -> Callable[[], T]:
    """Start `task` on a free thread of the pool; call the result for its value (or its exception).
    With every thread busy, the call runs the task then, on the caller's thread."""
    executor, slots = _threads()
    if not slots.acquire(blocking=False):
        return task

    def run() -> T:
        try:
            return task()
        finally:
            slots.release()  # before the result is set: whoever waits for it finds the slot free

    try:
        future = executor.submit(run)
    except RuntimeError:  # the interpreter is exiting and takes no new work: on the caller's
        slots.release()
        return task
    return future.result
