"""Where an import collects item display rows: last write per item, bounded memory.

Rows are written after the annotations are merged (the store's connection is busy loading them
while the file is read), so they wait here. A Label Studio export is read in constant memory; its
task data must not undo that: past `limit_bytes` the rows held so far are pickled to an anonymous
temporary file and memory starts again. Batches come back in the order they were written, so
writing them in that order keeps "the last row of an item wins".
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from bot.imports.items import ItemRow

SPILL_BYTES = 64 << 20  # about this much display text is held in memory before a batch spills
_ROW_OVERHEAD = 200  # bytes of a row beyond its text: the tuple, the dict entry, the strings' headers


def _size(row: ItemRow) -> int:
    return _ROW_OVERHEAD + len(row.item) + len(row.text or "") + len(row.url or "") + len(row.data or "")


class ItemSink:
    """Item id -> display row, the last one set wins; spills to a temporary file past `limit_bytes`."""

    def __init__(self, limit_bytes: int | None = None) -> None:
        self.limit_bytes = SPILL_BYTES if limit_bytes is None else limit_bytes
        self._rows: dict[str, ItemRow] = {}
        self._held = 0
        self._file: BinaryIO | None = None
        self._spilled = 0  # batches in the file

    def __setitem__(self, item: str, row: ItemRow) -> None:
        old = self._rows.get(item)
        if old is not None:
            self._held -= _size(old)
        self._rows[item] = row
        self._held += _size(row)
        if self._held > self.limit_bytes:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="annobot-items-")  # noqa: SIM115 (closed by clear)
        # Our own rows in our own unnamed file: nothing else can write what is unpickled here.
        pickle.dump(list(self._rows.values()), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._spilled += 1
        self._rows, self._held = {}, 0

    def __bool__(self) -> bool:
        return bool(self._rows) or self._spilled > 0

    def batches(self) -> Iterator[list[ItemRow]]:
        """The rows in the order they were set, one batch per spill and the rows held last."""
        if self._file is not None:
            self._file.seek(0)
            for _ in range(self._spilled):
                yield pickle.load(self._file)  # our own rows (see _spill)
        if self._rows:
            yield list(self._rows.values())

    def __enter__(self) -> ItemSink:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every row (a fresh pass over the file) and remove the temporary file."""
        if self._file is not None:
            self._file.close()
        self._file, self._spilled = None, 0
        self._rows, self._held = {}, 0
