"""The cosine of a query against the chunk matrix, shared in blocks by two threads (bot/store/fused.py)."""

from __future__ import annotations

import threading
import time

import pytest

from bot.store import fused

np = pytest.importorskip("numpy")


def _matrix(rows: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((rows, 384)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    v = rng.standard_normal(384).astype(np.float32)
    return m, v / np.linalg.norm(v)


@pytest.mark.parametrize("rows", [0, 1, 7, 64, 1000])
@pytest.mark.parametrize("block", [1, 7, 100, 8192])
def test_the_blocks_shared_by_two_threads_are_the_whole_product(
    monkeypatch: pytest.MonkeyPatch, rows: int, block: int
) -> None:
    from threadpoolctl import threadpool_limits

    monkeypatch.setattr(fused, "BLOCK", block)
    m, v = _matrix(rows)
    with threadpool_limits(1, "blas"):  # as the encoder sets it for the process when it loads
        alone = fused._Cosines(m).compute(lambda: v).copy()
        for _ in range(5):
            cosines = fused._Cosines(m)
            helper = threading.Thread(target=lambda c=cosines: (c.ready.wait(), c.help()))
            helper.start()
            out = cosines.compute(lambda: v)
            helper.join()
            # Bit for bit: a block's product is the same whichever thread computes it.
            assert np.array_equal(out, alone)
        whole = m @ v
    assert out.dtype == np.float32 and out.shape == (rows,)
    np.testing.assert_allclose(out, whole, rtol=0, atol=1e-6)


def test_a_failed_embedding_leaves_no_helper_waiting() -> None:
    m, _ = _matrix(50)
    cosines = fused._Cosines(m)
    helper = threading.Thread(target=lambda: (cosines.ready.wait(), cosines.help()))
    helper.start()

    def fail() -> np.ndarray:
        raise RuntimeError("no model")

    with pytest.raises(RuntimeError):
        cosines.compute(fail)
    helper.join(timeout=5)
    assert not helper.is_alive()


def test_a_block_that_fails_on_one_thread_fails_the_lookup_and_leaves_no_thread_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fused, "BLOCK", 1)
    m, v = _matrix(200)
    cosines = fused._Cosines(m)
    real = np.matmul
    failed: list[BaseException] = []

    def helper_side() -> None:
        cosines.ready.wait()
        try:
            cosines.help()
        except MemoryError as exc:
            failed.append(exc)

    helper = threading.Thread(target=helper_side, daemon=True)

    def matmul(*args: object, **kw: object) -> object:
        if threading.current_thread() is helper:
            raise MemoryError("block")
        time.sleep(0.002)  # the lookup's thread is slow, so the helper surely takes a block
        return real(*args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(np, "matmul", matmul)

    def vector() -> np.ndarray:
        cosines_started.wait(5)  # the helper is waiting for the vector before there is one
        return v

    cosines_started = threading.Event()
    helper.start()
    cosines_started.set()
    # The lookup's thread gets the error whichever thread's block raised, instead of waiting forever
    # for the block the other thread never finished.
    result: list[object] = []
    waiter = threading.Thread(target=lambda: result.append(_compute(cosines, vector)), daemon=True)
    waiter.start()
    waiter.join(timeout=10)
    helper.join(timeout=10)
    assert not waiter.is_alive() and not helper.is_alive()
    assert failed and isinstance(result[0], MemoryError)


def _compute(cosines: fused._Cosines, vector: object) -> object:
    try:
        return cosines.compute(vector)  # type: ignore[arg-type]
    except MemoryError as exc:
        return exc
