"""Per-source locks in the index database, on SQLite and PostgreSQL: acquire, contention, stale
recovery, release; and a manual crawl that finds its source locked."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from archive.index import ArchiveIndex
from archive.locks import LockHeld, SourceLocks
from archive.models import CrawlRun, SourceLock
from crawler.localsite import LocalSite
from tests.conftest import newsarchive, write_config
from tests.test_crawl import article, rss

HOST = socket.gethostname()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    index = ArchiveIndex(database_url)  # creates the tables
    try:
        yield index.engine
    finally:
        index.close()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def age_heartbeat(engine: Engine, source: str, seconds: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(SourceLock)
            .where(SourceLock.source == source)
            .values(heartbeat_at=datetime.now(UTC) - timedelta(seconds=seconds))
        )


def test_acquire_and_release(engine: Engine) -> None:
    locks = SourceLocks(engine)
    assert locks.holder("times") is None
    locks.acquire("times")
    holder = locks.holder("times")
    assert holder is not None and holder.owner == f"{HOST}:{holder.pid}" and holder.host == HOST
    assert holder.acquired_at == holder.heartbeat_at and holder.acquired_at.tzinfo is not None
    locks.acquire("other")  # one lock per source
    assert [h.source for h in locks.holders()] == ["other", "times"]
    locks.release("times", "other")
    assert locks.holders() == []
    locks.acquire("times")  # free again
    locks.release("times")


def test_contention(engine: Engine) -> None:
    ours = SourceLocks(engine, owner="crawler-a.example:101", stale_after=60)
    theirs = SourceLocks(engine, owner="crawler-b.example:202", stale_after=60)
    ours.acquire("times")
    with pytest.raises(LockHeld) as raised:
        theirs.acquire("times")
    assert raised.value.holder.owner == "crawler-a.example:101"
    assert str(raised.value).startswith("already running (owner crawler-a.example:101 since 20")
    assert str(raised.value).endswith(" UTC)")
    with pytest.raises(LockHeld):
        ours.acquire("times")  # not re-entrant: a second crawl in the same process is refused too
    theirs.release("times")  # not theirs: nothing happens
    assert theirs.heartbeat("times") == ["times"]
    assert ours.heartbeat("times") == []
    assert ours.holder("times").owner == "crawler-a.example:101"


def test_only_one_of_many_simultaneous_acquirers_wins(engine: Engine) -> None:
    winners: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def contend(n: int) -> None:
        locks = SourceLocks(engine, owner=f"racer-{n}.example:{n}")
        start.wait()
        try:
            locks.acquire("times")
            winners.append(locks.owner)
        except LockHeld:
            pass
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(winners) == 1
    assert SourceLocks(engine).holder("times").owner == winners[0]


def test_lock_of_a_dead_process_on_this_host_is_recovered(engine: Engine) -> None:
    SourceLocks(engine, owner=f"{HOST}:{dead_pid()}").acquire("times")
    locks = SourceLocks(engine)
    assert locks.active_holder("times") is None  # stale: nobody is crawling
    locks.acquire("times")
    assert locks.holder("times").owner == locks.owner


def test_lock_of_a_live_process_on_this_host_is_respected(engine: Engine) -> None:
    import os

    SourceLocks(engine, owner=f"{HOST}:{os.getppid()}").acquire("times")  # pytest's parent is alive
    with pytest.raises(LockHeld):
        SourceLocks(engine).acquire("times")


def test_lock_from_another_host_is_recovered_only_when_its_heartbeat_is_old(engine: Engine) -> None:
    elsewhere = SourceLocks(engine, owner="crawler-b.example:1", stale_after=300)
    here = SourceLocks(engine, stale_after=300)
    elsewhere.acquire("times")
    age_heartbeat(engine, "times", 200)
    with pytest.raises(LockHeld):
        here.acquire("times")  # another host: its pid cannot be checked, its heartbeat is recent
    assert elsewhere.heartbeat("times") == []  # the holder is still beating: fresh again
    age_heartbeat(engine, "times", 400)
    assert here.active_holder("times") is None
    here.acquire("times")
    assert here.holder("times").owner == here.owner
    assert elsewhere.heartbeat("times") == ["times"]  # the old holder learns it lost the lock
    elsewhere.release("times")  # and cannot release the new holder's lock
    assert here.holder("times").owner == here.owner


def test_manual_crawl_skips_a_source_another_process_is_crawling(
    site: LocalSite, tmp_path: Path, database_url: str
) -> None:
    site.add("/n/2025/03/01/locked-story.html", article("A story behind a lock"))
    site.add("/rss.xml", rss(site, ["/n/2025/03/01/locked-story.html"]), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "times", "feeds": [site.url("/rss.xml")]}], database=database_url,
                 crawl={"extract_workers": 0})  # fmt: skip
    index = ArchiveIndex(database_url)
    try:
        SourceLocks(index.engine, owner="crawler-b.example:4242").acquire("times")
        result = newsarchive("crawl", "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        row = next(line for line in result.stdout.splitlines() if line.startswith("times"))
        assert row.split()[1] == "skipped"
        assert "error: already running (owner crawler-b.example:4242 since " in result.stdout
        assert site.hits("/rss.xml") == 0
        SourceLocks(index.engine, owner="crawler-b.example:4242").release("times")
        result = newsarchive("crawl", "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert SourceLocks(index.engine).holders() == []  # released at the end of the crawl
        with index.session() as session:
            runs = session.query(CrawlRun).order_by(CrawlRun.id).all()
        assert [(r.trigger, r.status, r.new) for r in runs] == [("manual", "skipped", 0), ("manual", "ok", 1)]
        assert (
            runs[0].error.startswith("already running (owner crawler-b.example:4242") and runs[0].finished_at
        )
    finally:
        index.close()
