"""Keeping an article: its Markdown file first, then its index rows.

The file is written before the rows, so a crash in between leaves a file the index can be rebuilt
from, never a row without its file. The database's unique constraints are the last guard against
an article archived twice by two processes at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from archive import frontextras
from archive.article import Article
from archive.duplicates import Duplicates
from archive.fetchstate import FetchInfo, FetchStates
from archive.index import ArchiveIndex
from archive.models import ArticleRow
from archive.render import MAINROAD_LAYOUT, Layout, quote, render
from archive.revisions import Revisions
from archive.store import MarkdownStore, relative_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Saved:
    status: str  # "new", "duplicate", "revised" or "unchanged" (the last two: revisits), "syndicated"
    path: str  # relative to the archive folder
    article_id: int
    copy_of: str | None = None  # a syndicated copy (see archive/duplicates.py): the first article's URL


class Archiver:
    def __init__(
        self,
        store: MarkdownStore,
        index: ArchiveIndex,
        layout: Layout = MAINROAD_LAYOUT,
        syndicated: str = "link",
    ):
        self.store = store
        self.index = index
        self.layout = layout
        self.states = FetchStates(index.session)
        self.revisions = Revisions(store, self.states, layout)
        self.duplicates = Duplicates(store, index, syndicated)

    @classmethod
    def open(
        cls, archive_dir: Path, database_url: str, layout: Layout = MAINROAD_LAYOUT, syndicated: str = "link"
    ) -> Archiver:
        return cls(MarkdownStore(archive_dir), ArchiveIndex(database_url), layout, syndicated)

    def close(self) -> None:
        self.index.close()

    def save(self, article: Article, fetch: FetchInfo | None = None) -> Saved:
        existing = self.index.by_uid(article.uid) or self.index.find(article.fetched_url)
        if existing is not None and fetch is not None and fetch.revisit_of == existing.id:
            revised = self.revisions.revise(existing, article, fetch)
            if revised:
                self.duplicates.fingerprint(existing.id, article)
            if article.aliases and len(self.index.known(article.aliases)) < len(set(article.aliases)):
                self.index.add_aliases(existing.id, article.aliases)  # e.g. an AMP page it names now
                self.duplicates.refresh(existing.id)
            return Saved("revised" if revised else "unchanged", existing.path, existing.id)
        copy = None
        if existing is None:  # an AMP or mobile variant whose canonical said nothing; another source's copy
            existing, copy = self.duplicates.check(article)
        if existing is not None:
            self.index.add_aliases(existing.id, [article.url, article.fetched_url, *article.aliases])
            self.duplicates.refresh(existing.id)  # new alias paths into its front matter
            return Saved("duplicate", existing.path, existing.id)
        if copy is not None and self.duplicates.mode != "keep":
            self.duplicates.record_copy(copy, article, self.duplicates.mode)
            return Saved("syndicated", copy.first.path, copy.first.id, copy.first.url)
        path = self._free_path(article)
        text = frontextras.apply(render(article, self.layout), self.duplicates.extras_for_new(article, copy))
        size = self.store.write(path, text)
        try:
            row = self.index.add_article(article, path, size)
        except IntegrityError:
            # Another process archived the same article in the meantime: same uid, same path,
            # same content, so the file just written is theirs too.
            existing = self.index.by_uid(article.uid)
            if existing is None:
                raise
            return Saved("duplicate", existing.path, existing.id)
        self.duplicates.fingerprint(row.id, article)
        if copy is not None:
            self.duplicates.record_copy(copy, article, "keep", copy_id=row.id)
        if fetch is not None and (fetch.etag or fetch.last_modified):
            with self.index.session.begin() as session:  # validators for the revisits' conditional GET
                self.states.checked(session, row.id, fetch, row.first_seen)
        log.debug("archived %s as %s", article.url, path)
        return Saved("new", path, row.id, copy.first.url if copy is not None else None)

    def _free_path(self, article: Article) -> str:
        path = relative_path(article)
        if self.index.path_taken(path):  # two ids sharing a 10-character prefix: use the whole id
            path = path.removesuffix(f"{article.uid[:10]}.md") + f"{article.uid}.md"
        return path

    def mark_deleted(self, article_id: int, status: str, since: str) -> None:
        """Note in an article's front matter that it is deleted upstream (``since``: when first seen
        gone, as written in its dates); the file stays, the row's size follows the file."""
        with self.index.session() as session:
            row = session.get(ArticleRow, article_id)
        if row is None or not self.store.exists(row.path):
            return
        text = self.store.read(row.path)
        end = text.find("\n---", 3)
        if end < 0 or "\ndeleted:" in text[:end]:
            return
        extra = f"\ndeleted: {quote(since)}\ndeleted_status: {quote(status)}"
        size = self.store.write(row.path, text[:end] + extra + text[end:])
        with self.index.session.begin() as session:
            fresh = session.get(ArticleRow, article_id)
            if fresh is not None:
                fresh.size = size
