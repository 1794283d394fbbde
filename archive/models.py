"""The index's tables (SQLAlchemy 2.x typed models). The Markdown files are the archive; these
rows make them findable and hold the state that several crawl processes must share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive UTC text) and PostgreSQL
    (timestamptz) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the index; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    url: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(default=list)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    modified_at: Mapped[datetime | None]
    date_source: Mapped[str | None] = mapped_column(String(32))
    lang: Mapped[str | None] = mapped_column(String(35))
    description: Mapped[str | None] = mapped_column(Text)
    thumbnail: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    fetched_at: Mapped[datetime]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class ArticleURL(Base):
    """Every URL known to lead to an archived article (fetched URL, canonical URL, aliases):
    the 'seen URLs' that let any crawl process skip what is already archived."""

    __tablename__ = "article_urls"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual, scheduled, catch-up
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, ok, failed, ...
    discovered: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)  # skip/failure reason -> count
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)


class SourceLock(Base):
    """Which process is crawling a source right now (see ``archive/locks.py``). A row exists only
    while a crawl holds the source; ``owner`` is ``host:pid``."""

    __tablename__ = "source_locks"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


# -- history: incremental re-crawls, revisits, revisions (see archive/fetchstate.py, archive/revisions.py)


class FetchState(Base):
    """What the last complete read of a feed or sitemap answered (ETag, Last-Modified) and, for a
    child of a sitemap index, the ``lastmod`` its index gave then: the next crawl asks with
    If-None-Match / If-Modified-Since, and skips a child whose ``lastmod`` did not change."""

    __tablename__ = "fetch_state"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    lastmod: Mapped[str | None] = mapped_column(String(64))  # from the parent sitemap index
    entries: Mapped[int] = mapped_column(Integer, default=0)  # article URLs it (and its children) listed
    checked_at: Mapped[datetime]


class ArticleCheck(Base):
    """Per archived article: the validators of its last full download, when it was last checked
    (the revisit schedule counts from it), and whether it is gone upstream."""

    __tablename__ = "article_checks"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime | None]
    checks: Mapped[int] = mapped_column(Integer, default=0)
    gone_status: Mapped[str | None] = mapped_column(String(16))  # "404", "410", "redirect"
    gone_first_seen: Mapped[datetime | None]  # when first seen gone (this episode)
    gone_seen: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(index=True)  # confirmed deleted upstream
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(Integer)


class Revision(Base):
    """An earlier version of an article, kept as a file under ``.revisions/`` beside the article."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_article_number", "article_id", "number", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # version number of the kept text: 1 = first archived
    path: Mapped[str] = mapped_column(String(1024))  # the kept file, relative to the archive folder
    title: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime]  # when that version was downloaded
    replaced_at: Mapped[datetime]  # when the next version was found
    changed: Mapped[str] = mapped_column(String(8))  # what the next version changed: title, body, both
    chars_added: Mapped[int] = mapped_column(Integer, default=0)
    chars_removed: Mapped[int] = mapped_column(Integer, default=0)


class ResponseRecord(Base):
    """Where the HTTP response an article version was extracted from is kept: a response record in
    a WARC file under ``.warc/`` (see ``archive/provenance.py``)."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_article_version", "article_id", "version", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # 1 = first archived, as numbered in ``revisions``
    url: Mapped[str] = mapped_column(Text)  # the response's URL (after redirects): WARC-Target-URI
    warc_file: Mapped[str] = mapped_column(Text)  # relative to the archive folder
    warc_offset: Mapped[int] = mapped_column(BigInteger)  # of the response record's gzip member
    warc_length: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime]


# -- duplicates across sources (see archive/similarity.py, archive/duplicates.py) -------------------


class ArticleFingerprint(Base):
    """The similarity fingerprint of an article's text (a MinHash signature) and its band values,
    each indexed: a copy of the text from another source is found by an indexed query on the bands,
    never by reading every article."""

    __tablename__ = "article_fingerprints"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    band0: Mapped[int] = mapped_column(BigInteger, index=True)
    band1: Mapped[int] = mapped_column(BigInteger, index=True)
    band2: Mapped[int] = mapped_column(BigInteger, index=True)
    band3: Mapped[int] = mapped_column(BigInteger, index=True)
    band4: Mapped[int] = mapped_column(BigInteger, index=True)
    band5: Mapped[int] = mapped_column(BigInteger, index=True)
    band6: Mapped[int] = mapped_column(BigInteger, index=True)
    band7: Mapped[int] = mapped_column(BigInteger, index=True)


class SyndicatedCopy(Base):
    """A copy of an archived article's text found at another source (syndicated wire copy).
    ``mode`` is what was done with it: ``link`` (no file; listed in the first article's front
    matter), ``keep`` (archived as its own article, ``copy_id``) or ``skip`` (not archived)."""

    __tablename__ = "syndicated_copies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    copy_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)  # None: restored by reindex from a front matter
    similarity: Mapped[float | None] = mapped_column(Float)  # estimated share of shingles in common
    mode: Mapped[str] = mapped_column(String(8))
    found_at: Mapped[datetime]


IN_LIST = 500  # values per ``IN (...)`` list: far below SQLite's and psycopg's limits on bound parameters


def in_slices(values: list[str]) -> Iterator[list[str]]:
    """``values`` in slices of IN_LIST, a query each: a sitemap may list more URLs than a database takes
    parameters in one statement (psycopg: 65,535)."""
    for start in range(0, len(values), IN_LIST):
        yield values[start : start + IN_LIST]
