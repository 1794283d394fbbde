"""The files are the archive: rebuild the index from them (``reindex``) and check that the two
agree (``verify``). What a file can give back is described in :mod:`archive.readback`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from archive import provenance, search
from archive.duplicates import fingerprint_values
from archive.identity import url_key
from archive.index import ArchiveIndex
from archive.models import ArticleFingerprint, ArticleRow, ArticleURL, SyndicatedCopy
from archive.readback import ArchivedFile, FileProblem, ZoneFor, read_file
from archive.render import local_time
from archive.store import MarkdownStore

BATCH = 500


@dataclass
class ReindexReport:
    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0  # rows whose file is gone
    problems: list[FileProblem] = field(default_factory=list)


@dataclass
class _Known:
    """What the index held before the rebuild, looked up per file without a query each."""

    by_uid: dict[str, int]
    by_path: dict[str, int]
    urls: dict[str, int]  # url key -> article id
    kept: set[int] = field(default_factory=set)  # ids of rows backed by a file
    copies: list[tuple[int, ArchivedFile]] = field(default_factory=list)  # files naming syndicated copies


def reindex(index: ArchiveIndex, store: MarkdownStore, zone_for: ZoneFor,
            progress: Callable[[int], None] | None = None) -> ReindexReport:  # fmt: skip
    """Make the rows and the search index match the files, in one transaction.

    Rows are matched to files by uid (then path) and keep their id and what no file holds; files
    without a row get one; rows without a file are deleted. The search index is rebuilt."""
    report = ReindexReport()
    with index.session.begin() as session:
        search.reset(session)
        known = _Known(
            by_uid={uid: i for uid, i in session.execute(select(ArticleRow.uid, ArticleRow.id))},
            by_path={path: i for path, i in session.execute(select(ArticleRow.path, ArticleRow.id))},
            urls={key: i for key, i in session.execute(select(ArticleURL.url_key, ArticleURL.article_id))},
        )
        batch: list[ArchivedFile] = []
        for report.files, path in enumerate(store.files(), start=1):
            try:
                batch.append(read_file(store, path, zone_for))
            except FileProblem as problem:
                report.problems.append(problem)
                if path in known.by_path:
                    known.kept.add(known.by_path[path])  # a broken file keeps its row until it is fixed
            if len(batch) == BATCH:
                _write(session, batch, known, report)
                batch.clear()
                if progress:
                    progress(report.files)
        _write(session, batch, known, report)
        _restore_copies(session, known)
        gone = [i for i in session.scalars(select(ArticleRow.id)) if i not in known.kept]
        for start in range(0, len(gone), BATCH):
            chunk = gone[start : start + BATCH]
            session.execute(delete(ArticleURL).where(ArticleURL.article_id.in_(chunk)))
            session.execute(delete(ArticleRow).where(ArticleRow.id.in_(chunk)))
        report.removed = len(gone)
        search.optimize(session)
    return report


def _write(session: Session, batch: list[ArchivedFile], known: _Known, report: ReindexReport) -> None:
    """Insert or update the rows of a batch of files, their URLs and their search entries."""
    matched: dict[int, ArchivedFile] = {}
    new: list[ArchivedFile] = []
    new_uids: set[str] = set()
    for archived in batch:
        uid = archived.article.uid
        row_id = known.by_uid.get(uid, known.by_path.get(archived.path))
        if row_id is not None and (row_id in known.kept or row_id in matched):
            other = matched[row_id].path if row_id in matched else "another file"
            report.problems.append(FileProblem(archived.path, f"same article (uid {uid}) as {other}"))
        elif row_id is not None:
            matched[row_id] = archived
        elif uid in new_uids:
            report.problems.append(FileProblem(archived.path, f"same article (uid {uid}) as another file"))
        else:
            new.append(archived)
            new_uids.add(uid)
    if matched:
        rows = session.scalars(select(ArticleRow).where(ArticleRow.id.in_(list(matched))))
        session.execute(update(ArticleRow), [_merged(row, matched[row.id]) for row in rows])
        session.expunge_all()
    ids: list[int] = []
    if new:
        values = [
            {**_values(a), "first_seen": a.article.fetched, "last_seen": a.article.fetched} for a in new
        ]
        ids = list(
            session.scalars(insert(ArticleRow).returning(ArticleRow.id, sort_by_parameter_order=True), values)
        )
    pairs = [*matched.items(), *zip(ids, new, strict=True)]
    links = []
    for row_id, archived in pairs:
        key = url_key(archived.article.url)
        if key not in known.urls:
            links.append({"url_key": key, "url": archived.article.url, "article_id": row_id})
        elif known.urls[key] != row_id:
            session.execute(update(ArticleURL).where(ArticleURL.url_key == key).values(article_id=row_id))
        known.urls[key] = row_id
        known.kept.add(row_id)
        for alias in archived.article.aliases:  # the front matter's Hugo aliases: URLs of the article
            if url_key(alias) not in known.urls:
                links.append({"url_key": url_key(alias), "url": alias, "article_id": row_id})
                known.urls[url_key(alias)] = row_id
    if links:
        session.execute(insert(ArticleURL), links)
    known.copies.extend((row_id, a) for row_id, a in pairs if a.copy_of or a.copies)
    ids_done = [row_id for row_id, _ in pairs]
    session.execute(delete(ArticleFingerprint).where(ArticleFingerprint.article_id.in_(ids_done)))
    prints = [v for v in (fingerprint_values(i, a.article) for i, a in pairs) if v is not None]
    if prints:
        session.execute(insert(ArticleFingerprint), prints)
    search.add_many(session, [(row_id, a.article.title, a.article.body) for row_id, a in pairs])
    report.added += len(new)
    report.updated += len(matched)


def _restore_copies(session: Session, known: _Known) -> None:
    """Rows of ``syndicated_copies`` the front matters name and the index lacks (a new database):
    a kept copy (``syndicated_from``) and the copies linked to an article (``syndicated_copies``,
    whose URLs lead to it again)."""
    have = set(session.scalars(select(SyndicatedCopy.url_key)))
    for row_id, archived in known.copies:
        article = archived.article
        first = known.urls.get(url_key(archived.copy_of)) if archived.copy_of else None
        found = [(first, row_id, article.url, article.source, article.title, "keep")] if first else []
        found += [(row_id, None, url, source, None, "link") for source, url in archived.copies]
        for article_id, copy_id, url, source, title, mode in found:
            key = url_key(url)
            if key in have:
                continue
            have.add(key)
            session.add(SyndicatedCopy(article_id=article_id, copy_id=copy_id, url_key=key, url=url, source=source,
                                       title=title, mode=mode, found_at=article.fetched))  # fmt: skip
            if mode == "link" and key not in known.urls:
                session.add(ArticleURL(url_key=key, url=url, article_id=article_id))
                known.urls[key] = article_id
    session.flush()


def _values(archived: ArchivedFile) -> dict[str, Any]:
    article = archived.article
    return {
        "uid": article.uid, "url": article.url, "source": article.source, "title": article.title,
        "authors": list(article.authors), "published_at": article.published, "modified_at": article.modified,
        "lang": article.lang, "description": article.description, "thumbnail": article.thumbnail,
        "path": archived.path, "size": archived.size, "content_hash": article.content_hash,
        "fetched_at": article.fetched,
    }  # fmt: skip


def _merged(row: ArticleRow, archived: ArchivedFile) -> dict[str, Any]:
    """The file's values, completed by what only the existing row knows."""
    article = archived.article
    if row.published_at is None and article.published is not None:
        if local_time(row.fetched_at, article.timezone) == local_time(article.published, article.timezone):
            article.published = None  # the file's date was the fetch time: still no publication date
    if not archived.has_fetched:
        article.fetched = row.fetched_at
    if not archived.has_authors:
        article.authors = list(row.authors or [])
    article.description = article.description or row.description
    return {"id": row.id, **_values(archived)}


