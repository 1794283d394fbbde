"""Keeping articles: their Markdown files first, then their index rows, a batch at a time.

A batch's new files are listed as uncommitted (``archive/uncommitted.py``), written (each atomically,
fsynced), their folders fsynced, then every row of the batch commits in one transaction: a crash in
between leaves files the next crawl of the source deletes, never a row without its file. The
database's unique constraints are the last guard against an article archived twice by two processes
at once: the batch then goes again one article at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from archive import frontextras, provenance, search
from archive.article import Article
from archive.duplicates import Copy, Duplicates, article_signature, fingerprint_values
from archive.fetchstate import FetchInfo, FetchStates
from archive.identity import url_key
from archive.index import ArchiveIndex, add_urls, new_row
from archive.models import ArticleFingerprint, ArticleRow
from archive.provenance import Provenance, RawResponse, RecordRef
from archive.render import MAINROAD_LAYOUT, Layout, local_time, quote, render
from archive.revisions import Revisions
from archive.similarity import THRESHOLD, Signature
from archive.store import MarkdownStore, StoreError, relative_path
from archive.uncommitted import UncommittedFiles
from archive.variants import main_candidates

log = logging.getLogger(__name__)

INDEX_RETRY_PAUSES = (1, 4, 15)  # seconds between attempts when the database is locked or down
T = TypeVar("T")


@dataclass(frozen=True)
class Saved:
    status: str  # "new", "duplicate", "revised" or "unchanged" (the last two: revisits), "syndicated"
    path: str  # relative to the archive folder
    article_id: int
    copy_of: str | None = None  # a syndicated copy (see archive/duplicates.py): the first article's URL


@dataclass
class _New:
    """An article of the batch that gets its own file."""

    index: int  # its place in the batch
    article: Article
    fetch: FetchInfo | None
    path: str
    urls: list[str]  # its URLs, and those of its duplicates in the same batch
    raw: RawResponse | None = None  # the response it came from, kept as a WARC record (provenance)
    copy: Copy | None = None  # another source's article whose text this is (kept: crawl.syndicated keep)
    size: int = 0
    ref: RecordRef | None = None  # where its response was kept
    saved: Saved | None = None  # once its rows have committed
    error: StoreError | None = None  # its file could not be written


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Archiver:
    def __init__(
        self,
        store: MarkdownStore,
        index: ArchiveIndex,
        layout: Layout = MAINROAD_LAYOUT,
        syndicated: str = "link",
        provenance: Provenance | None = None,
    ):
        self.store = store
        self.index = index
        self.layout = layout
        self.states = FetchStates(index.session)
        self.revisions = Revisions(store, self.states, layout)
        self.duplicates = Duplicates(store, index, syndicated)
        self.uncommitted = UncommittedFiles(store.root)
        self.provenance = provenance  # where responses are kept as WARC records (None: not kept)

    @classmethod
    def open(
        cls, archive_dir: Path, database_url: str, layout: Layout = MAINROAD_LAYOUT, syndicated: str = "link"
    ) -> Archiver:
        return cls(MarkdownStore(archive_dir), ArchiveIndex(database_url), layout, syndicated)

    def close(self) -> None:
        if self.provenance is not None:
            self.provenance.close()
        self.index.close()

    def save(self, article: Article, fetch: FetchInfo | None = None, raw: RawResponse | None = None) -> Saved:
        """Archive one article (a batch of one). Raises StoreError, SQLAlchemyError."""
        result = self.save_batch([(article, fetch)], raws=[raw])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def save_batch(
        self,
        items: Sequence[tuple[Article, FetchInfo | None]],
        seen: Iterable[int] = (),
        raws: Sequence[RawResponse | None] | None = None,
    ) -> list[Saved | Exception]:
        """Archive the articles (with how each was fetched), and note the articles ``seen`` unchanged
        (a revisit answered 304), with one transaction for all of it. Per article: its Saved, or the
        StoreError its file met. Raises SQLAlchemyError when the index cannot be read or written
        (after waiting out a locked or briefly unreachable database): then nothing of the batch
        but its revisions is kept. ``raws``: the response each article came from, kept as a WARC
        record (before its file) when it makes a new article or a new revision.

        An article that may be a variant or a copy of an earlier one of the same batch (see
        ``_segments``) starts a new transaction, so the duplicate checks see the earlier one indexed."""
        raws = list(raws) if raws is not None else [None] * len(items)
        results: list[Saved | Exception] = []
        seen = list(seen)
        for start, end in _segments(items):
            results += self._save_segment(items[start:end], seen, raws[start:end])
            seen = []
        return results

    def _save_segment(
        self,
        items: Sequence[tuple[Article, FetchInfo | None]],
        seen: Iterable[int],
        raws: Sequence[RawResponse | None],
    ) -> list[Saved | Exception]:
        results: list[Saved | Exception | None] = [None] * len(items)
        keys = [url_key(article.fetched_url) for article, _ in items]
        by_uid = _retrying(self.index.rows_by_uid, [article.uid for article, _ in items])
        by_key = _retrying(self.index.rows_by_url_key, keys)
        checks: list[tuple[int, FetchInfo | None]] = [(article_id, None) for article_id in seen]
        aliases: dict[int, list[str]] = {}  # archived article id -> more URLs of it
        new: list[_New] = []
        pending: dict[str, _New] = {}  # uid and URL keys of the batch's new articles -> the article
        twins: dict[int, _New] = {}  # position -> the new article of the batch it duplicates
        refresh: set[int] = set()  # archived articles whose front matter may need new aliases
        for i, ((article, fetch), key) in enumerate(zip(items, keys, strict=True)):
            urls = [article.url, article.fetched_url, *article.aliases]
            existing = by_uid.get(article.uid) or by_key.get(key)
            if existing is not None and fetch is not None and fetch.revisit_of == existing.id:
                if article.content_hash == existing.content_hash:  # the usual revisit: nothing to write
                    checks.append((existing.id, fetch))
                    results[i] = Saved("unchanged", existing.path, existing.id)
                else:
                    results[i] = self._revise(existing, article, fetch, raws[i])
                if article.aliases and len(self.index.known(article.aliases)) < len(set(article.aliases)):
                    aliases.setdefault(existing.id, []).extend(article.aliases)  # an AMP page it names now
                    refresh.add(existing.id)
                continue
            if existing is not None:
                aliases.setdefault(existing.id, []).extend(urls)
                refresh.add(existing.id)
                results[i] = Saved("duplicate", existing.path, existing.id)
                continue
            if (twin := pending.get(article.uid) or pending.get(key)) is not None:
                twin.urls.extend(urls)
                twins[i] = twin
                continue
            # an AMP or mobile variant whose canonical said nothing; another source's copy of the text
            variant, copy = _retrying(self.duplicates.check, article)
            if variant is not None:
                aliases.setdefault(variant.id, []).extend(urls)
                refresh.add(variant.id)
                results[i] = Saved("duplicate", variant.path, variant.id)
            elif copy is not None and self.duplicates.mode != "keep":
                self.duplicates.record_copy(copy, article, self.duplicates.mode)
                results[i] = Saved("syndicated", copy.first.path, copy.first.id, copy.first.url)
            else:
                entry = _New(i, article, fetch, relative_path(article), urls, raw=raws[i], copy=copy)
                new.append(entry)
                pending[article.uid] = entry
                for url in urls:
                    pending.setdefault(url_key(url), entry)
                twins[i] = entry
        written = self._write_files(new)
        try:
            try:
                _retrying(self._commit, written, aliases, checks)
            except IntegrityError:  # another process archived one of them meanwhile
                self._commit_one_by_one(written, aliases, checks)
        except Exception:
            for entry in written:  # rows never committed: their files go too
                if entry.saved is None:
                    self.store.remove(entry.path)
            raise
        self.uncommitted.committed({entry.article.source for entry in new})
        for entry in written:
            if entry.copy is not None and entry.saved is not None and entry.saved.status == "new":
                self.duplicates.record_copy(entry.copy, entry.article, "keep", copy_id=entry.saved.article_id)
        for article_id in refresh:
            self.duplicates.refresh(article_id)  # the new alias paths into its front matter
        for i, entry in twins.items():
            if entry.error is not None:
                results[i] = entry.error
            elif entry.saved is not None:
                saved = entry.saved
                results[i] = saved if i == entry.index else Saved("duplicate", saved.path, saved.article_id)
        return [r if r is not None else RuntimeError("the article was not archived") for r in results]

    def _write_files(self, new: list[_New]) -> list[_New]:
        """Write the batch's new files (listed as uncommitted first); returns those written. A file
        that cannot be written keeps its StoreError in ``error``."""
        taken = _retrying(self.index.taken_paths, [entry.path for entry in new])
        used: set[str] = set()
        by_source: dict[str, list[_New]] = {}
        for entry in new:
            if entry.path in taken or entry.path in used:  # two ids sharing a 10-character prefix
                uid = entry.article.uid
                entry.path = entry.path.removesuffix(f"{uid[:10]}.md") + f"{uid}.md"
            used.add(entry.path)
            by_source.setdefault(entry.article.source, []).append(entry)
        for source, entries in by_source.items():
            try:
                self.uncommitted.note(source, [entry.path for entry in entries])
            except OSError as exc:
                for entry in entries:
                    entry.error = StoreError(self.store.absolute(entry.path), exc)
        self._keep_responses(new)
        written = []
        for entry in new:
            if entry.error is not None:
                continue
            extras = self.duplicates.extras_for_new(entry.article, entry.copy)
            try:
                entry.size = self.store.write(
                    entry.path, frontextras.apply(render(entry.article, self.layout), extras)
                )
            except StoreError as exc:
                entry.error = exc
                continue
            written.append(entry)
        try:
            self.store.sync_folders(entry.path for entry in written)
        except StoreError as exc:
            for entry in written:
                entry.error = exc
                self.store.remove(entry.path)
            return []
        return written

    def _keep_responses(self, new: list[_New]) -> None:
        """The batch's responses as WARC records, on disk (one sync) before any of its files."""
        if self.provenance is None:
            return
        kept = []
        for entry in new:
            if entry.error is None and entry.raw is not None:
                try:
                    entry.ref = self.provenance.write(entry.article.source, entry.raw, sync=False)
                    kept.append(entry)
                except StoreError as exc:
                    entry.error = exc
        if kept:
            try:
                self.provenance.sync()
            except StoreError as exc:
                for entry in kept:
                    entry.error = exc

    def _commit(
        self, written: list[_New], aliases: dict[int, list[str]], checks: list[tuple[int, FetchInfo | None]]
    ) -> None:
        """Every row of the batch in one transaction."""
        moment = datetime.now(UTC)
        with self.index.session.begin() as session:
            rows = [new_row(entry.article, entry.path, entry.size, moment) for entry in written]
            session.add_all(rows)
            session.flush()
            pairs = list(zip(written, rows, strict=True))
            add_urls(session, {row.id: entry.urls for entry, row in pairs} | aliases)
            search.add_many(
                session, [(row.id, entry.article.title, entry.article.body) for entry, row in pairs]
            )
            prints = [v for entry, row in pairs if (v := fingerprint_values(row.id, entry.article))]
            if prints:
                session.execute(insert(ArticleFingerprint), prints)
            session.add_all([
                provenance.response_row(row.id, 1, entry.raw, entry.ref)
                for entry, row in pairs if entry.raw is not None and entry.ref is not None
            ])  # fmt: skip
            fetched = [(row.id, entry.fetch) for entry, row in pairs if _has_validators(entry.fetch)]
            self.states.checked_many(session, [*fetched, *checks], moment)
            seen = list({*aliases, *(article_id for article_id, _ in checks)})
            if seen:
                session.execute(update(ArticleRow).where(ArticleRow.id.in_(seen)).values(last_seen=moment))
        for entry, row in zip(written, rows, strict=True):
            entry.saved = Saved("new", entry.path, row.id, entry.copy.first.url if entry.copy else None)
            log.debug("archived %s as %s", entry.article.url, entry.path)

    def _commit_one_by_one(
        self, written: list[_New], aliases: dict[int, list[str]], checks: list[tuple[int, FetchInfo | None]]
    ) -> None:
        """The batch again, a transaction per article: the one another process archived meanwhile
        (same uid) is a duplicate; the file just written for it goes unless it is that article's."""
        for entry in written:
            article = entry.article
            try:
                row = _retrying(self.index.add_article, article, entry.path, entry.size)
            except IntegrityError:
                existing = self.index.by_uid(article.uid) or self.index.find(article.fetched_url)
                if existing is None:
                    raise
                if existing.path != entry.path:
                    self.store.remove(entry.path)
                self.index.add_aliases(existing.id, entry.urls)
                entry.saved = Saved("duplicate", existing.path, existing.id)
                continue
            self.duplicates.fingerprint(row.id, article)
            if entry.raw is not None and entry.ref is not None:
                provenance.record(self.index.session, row.id, entry.raw, entry.ref)
            if _has_validators(entry.fetch):
                with self.index.session.begin() as session:
                    self.states.checked(session, row.id, entry.fetch, row.first_seen)
            entry.saved = Saved("new", entry.path, row.id, entry.copy.first.url if entry.copy else None)
        for article_id, urls in aliases.items():
            self.index.add_aliases(article_id, urls)
        if checks:
            moment = datetime.now(UTC)
            with self.index.session.begin() as session:
                self.states.checked_many(session, checks, moment)
                ids = list({article_id for article_id, _ in checks})
                session.execute(update(ArticleRow).where(ArticleRow.id.in_(ids)).values(last_seen=moment))

    def _revise(
        self, row: ArticleRow, article: Article, fetch: FetchInfo, raw: RawResponse | None
    ) -> Saved | Exception:
        """A revisit found the text changed: a revision, in its own transaction (see revisions.py),
        its response kept first (provenance)."""
        try:
            ref = self.provenance.write(article.source, raw) if raw and self.provenance else None
            revised = self.revisions.revise(row, article, fetch)
        except StoreError as exc:
            return exc
        if revised:
            self.duplicates.fingerprint(row.id, article)
            if raw is not None and ref is not None:
                provenance.record(self.index.session, row.id, raw, ref)
        return Saved("revised" if revised else "unchanged", row.path, row.id)

    def recover(self, source: str) -> int:
        """Undo what a killed crawl of ``source`` wrote but never indexed: the files listed as
        uncommitted that have no row. Call it holding the source's lock. Returns how many."""
        listed = self.uncommitted.listed(source)
        indexed = self.index.taken_paths(listed)
        removed = sum(1 for path in set(listed) - indexed if self.store.remove(path))
        self.uncommitted.committed([source])
        return removed

    def settle_deleted(self, source: str, zone: str) -> int:
        """Write the deleted flag into the front matter of the source's deleted articles that lack it
        (a crawl killed between the index noting the deletion and the file's rewrite). Returns how many."""
        with self.index.session() as session:
            gone = self.states.deleted(session, source)
        return sum(
            self._flag_deleted(row, check.gone_status or "gone",
                               local_time(check.gone_first_seen or check.deleted_at, zone))  # type: ignore[arg-type]
            for row, check in gone
        )  # fmt: skip

    def mark_deleted(self, article_id: int, status: str, since: str) -> None:
        """Note in an article's front matter that it is deleted upstream (``since``: when first seen
        gone, as written in its dates); the file stays, the row's size follows the file."""
        with self.index.session() as session:
            row = session.get(ArticleRow, article_id)
        if row is not None:
            self._flag_deleted(row, status, since)

    def _flag_deleted(self, row: ArticleRow, status: str, since: str) -> bool:
        """Add ``deleted`` / ``deleted_status`` to the article's front matter unless it has them
        (or the file is gone). True when the file was rewritten."""
        if not self.store.exists(row.path):
            return False
        text = self.store.read(row.path)
        end = text.find("\n---", 3)
        if end < 0 or "\ndeleted:" in text[:end]:
            return False
        extra = f"\ndeleted: {quote(since)}\ndeleted_status: {quote(status)}"
        self.index.set_size(row.id, self.store.write(row.path, text[:end] + extra + text[end:]))
        return True


