"""The list of a batch's files whose index rows have not committed yet, one list per source.

A batch of new articles is written file by file, then indexed in one transaction. A crawl killed in
between leaves files the index does not know. Before the first of them is written, their paths are
listed (and the list fsynced) in ``<archive>/.uncommitted/<source>``; the list is removed once the
rows have committed. The next crawl of the source (under its lock, so no write of it is live)
deletes the listed files that still have no row: a write that never committed is undone, as the
database undoes its half of the batch, and the next crawl fetches those articles again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

FOLDER = ".uncommitted"


class UncommittedFiles:
    def __init__(self, archive_root: Path):
        self.folder = Path(archive_root) / FOLDER

    def _list(self, source: str) -> Path:
        return self.folder / (re.sub(r"[^A-Za-z0-9_-]", "-", source) or "source")

    def note(self, source: str, paths: Iterable[str]) -> None:
        """List ``paths`` (relative to the archive) before they are written; durable on return.
        Raises OSError (the caller's store reports it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self._list(source), "a", encoding="utf-8") as handle:
            handle.write("".join(f"{p}\n" for p in paths))
            handle.flush()
            os.fsync(handle.fileno())

    def committed(self, sources: Iterable[str]) -> None:
        """The rows of everything listed for these sources have committed."""
        for source in sources:
            try:
                self._list(source).unlink()
            except FileNotFoundError:
                pass

    def listed(self, source: str) -> list[str]:
        try:
            text = self._list(source).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line]
