"""The database index: opening it (SQLite by default, PostgreSQL for shared deployments) and the
queries the crawler needs. Any SQLAlchemy URL works; tables are created on first use."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from archive import reader, search
from archive.article import Article
from archive.identity import url_key
from archive.models import ArticleRow, ArticleURL, Base, CrawlRun, in_slices


def now() -> datetime:
    return datetime.now(UTC)


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the crawl's writes
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; the files are the archive
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def new_row(article: Article, path: str, size: int, seen: datetime) -> ArticleRow:
    """The index row of an article archived at ``path`` (``size`` bytes), first seen ``seen``."""
    return ArticleRow(
        uid=article.uid,
        url=article.url,
        source=article.source,
        title=article.title,
        authors=list(article.authors),
        published_at=article.published,
        modified_at=article.modified,
        date_source=article.date_source,
        lang=article.lang,
        description=article.description,
        thumbnail=article.thumbnail,
        path=path,
        size=size,
        content_hash=article.content_hash,
        fetched_at=article.fetched,
        first_seen=seen,
        last_seen=seen,
    )


def add_urls(session: Session, urls: dict[int, list[str]]) -> None:
    """Record the URLs that lead to each article (article id -> URLs), in the caller's transaction.
    A URL already known (to this or another article) keeps its article: the first one claims it."""
    keyed = [(url_key(url), url, article_id) for article_id, us in urls.items() for url in us]
    claimed: set[str] = set()
    for keys in in_slices(list({key for key, _, _ in keyed})):
        claimed.update(session.scalars(select(ArticleURL.url_key).where(ArticleURL.url_key.in_(keys))))
    rows = []
    for key, url, article_id in keyed:
        if key not in claimed:
            claimed.add(key)
            rows.append(ArticleURL(url_key=key, url=url, article_id=article_id))
    session.add_all(rows)


class ArchiveIndex:
    def __init__(self, database_url: str):
        self.engine = make_engine(database_url)
        Base.metadata.create_all(self.engine)
        reader.ensure_indexes(self.engine)
        search.ensure_schema(self.engine)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # -- articles ---------------------------------------------------------------------------

    def known(self, urls: Iterable[str]) -> set[str]:
        """The subset of ``urls`` that already lead to an archived article."""
        by_key = {url_key(u): u for u in urls}
        if not by_key:
            return set()
        found: set[str] = set()
        with self.engine.connect() as conn:  # Core queries: once per feed or sitemap, no ORM needed
            for keys in in_slices(list(by_key)):
                rows = conn.execute(select(ArticleURL.url_key).where(ArticleURL.url_key.in_(keys)))
                found.update(by_key[key] for key in rows.scalars())
        return found

    def find(self, url: str) -> ArticleRow | None:
        with self.session() as session:
            return session.scalar(
                select(ArticleRow).join(ArticleURL).where(ArticleURL.url_key == url_key(url))
            )

    def by_uid(self, uid: str) -> ArticleRow | None:
        with self.session() as session:
            return session.scalar(select(ArticleRow).where(ArticleRow.uid == uid))

    def path_taken(self, path: str) -> bool:
        with self.session() as session:
            return session.scalar(select(ArticleRow.id).where(ArticleRow.path == path)) is not None

    # -- the same lookups for a whole batch, one query each ------------------------------------

    def rows_by_uid(self, uids: Iterable[str]) -> dict[str, ArticleRow]:
        uids = list(set(uids))
        if not uids:
            return {}
        with self.session() as session:
            return {r.uid: r for r in session.scalars(select(ArticleRow).where(ArticleRow.uid.in_(uids)))}

    def rows_by_url_key(self, keys: Iterable[str]) -> dict[str, ArticleRow]:
        keys = list(set(keys))
        if not keys:
            return {}
        with self.session() as session:
            rows = session.execute(
                select(ArticleURL.url_key, ArticleRow)
                .join(ArticleRow, ArticleRow.id == ArticleURL.article_id)
                .where(ArticleURL.url_key.in_(keys))
            )
            return {key: row for key, row in rows}

    def taken_paths(self, paths: Iterable[str]) -> set[str]:
        paths = list(set(paths))
        if not paths:
            return set()
        with self.session() as session:
            return set(session.scalars(select(ArticleRow.path).where(ArticleRow.path.in_(paths))))

    def add_article(self, article: Article, path: str, size: int) -> ArticleRow:
        """Insert the article, every URL that leads to it and its search entry, in one transaction."""
        with self.session.begin() as session:
            row = new_row(article, path, size, now())
            session.add(row)
            session.flush()
            add_urls(session, {row.id: [article.url, article.fetched_url, *article.aliases]})
            search.add(session, row.id, article.title, article.body)
        return row

    def set_size(self, article_id: int, size: int) -> None:
        """The article's file was rewritten in place (front matter only): its row follows."""
        with self.session.begin() as session:
            session.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(size=size))

    def add_aliases(self, article_id: int, urls: Iterable[str]) -> None:
        """Record more URLs of an archived article (and mark it seen)."""
        with self.session.begin() as session:
            add_urls(session, {article_id: list(urls)})
            row = session.get(ArticleRow, article_id)
            if row is not None:
                row.last_seen = now()

    # -- crawl runs -------------------------------------------------------------------------

    def start_run(self, source: str, trigger: str = "manual") -> int:
        with self.session.begin() as session:
            run = CrawlRun(
                source=source,
                trigger=trigger,
                started_at=now(),
                status="running",
                host=socket.gethostname(),
                pid=os.getpid(),
                reasons={},
            )
            session.add(run)
            session.flush()
            return run.id

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int],
        reasons: dict[str, int],
        error: str | None = None,
    ) -> None:
        with self.session.begin() as session:
            run = session.get(CrawlRun, run_id)
            if run is None:
                return
            run.finished_at = now()
            run.status = status
            for name in ("discovered", "fetched", "new", "unchanged", "skipped", "failed"):
                setattr(run, name, int(counts.get(name, 0)))
            run.reasons = dict(reasons)
            run.error = error
