"""Reading the index: filtered, streamed listings, finding one article, and statistics.

Listings stream rows from the database in batches (``yield_per``), so a listing or an export of a
million articles holds one batch in memory, never the whole result.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, Select, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from archive.identity import is_http_url, url_key
from archive.models import ArticleRow, ArticleURL

BATCH = 500
UID_PREFIX_MIN = 6


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    since: datetime | None = None  # aware; inclusive
    until: datetime | None = None  # aware; exclusive
    lang: str | None = None  # 'zh' matches zh, zh-CN, zh-Hans...


class NotFound(LookupError):
    def __init__(self, ref: str, problem: str = ""):
        self.ref = ref
        super().__init__(problem or f"no article with id, uid, URL or path {ref!r}")


def article_date() -> ColumnElement[datetime]:
    """The date an article is listed under: published, else fetched."""
    return func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)


def ensure_indexes(engine: Engine) -> None:
    """Listings sort by article_date(), newest first: the index belongs with the queries that use it."""
    run_ddl(
        engine,
        ["CREATE INDEX IF NOT EXISTS ix_articles_date ON articles (coalesce(published_at, fetched_at))"],
    )


def run_ddl(engine: Engine, statements: list[str]) -> None:
    """Run idempotent DDL; once more if another process creating the same objects got in the way
    (PostgreSQL's IF NOT EXISTS is not safe against a concurrent CREATE)."""
    for attempt in (1, 2):
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
            return
        except DBAPIError:
            if attempt == 2:
                raise
            time.sleep(0.2)


def conditions(filters: Filters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if filters.source:
        out.append(ArticleRow.source == filters.source)
    if filters.since:
        out.append(article_date() >= filters.since)
    if filters.until:
        out.append(article_date() < filters.until)
    if filters.lang:
        lang = filters.lang.lower()
        out.append(or_(func.lower(ArticleRow.lang) == lang, func.lower(ArticleRow.lang).like(f"{lang}-%")))
    return out


def listing(filters: Filters = Filters(), *, newest_first: bool = True, limit: int | None = None) -> Select:
    order = (article_date().desc(), ArticleRow.id.desc()) if newest_first else (article_date(), ArticleRow.id)
    return select(ArticleRow).where(*conditions(filters)).order_by(*order).limit(limit)


def stream(session: Session, stmt: Select) -> Iterator[ArticleRow]:
    """The statement's rows, fetched in batches (a server-side cursor on PostgreSQL)."""
    result = session.scalars(stmt.execution_options(yield_per=BATCH))
    try:
        yield from result
    finally:
        result.close()


def find(session: Session, ref: str, relative_path: Callable[[str], str | None]) -> ArticleRow:
    """The article a user means by ``ref``: row id, uid (or a unique prefix of 6+ characters),
    URL, or file path (``relative_path`` turns a path into one relative to the archive, or None)."""
    ref = ref.strip()
    if ref.isdigit():
        row = session.get(ArticleRow, int(ref)) if len(ref) < 18 else None
        if row is not None:
            return row
    if is_http_url(ref):
        row = session.scalar(select(ArticleRow).join(ArticleURL).where(ArticleURL.url_key == url_key(ref)))
        if row is not None:
            return row
        raise NotFound(ref, f"no article archived from {ref}")
    if re.fullmatch(r"[0-9a-fA-F]+", ref) and len(ref) >= UID_PREFIX_MIN:
        rows = session.scalars(
            select(ArticleRow).where(ArticleRow.uid.startswith(ref.lower())).limit(3)
        ).all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            shown = ", ".join(r.uid for r in rows[:2])
            raise NotFound(ref, f"uid prefix {ref!r} is ambiguous ({shown}, ...): give more characters")
    path = relative_path(ref)
    if path is not None:
        row = session.scalar(select(ArticleRow).where(ArticleRow.path == path))
        if row is not None:
            return row
    raise NotFound(ref)


# -- statistics -----------------------------------------------------------------------------------


@dataclass
class SourceStats:
    articles: int = 0
    size: int = 0
    first: datetime | None = None
    last: datetime | None = None
    per_day: dict[date, int] = field(default_factory=dict)


@dataclass
class Stats:
    days: list[date]  # the last DAYS days, oldest first (in UTC)
    sources: dict[str, SourceStats]
    languages: dict[str, int]  # '' for articles without a language

    @property
    def total(self) -> int:
        return sum(s.articles for s in self.sources.values())

    @property
    def size(self) -> int:
        return sum(s.size for s in self.sources.values())


DAYS = 30


def stats(session: Session, zone_for: Callable[[str], str], now: datetime | None = None) -> Stats:
    """Counts per source, per day of the last 30 days (in each source's zone) and per language."""
    now = now or datetime.now(UTC)
    per_source = session.execute(
        select(ArticleRow.source, func.count(), func.coalesce(func.sum(ArticleRow.size), 0),
               func.min(article_date()), func.max(article_date()))
        .group_by(ArticleRow.source).order_by(ArticleRow.source)
    )  # fmt: skip
    sources = {
        name: SourceStats(count, int(size), first, last) for name, count, size, first, last in per_source
    }
    languages = Counter(
        {
            lang or "": n
            for lang, n in session.execute(select(ArticleRow.lang, func.count()).group_by(ArticleRow.lang))
        }
    )
    days = [(now - timedelta(days=DAYS - 1 - i)).date() for i in range(DAYS)]
    recent = session.execute(
        select(ArticleRow.source, article_date())
        .where(article_date() >= now - timedelta(days=DAYS + 1))
        .execution_options(yield_per=BATCH)
    )
    counts: dict[str, Counter[date]] = defaultdict(Counter)
    zones: dict[str, ZoneInfo] = {}
    for source, moment in recent:
        if source not in zones:
            zones[source] = ZoneInfo(zone_for(source))
        counts[source][moment.astimezone(zones[source]).date()] += 1
    for name in sources:
        numbers = counts.get(name, Counter())
        today = now.astimezone(ZoneInfo(zone_for(name))).date()
        window = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
        sources[name].per_day = {day: numbers.get(day, 0) for day in window}
    return Stats(days, sources, dict(sorted(languages.items(), key=lambda item: (-item[1], item[0]))))
