"""The BERT encoder forward pass in numpy (float32): embeddings, self-attention layers, mean pooling.

Written against the Hugging Face `BertModel` tensor names, so a `model.safetensors` of a BERT checkpoint
loads as it is. Inference only: no dropout, no gradient, no cache.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

# erf is not in numpy and scipy is no dependency: Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7 (5e-7 once
# computed in float32), at the resolution of the float32 activations it feeds (BERT's "gelu" is the erf form).
_P = np.float32(0.3275911)
_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
_SQRT_HALF = np.float32(1 / math.sqrt(2))


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, within 1.5e-7 of the exact value (plus float32 rounding)."""
    a = np.abs(x)
    t = 1 / (1 + _P * a)
    a1, a2, a3, a4, a5 = _A
    poly = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    return np.copysign(1 - poly * np.exp(-a * a), x)


def gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU, x·Φ(x)."""
    return x * (0.5 * (1 + erf(x * _SQRT_HALF)))


@dataclass(frozen=True)
class Config:
    """The shape of the network, from the checkpoint's config.json."""

    hidden: int
    heads: int
    layers: int
    intermediate: int
    max_positions: int
    eps: float

    @classmethod
    def from_json(cls, cfg: Mapping[str, object]) -> Config:
        """Read a Hugging Face BERT config.json; only the absolute-position, erf-GELU variant is supported."""
        if cfg.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported hidden_act {cfg.get('hidden_act')!r} (only 'gelu')")
        if cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"unsupported position_embedding_type {cfg.get('position_embedding_type')!r}")
        return cls(
            hidden=int(cfg["hidden_size"]),  # type: ignore[call-overload]
            heads=int(cfg["num_attention_heads"]),  # type: ignore[call-overload]
            layers=int(cfg["num_hidden_layers"]),  # type: ignore[call-overload]
            intermediate=int(cfg["intermediate_size"]),  # type: ignore[call-overload]
            max_positions=int(cfg["max_position_embeddings"]),  # type: ignore[call-overload]
            eps=float(cfg.get("layer_norm_eps", 1e-12)),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (hidden, 3·hidden): query, key and value projections in one matrix product
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    ffn_w: np.ndarray
    ffn_b: np.ndarray
    ffn_out_w: np.ndarray
    ffn_out_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * gamma + beta


class Bert:
    """A BERT encoder built from its tensors; `pooled` gives mean-pooled, L2-normalised sentence vectors."""

    def __init__(self, config: Config, tensors: Mapping[str, np.ndarray]) -> None:
        self.config = config

        def get(name: str) -> np.ndarray:
            # Older checkpoints prefix every name with "bert."; sentence-transformers' ones do not.
            arr = tensors[name] if name in tensors else tensors[f"bert.{name}"]
            return np.ascontiguousarray(arr, dtype=np.float32)

        def linear(prefix: str) -> tuple[np.ndarray, np.ndarray]:
            # Stored as (out, in) for x @ W.T: transposed once here so every product is a plain x @ W.
            return np.ascontiguousarray(get(f"{prefix}.weight").T), get(f"{prefix}.bias")

        e = "embeddings"
        self.word = get(f"{e}.word_embeddings.weight")
        self.position = get(f"{e}.position_embeddings.weight")
        self.token_type = get(f"{e}.token_type_embeddings.weight")
        self.emb_ln = (get(f"{e}.LayerNorm.weight"), get(f"{e}.LayerNorm.bias"))
        self.layers: list[_Layer] = []
        for i in range(config.layers):
            p = f"encoder.layer.{i}"
            qkv = [linear(f"{p}.attention.self.{n}") for n in ("query", "key", "value")]
            out_w, out_b = linear(f"{p}.attention.output.dense")
            ffn_w, ffn_b = linear(f"{p}.intermediate.dense")
            ffn_out_w, ffn_out_b = linear(f"{p}.output.dense")
            self.layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(np.concatenate([w for w, _ in qkv], axis=1)),
                    qkv_b=np.concatenate([b for _, b in qkv]),
                    out_w=out_w,
                    out_b=out_b,
                    ln1_g=get(f"{p}.attention.output.LayerNorm.weight"),
                    ln1_b=get(f"{p}.attention.output.LayerNorm.bias"),
                    ffn_w=ffn_w,
                    ffn_b=ffn_b,
                    ffn_out_w=ffn_out_w,
                    ffn_out_b=ffn_out_b,
                    ln2_g=get(f"{p}.output.LayerNorm.weight"),
                    ln2_b=get(f"{p}.output.LayerNorm.bias"),
                )
            )

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer's token vectors (batch, length, hidden) for token ids and a 0/1 attention mask."""
        cfg = self.config
        batch, length = ids.shape
        if length > cfg.max_positions:
            raise ValueError(f"{length} tokens exceed the model's {cfg.max_positions} positions")
        heads, width = cfg.heads, cfg.hidden // cfg.heads
        # Single-segment input: token type 0 everywhere, as sentence-transformers encodes one text.
        x = self.word[ids] + self.position[:length] + self.token_type[0]
        x = _layer_norm(x, *self.emb_ln, cfg.eps).reshape(batch * length, cfg.hidden)
        # Padding gets the most negative float32 as attention bias, as transformers does.
        bias = ((1 - mask.astype(np.float32)) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1 / math.sqrt(width))
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(batch, length, 3, heads, width)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (batch, heads, length, width)
            scores = (q * scale) @ k.transpose(0, 1, 3, 2) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, cfg.hidden)
            x = _layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_g, layer.ln1_b, cfg.eps)
            inner = gelu(x @ layer.ffn_w + layer.ffn_b)
            x = _layer_norm(inner @ layer.ffn_out_w + layer.ffn_out_b + x, layer.ln2_g, layer.ln2_b, cfg.eps)
        return x.reshape(batch, length, cfg.hidden)

    def pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean of the unmasked token vectors, scaled to unit length (sentence-transformers' Pooling+Normalize)."""
        states = self.hidden_states(ids, mask)
        weights = mask.astype(np.float32)[:, :, None]
        summed = (states * weights).sum(axis=1)
        counts = np.maximum(weights.sum(axis=1), np.float32(1e-9))
        means = summed / counts
        norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), np.float32(1e-12))
        return (means / norms).astype(np.float32, copy=False)