def _segments(items: Sequence[tuple[Article, FetchInfo | None]]) -> list[tuple[int, int]]:
    """Split a batch where an article may be an AMP/mobile variant or a near-identical copy of an
    earlier article of the same part (by URL, or by the similarity of the texts): the duplicate
    checks (``Duplicates.check``) only see articles already indexed. Articles with the same uid or
    URL need no split (they are one article in any case)."""
    bounds: list[tuple[int, int]] = []
    start = 0
    keys: set[str] = set()
    prints: list[Signature] = []
    for i, (article, _) in enumerate(items):
        variants = {url_key(u) for u in (*main_candidates(article.url), *main_candidates(article.fetched_url))}
        sig = article_signature(article)
        if (variants & keys) or (sig is not None and any(sig.similarity(p) >= THRESHOLD for p in prints)):
            bounds.append((start, i))
            start, keys, prints = i, set(), []
        keys.update(url_key(u) for u in (article.url, article.fetched_url))
        if sig is not None:
            prints.append(sig)
    bounds.append((start, len(items)))
    return [b for b in bounds if b[0] < b[1]] or [(0, 0)]


def _has_validators(fetch: FetchInfo | None) -> bool:
    return fetch is not None and bool(fetch.etag or fetch.last_modified)


def _retrying(call: Callable[..., T], *args: object) -> T:
    """``call(*args)``, waiting out a locked or briefly unreachable database."""
    for pause in INDEX_RETRY_PAUSES:
        try:
            return call(*args)
        except (OperationalError, InterfaceError) as exc:
            log.warning("the index is unavailable (%s); retrying in %s s", first_line(exc), pause)
            time.sleep(pause)
    return call(*args)
