"""What earlier crawls learnt about URLs, kept in the index so every crawl process shares it:
validators of feeds and sitemaps (conditional GET), each sitemap child's ``lastmod``, and per
article its validators, its last check and whether it is gone upstream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from archive.identity import url_key
from archive.models import ArticleCheck, ArticleRow, FetchState, in_slices


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    lastmod: str | None = None  # a sitemap child's lastmod, from its index
    entries: int = 0  # article URLs it (and its children) listed at that read

    def headers(self) -> dict[str, str]:
        """The conditional-GET request headers these validators allow."""
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class FetchInfo:
    """How an article page was fetched, handed with the page to the archiver."""

    etag: str | None = None
    last_modified: str | None = None
    revisit_of: int | None = None  # the article id, when this fetch was a revisit


@dataclass(frozen=True)
class Due:
    article_id: int
    url: str
    validators: Validators


@dataclass(frozen=True)
class Gone:
    deleted: bool  # confirmed: seen gone twice, far enough apart
    first_seen: datetime
    status: str


class FetchStates:
    def __init__(self, session: sessionmaker[Session]):
        self.session = session

    # -- feeds and sitemaps -----------------------------------------------------------------

    def validators(self, urls: Iterable[str]) -> dict[str, Validators]:
        by_key = {url_key(u): u for u in urls}
        if not by_key:
            return {}
        f = FetchState
        found: dict[str, Validators] = {}
        with self.session() as session:  # columns, not ORM objects: asked once per feed and sitemap
            for keys in in_slices(list(by_key)):
                query = select(f.url_key, f.etag, f.last_modified, f.lastmod, f.entries).where(
                    f.url_key.in_(keys)
                )
                found.update((by_key[key], Validators(*rest)) for key, *rest in session.execute(query))
        return found

    def remember(self, states: dict[str, Validators]) -> None:
        """Store the validators of completely read feeds and sitemaps, in one transaction."""
        if not states:
            return
        moment = now()
        keyed = {url_key(url): (url, v) for url, v in states.items()}
        with self.session.begin() as session:
            rows: dict[str, FetchState] = {}
            for keys in in_slices(list(keyed)):  # the rows of earlier reads
                rows.update(
                    (r.url_key, r)
                    for r in session.scalars(select(FetchState).where(FetchState.url_key.in_(keys)))
                )
            for key, (url, v) in keyed.items():
                row = rows.get(key)
                if row is None:
                    row = FetchState(url_key=key, url=url)
                    session.add(row)
                row.etag, row.last_modified, row.lastmod, row.checked_at = (
                    v.etag, v.last_modified, v.lastmod, moment
                )  # fmt: skip
                row.entries = v.entries

    def forget(self, urls: Iterable[str]) -> None:
        keys = [url_key(u) for u in urls]
        if keys:
            with self.session.begin() as session:
                session.execute(delete(FetchState).where(FetchState.url_key.in_(keys)))

    # -- archived articles ------------------------------------------------------------------

    def candidates(self, source: str, since: datetime) -> list[tuple[int, str, datetime, datetime | None]]:
        """(id, url, first seen, last checked) of the source's live articles first seen after ``since``."""
        with self.session() as session:
            rows = session.execute(
                select(ArticleRow.id, ArticleRow.url, ArticleRow.first_seen, ArticleCheck.checked_at)
                .outerjoin(ArticleCheck, ArticleCheck.article_id == ArticleRow.id)
                .where(ArticleRow.source == source, ArticleRow.first_seen >= since)
                .where(ArticleCheck.deleted_at.is_(None))
                .order_by(ArticleRow.first_seen.desc())
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def article_validators(self, ids: Iterable[int]) -> dict[int, Validators]:
        ids = list(ids)
        if not ids:
            return {}
        with self.session() as session:
            rows = session.scalars(select(ArticleCheck).where(ArticleCheck.article_id.in_(ids)))
            return {r.article_id: Validators(r.etag, r.last_modified) for r in rows}

    def checked(
        self,
        session: Session,
        article_id: int,
        fetch: FetchInfo | None = None,
        moment: datetime | None = None,
    ) -> ArticleCheck:
        """Record a check that found the article there (200 or 304), inside ``session``'s transaction."""
        row = session.get(ArticleCheck, article_id)
        if row is None:
            row = ArticleCheck(article_id=article_id, checks=0, gone_seen=0)
            session.add(row)
        return self._found(row, fetch, moment)

    def checked_many(
        self, session: Session, checks: Iterable[tuple[int, FetchInfo | None]], moment: datetime
    ) -> None:
        """``checked`` for (article id, fetch) pairs, with one query for the rows there already."""
        checks = list(checks)
        if not checks:
            return
        ids = list({article_id for article_id, _ in checks})
        rows = {
            r.article_id: r
            for r in session.scalars(select(ArticleCheck).where(ArticleCheck.article_id.in_(ids)))
        }
        for article_id, fetch in checks:
            row = rows.get(article_id)
            if row is None:
                row = rows[article_id] = ArticleCheck(article_id=article_id, checks=0, gone_seen=0)
                session.add(row)
            self._found(row, fetch, moment)

    @staticmethod
    def _found(row: ArticleCheck, fetch: FetchInfo | None, moment: datetime | None) -> ArticleCheck:
        row.checked_at = moment or now()
        row.checks = (row.checks or 0) + 1
        row.gone_status, row.gone_first_seen, row.gone_seen = None, None, 0
        if fetch is not None and (fetch.etag or fetch.last_modified):
            row.etag, row.last_modified = fetch.etag, fetch.last_modified
        return row

    def not_modified(self, article_id: int) -> None:
        """A revisit answered 304: the article is unchanged and seen now."""
        moment = now()
        with self.session.begin() as session:
            self.checked(session, article_id, moment=moment)
            article = session.get(ArticleRow, article_id)
            if article is not None:
                article.last_seen = moment

    def gone(self, article_id: int, status: str, confirm_after: timedelta) -> Gone:
        """A revisit found the article gone (404, 410, redirect to a listing). It is deleted upstream
        once seen gone twice, at least ``confirm_after`` apart."""
        moment = now()
        with self.session.begin() as session:
            row = session.get(ArticleCheck, article_id)
            if row is None:
                row = ArticleCheck(article_id=article_id, checks=0, gone_seen=0)
                session.add(row)
            row.checked_at = moment
            row.checks = (row.checks or 0) + 1
            if row.gone_first_seen is None:
                row.gone_first_seen, row.gone_status, row.gone_seen = moment, status, 1
            else:
                row.gone_seen = (row.gone_seen or 0) + 1
            if (
                row.deleted_at is None
                and row.gone_seen >= 2
                and moment - row.gone_first_seen >= confirm_after
            ):
                row.deleted_at = moment
                return Gone(True, row.gone_first_seen, row.gone_status or status)
            return Gone(False, row.gone_first_seen, row.gone_status or status)

    def deleted(self, session: Session, source: str | None = None) -> list[tuple[ArticleRow, ArticleCheck]]:
        """The articles confirmed deleted upstream (of one source, when given), latest first."""
        query = (
            select(ArticleRow, ArticleCheck)
            .join(ArticleCheck, ArticleCheck.article_id == ArticleRow.id)
            .where(ArticleCheck.deleted_at.is_not(None))
            .order_by(ArticleCheck.gone_first_seen.desc())
        )
        if source is not None:
            query = query.where(ArticleRow.source == source)
        return [(a, c) for a, c in session.execute(query)]
