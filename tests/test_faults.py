"""Faults during a crawl: a full or read-only disk stops the source with one line, leaves no
partial file and an index that matches the files; the next run completes the work."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.localsite import LocalSite
from tests.conftest import newsarchive, write_config
from tests.test_crawl import archived, article, rss

RUNNER = Path(__file__).with_name("fault_runner.py")
PATHS = [f"/n/2025/03/01/story-{n}.html" for n in range(5)]


@pytest.mark.parametrize(
    ("code", "message"), [("ENOSPC", "no space left on device"), ("EROFS", "read-only file system")]
)
def test_disk_fault_stops_the_source_cleanly(
    site: LocalSite, tmp_path: Path, code: str, message: str
) -> None:
    for n, path in enumerate(PATHS):
        site.add(path, article(f"Story {n}"))
    site.add("/rss.xml", rss(site, PATHS), content_type="application/rss+xml")
    write_config(
        tmp_path, [{"name": "disk", "feeds": [site.url("/rss.xml")]}], crawl={"concurrent_requests": 1}
    )
    result = subprocess.run(
        [sys.executable, str(RUNNER), code, "2", "crawl", "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    error = next(line for line in result.stdout.splitlines() if line.strip().startswith("error:"))
    assert error.strip().startswith("error: cannot write ") and error.strip().endswith(f".md: {message}")
    news = tmp_path / "news"
    assert not list(news.rglob(".tmp-*"))  # no partial file
    files = sorted(p.relative_to(news).as_posix() for p in news.rglob("*.md"))
    assert len(files) == 2
    db = sqlite3.connect(news / "index.sqlite")
    try:
        assert sorted(row[0] for row in db.execute("select path from articles")) == files
        assert db.execute("select status from crawl_runs").fetchall() == [("failed",)]
    finally:
        db.close()

    again = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(p["title"] for p in archived(tmp_path).values()) == [f"Story {n}" for n in range(5)]


def test_unreachable_database_is_one_line_without_the_password(site: LocalSite, tmp_path: Path) -> None:
    site.add("/rss.xml", rss(site, PATHS[:1]), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "db", "feeds": [site.url("/rss.xml")]}], database="${NEWS_DB}")
    url = "postgresql+psycopg://archivist:s3cret-pw@127.0.0.1:9/news"  # nothing listens on port 9
    result = newsarchive("crawl", "--quiet", cwd=tmp_path, env={"NEWS_DB": url})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: cannot use the index postgresql+psycopg://archivist:***@127.0.0.1:9/news: "
    )
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert site.hits("/rss.xml") == 0


def test_locked_sqlite_index_is_waited_for(site: LocalSite, tmp_path: Path) -> None:
    """Another process holding the SQLite write lock for a while delays the crawl; it does not fail it."""
    for n, path in enumerate(PATHS[:2]):
        site.add(path, article(f"Story {n}"))
    site.add("/rss.xml", rss(site, PATHS[:2]), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "busy", "feeds": [site.url("/rss.xml")]}])
    assert newsarchive("crawl", "--quiet", cwd=tmp_path).returncode == 0  # creates the index
    for n, path in enumerate(PATHS[2:4], start=2):
        site.add(path, article(f"Story {n}"))
    site.add("/rss.xml", rss(site, PATHS[:4]), content_type="application/rss+xml")
    holder = sqlite3.connect(tmp_path / "news" / "index.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    crawl = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(4)
        assert crawl.poll() is None  # still waiting for the lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, _ = crawl.communicate(timeout=60)
    assert crawl.returncode == 0, out
    assert len(archived(tmp_path)) == 4


def test_sigkill_mid_crawl_then_the_next_run_completes(site: LocalSite, tmp_path: Path) -> None:
    # Enough slow pages for several of the archive's batches (written up to 1 s apart), so the kill
    # comes while some are archived and others are not.
    paths = [f"/k/2025/03/01/story-{n}.html" for n in range(40)]
    for n, path in enumerate(paths):
        site.add(path, article(f"Killed story {n}"), delay=0.3)
    site.add("/rss.xml", rss(site, paths), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "kill", "feeds": [site.url("/rss.xml")]}], crawl={"concurrent_requests": 2})
    crawl = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--quiet"], cwd=tmp_path, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(list((tmp_path / "news").rglob("*.md"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.wait()
    killed_with = len(list((tmp_path / "news").rglob("*.md")))
    assert 3 <= killed_with < len(paths)

    again = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    posts = archived(tmp_path)
    assert sorted(p["title"] for p in posts.values()) == sorted(f"Killed story {n}" for n in range(40))
    assert all(site.hits(p) <= 2 for p in paths)  # only what was in flight at the kill is fetched again
    news = tmp_path / "news"
    assert not list(news.rglob(".tmp-*"))
    db = sqlite3.connect(news / "index.sqlite")
    try:
        rows = sorted(row[0] for row in db.execute("select path from articles"))
        statuses = [row[0] for row in db.execute("select status from crawl_runs order by id")]
    finally:
        db.close()
    assert rows == sorted(p.relative_to(news).as_posix() for p in news.rglob("*.md"))
    assert statuses == ["failed", "ok"]  # the next run records the killed one's end
    verify = newsarchive("verify", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
