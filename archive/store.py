"""The Markdown store: where an article's file lives and how it is written safely.

Paths are derived from the source, the publication month and the article's stable id, so the
same article always lands in the same place and nothing a page contains can steer a path
outside the archive folder. Writes are atomic: a temporary file in the same folder, flushed
and fsynced, then renamed over the target.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from archive.article import Article

SLUG_MAX = 60


class StoreError(OSError):
    """Writing to the archive folder failed (disk full, read-only, permissions)."""

    def __init__(self, path: Path, exc: OSError):
        reason = {
            errno.ENOSPC: "no space left on device",
            errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        super().__init__(exc.errno, f"cannot write {path}: {reason}")
        self.path = path

    def __str__(self) -> str:
        return self.args[1]


def slug_from_url(url: str) -> str:
    """A readable, filesystem-safe slug from the URL's last meaningful path segment."""
    segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
    for segment in reversed(segments):
        stem = re.sub(r"\.(s?html?|php|aspx?|jsp|cms)$", "", segment, flags=re.IGNORECASE)
        ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")
        if slug and slug not in {"index", "article", "story", "news"}:
            return slug
    return "article"


def relative_path(article: Article) -> str:
    """``<source>/<YYYY>/<MM>/<slug>-<id>.md``, month in the source's zone (POSIX separators)."""
    moment: datetime = article.published or article.fetched
    local = moment.astimezone(ZoneInfo(article.timezone))
    source = re.sub(r"[^a-z0-9_-]", "-", article.source.lower()) or "source"
    return f"{source}/{local:%Y}/{local:%m}/{slug_from_url(article.url)}-{article.uid[:10]}.md"


class MarkdownStore:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def absolute(self, relpath: str) -> Path:
        path = (self.root / relpath).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"path {relpath!r} is outside the archive folder {self.root}")
        return path

    def write(self, relpath: str, text: str) -> int:
        """Atomically (re)write a file; returns its size in bytes. Raises StoreError."""
        path = self.absolute(relpath)
        data = text.encode("utf-8")
        tmp_name = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".md", dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
            tmp_name = None
        except OSError as exc:
            raise StoreError(path, exc) from exc
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
        return len(data)

    def sync_folders(self, relpaths: Iterable[str]) -> None:
        """Make the renames of files just written durable: each of their folders fsynced once (a
        batch of articles usually shares one or two month folders). Raises StoreError."""
        for folder in sorted({self.absolute(p).parent for p in relpaths}):
            try:
                fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise StoreError(folder, exc) from exc

    def remove(self, relpath: str) -> bool:
        """Delete a file (one whose index rows never committed); False when there was none."""
        try:
            self.absolute(relpath).unlink()
        except FileNotFoundError:
            return False
        return True

    def read(self, relpath: str) -> str:
        return self.absolute(relpath).read_text(encoding="utf-8")

    def exists(self, relpath: str) -> bool:
        return self.absolute(relpath).is_file()

    def files(self) -> Iterator[str]:
        """Every article file below the root, as relative POSIX paths, in a stable order."""
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.endswith(".md") and not name.startswith("."):
                    yield Path(dirpath, name).relative_to(self.root).as_posix()

    def remove_temporaries(self, folder: str) -> int:
        """Delete the temporary files a killed process left below ``folder`` (a source's folder,
        whose lock the caller holds, so no live write can be among them); returns how many."""
        count = 0
        base = self.absolute(folder)
        if base.is_dir():
            for tmp in base.rglob(".tmp-*.md"):
                tmp.unlink(missing_ok=True)
                count += 1
        return count
