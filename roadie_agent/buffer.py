"""The on-disk spool: one file per batch, numbered; sent oldest first, removed once accepted.

Files are written whole (temporary file, fsync, rename), so a crash leaves either the batch or
nothing. Each batch carries its own idempotency key: a batch resent after a lost answer is
stored once by Roadie.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIX = ".json"
SEQ_FILE = "next_seq"


@dataclass(frozen=True)
class Spooled:
    seq: int
    path: Path
    key: str
    created: float
    body: dict[str, Any]


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class Spool:
    def __init__(self, directory: Path, *, max_age_seconds: float = 7 * 86400) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_age_seconds = max_age_seconds
        self._next = self._read_next()

    def _read_next(self) -> int:
        seqs = [self._seq(p) for p in self.directory.glob("*" + SUFFIX)]
        stored = 0
        try:
            stored = int((self.directory / SEQ_FILE).read_text().strip() or 0)
        except (OSError, ValueError):
            pass
        return max([stored, *(s + 1 for s in seqs if s is not None)]) or 1

    @staticmethod
    def _seq(path: Path) -> int | None:
        try:
            return int(path.stem)
        except ValueError:
            return None

    def put(self, body: dict[str, Any], *, now: float | None = None) -> Spooled:
        seq = self._next
        self._next += 1
        _write_atomically(self.directory / SEQ_FILE, str(self._next).encode())
        record = {"key": uuid.uuid4().hex, "created": now or time.time(), "body": body}
        path = self.directory / f"{seq:012d}{SUFFIX}"
        _write_atomically(path, json.dumps(record, separators=(",", ":")).encode())
        return Spooled(seq, path, record["key"], record["created"], body)

    def pending(self) -> list[Spooled]:
        """Every spooled batch, oldest first; unreadable files are set aside."""
        items = []
        for path in sorted(self.directory.glob("*" + SUFFIX)):
            seq = self._seq(path)
            if seq is None:
                continue
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                items.append(
                    Spooled(seq, path, record["key"], float(record["created"]), record["body"])
                )
            except (OSError, ValueError, KeyError, TypeError):
                path.rename(path.with_suffix(".broken"))
        return items

    def remove(self, item: Spooled) -> None:
        try:
            item.path.unlink()
        except FileNotFoundError:
            pass

    def prune(self, *, now: float | None = None) -> int:
        """Drop batches older than Roadie accepts (7 days): they would be refused anyway."""
        now = now or time.time()
        dropped = 0
        for item in self.pending():
            if now - item.created > self.max_age_seconds:
                self.remove(item)
                dropped += 1
        return dropped

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*" + SUFFIX))
