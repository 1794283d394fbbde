"""Crawl run records (``crawl_runs``): the rows the daemon adds or settles for crawls that could not
record themselves, the run history, and each source's health as ``status`` shows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from archive.models import ArticleRow, CrawlRun

FAILED = ("failed", "timed_out")  # outcomes that count as a failure of the source
COUNTED = ("ok", *FAILED)  # skipped, interrupted and running runs neither count nor break a streak
FAILING_AFTER = 3  # consecutive failed runs that flag a source "failing"
EMPTY_AFTER = 5  # consecutive ok runs that discovered nothing that flag a source "empty"
COUNT_COLUMNS = ("discovered", "fetched", "new", "unchanged", "skipped", "failed")


@dataclass(frozen=True)
class SourceHealth:
    source: str
    last: CrawlRun | None  # the latest run, whatever its outcome (may still be running)
    consecutive_failures: int
    empty_runs: int  # consecutive ok runs that discovered nothing (capped at EMPTY_AFTER)
    new_24h: int  # articles first archived in the last 24 hours

    @property
    def flag(self) -> str:
        if self.consecutive_failures >= FAILING_AFTER:
            return "failing"
        if self.empty_runs >= EMPTY_AFTER:
            return "empty"
        return ""

    def flag_reason(self) -> str:
        if self.flag == "failing":
            error = (self.last.error if self.last is not None else None) or "no error text"
            return f"{self.consecutive_failures} failed runs in a row (last error: {error})"
        if self.flag == "empty":
            return (
                f"{self.empty_runs} runs in a row discovered no article links (blocked, or the feed moved?)"
            )
        return ""


class RunLog:
    def __init__(self, engine: Engine):
        self.session = sessionmaker(engine, expire_on_commit=False)

    # -- the daemon's bookkeeping ------------------------------------------------------------

    def last_started(self, source: str) -> datetime | None:
        """When the latest run of ``source`` started (any trigger, any outcome)."""
        with self.session() as session:
            return session.scalar(select(func.max(CrawlRun.started_at)).where(CrawlRun.source == source))

    def find(self, source: str, host: str, pid: int, since: datetime) -> CrawlRun | None:
        """The run a given process recorded for ``source`` (a child's own row)."""
        with self.session() as session:
            return session.scalar(
                select(CrawlRun)
                .where(CrawlRun.source == source, CrawlRun.host == host, CrawlRun.pid == pid)
                .where(CrawlRun.started_at >= since)
                .order_by(CrawlRun.id.desc())
                .limit(1)
            )

    def get(self, run_id: int) -> CrawlRun | None:
        with self.session() as session:
            return session.get(CrawlRun, run_id)

    def record(
        self,
        source: str,
        trigger: str,
        status: str,
        started_at: datetime,
        error: str | None,
        host: str,
        pid: int | None,
    ) -> CrawlRun:
        """Add a finished run that its process did not record (skipped before start, crashed early)."""
        with self.session.begin() as session:
            run = CrawlRun(
                source=source,
                trigger=trigger,
                started_at=started_at,
                finished_at=datetime.now(UTC),
                status=status,
                error=error,
                host=host,
                pid=pid,
                reasons={},
                **dict.fromkeys(COUNT_COLUMNS, 0),
            )
            session.add(run)
        return run

    def settle(self, run_id: int, status: str, error: str | None) -> CrawlRun | None:
        """Give a run its final outcome (a crash left it running, or the daemon timed it out)."""
        with self.session.begin() as session:
            run = session.get(CrawlRun, run_id)
            if run is not None:
                run.status, run.error = status, error
                run.finished_at = run.finished_at or datetime.now(UTC)
        return run

    def close_abandoned(self, host: str, alive: Callable[[int], bool]) -> list[CrawlRun]:
        """Runs still 'running' whose process on this host is gone: they end as failed."""
        with self.session.begin() as session:
            runs = session.scalars(
                select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.host == host)
            ).all()
            gone = [run for run in runs if run.pid is None or not alive(run.pid)]
            for run in gone:
                run.status, run.finished_at = "failed", datetime.now(UTC)
                run.error = "the crawl process ended without recording its outcome (killed or crashed)"
        return gone

    # -- reading ----------------------------------------------------------------------------

    def history(self, source: str | None = None, limit: int = 20) -> list[CrawlRun]:
        """Runs newest first."""
        query = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
        if source is not None:
            query = query.where(CrawlRun.source == source)
        with self.session() as session:
            return list(session.scalars(query))

    def health(self, source: str, now: datetime | None = None) -> SourceHealth:
        now = now or datetime.now(UTC)
        with self.session() as session:
            last = session.scalar(
                select(CrawlRun)
                .where(CrawlRun.source == source)
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(1)
            )
            counted = select(CrawlRun).where(CrawlRun.source == source, CrawlRun.status.in_(COUNTED))
            last_ok = session.scalar(
                select(func.max(CrawlRun.started_at)).where(
                    CrawlRun.source == source, CrawlRun.status == "ok"
                )
            )
            failures = (
                select(func.count())
                .select_from(CrawlRun)
                .where(CrawlRun.source == source, CrawlRun.status.in_(FAILED))
            )
            if last_ok is not None:
                failures = failures.where(CrawlRun.started_at > last_ok)
            recent = session.scalars(counted.order_by(CrawlRun.started_at.desc()).limit(EMPTY_AFTER)).all()
            empty = 0
            for run in recent:
                if run.status != "ok" or run.discovered:
                    break
                empty += 1
            new_24h = session.scalar(
                select(func.count())
                .select_from(ArticleRow)
                .where(ArticleRow.source == source, ArticleRow.first_seen >= now - timedelta(hours=24))
            )
            return SourceHealth(source, last, session.scalar(failures) or 0, empty, new_24h or 0)