# -- verify -----------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    files: int = 0
    rows: int = 0
    files_without_rows: list[str] = field(default_factory=list)
    rows_without_files: list[tuple[int, str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # the file's size differs from the row's
    unreadable: list[FileProblem] = field(default_factory=list)
    temporaries: list[str] = field(default_factory=list)
    not_searchable: int = 0  # rows without a search entry
    responses: list[str] = field(default_factory=list)  # WARC records the index points at, missing or broken

    @property
    def ok(self) -> bool:
        return not (self.files_without_rows or self.rows_without_files or self.changed or self.unreadable
                    or self.temporaries or self.not_searchable or self.responses)  # fmt: skip


def verify(index: ArchiveIndex, store: MarkdownStore, zone_for: ZoneFor) -> VerifyReport:
    report = VerifyReport()
    sizes: dict[str, int] = {}  # path -> size; -1: unreadable
    for path in store.files():
        report.files += 1
        try:
            sizes[path] = read_file(store, path, zone_for).size
        except FileProblem as problem:
            report.unreadable.append(problem)
            sizes[path] = -1
    indexed = set()
    with index.session() as session:
        rows = session.execute(
            select(ArticleRow.id, ArticleRow.path, ArticleRow.size).order_by(ArticleRow.path)
        )
        for row_id, path, size in rows:
            report.rows += 1
            indexed.add(path)
            if path not in sizes:
                report.rows_without_files.append((row_id, path))
            elif sizes[path] not in (size, -1):
                report.changed.append(path)
        report.not_searchable = search.missing(session)
        report.responses = list(provenance.check(session, store.root))
    report.files_without_rows = sorted(p for p, size in sizes.items() if p not in indexed and size != -1)
    report.temporaries = sorted(_temporaries(store))
    return report


def _temporaries(store: MarkdownStore) -> Iterator[str]:
    if store.root.is_dir():
        for tmp in store.root.rglob(".tmp-*"):
            yield tmp.relative_to(store.root).as_posix()
