"""The scheduler daemon as a user runs it: `python -m crawler.cli daemon` in its own process, against
a local site on 127.0.0.1, with second-level schedules. Every wait polls against a deadline, and
every daemon (with its crawl children) is killed at the end of its test whatever happens."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import frontmatter
import pytest

from archive.index import ArchiveIndex
from archive.locks import SourceLocks
from archive.runs import RunLog
from crawler.child import write_snapshot
from crawler.config import load_config
from crawler.daemon import Daemon as DaemonService
from crawler.localsite import LocalSite
from crawler.status import source_status
from tests.conftest import newsarchive, write_config
from tests.test_crawl import article, rss

T = TypeVar("T")
FAST = {"extract_workers": 0, "download_timeout": 10}  # extraction in a thread: no worker start-up per crawl


class Daemon:
    """A `newsarchive daemon` process; its stderr goes to a file the test reads as the log."""

    def __init__(self, folder: Path, name: str = "daemon"):
        self.log_path = folder / f"{name}.log"
        self._log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "daemon", "--config", str(folder / "config.yaml")],
            cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log_file,
        )  # fmt: skip

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        """Kill the daemon and its crawl children (they run in their own sessions)."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait(10)
        for pid in self.child_pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self._log_file.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def child_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"run started \([a-z-]+, pid (\d+)\)", self.log())]

    def wait_log(self, pattern: str, timeout: float = 20, after: int = 0) -> int:
        """Wait for a regex in the log (from offset ``after``); returns the offset of the line's end."""

        def found() -> int | None:
            match = re.search(pattern, self.log()[after:])
            return after + match.end() if match else None

        return wait_until(found, timeout, f"log line matching {pattern!r}", self)

    def send(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 30) -> tuple[int, float]:
        started = time.monotonic()
        self.send(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started


def wait_until(check: Callable[[], T | None], timeout: float, what: str, daemon: Daemon | None = None) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            log = daemon.log()[-3000:] if daemon else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n--- daemon log ---\n{log}")
        time.sleep(0.1)


def query(folder: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    path = folder / "news" / "index.sqlite"
    if not path.exists():  # nothing has started yet
        return []
    db = sqlite3.connect(path, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:  # the daemon has not created the tables yet
        if "no such table" in str(exc):
            return []
        raise
    finally:
        db.close()


def runs(folder: Path, source: str) -> list[dict[str, Any]]:
    rows = query(folder, "select * from crawl_runs where source = ? order by id", source)
    return [
        dict(row) | {"started": _time(row["started_at"]), "finished": _time(row["finished_at"])}
        for row in rows
    ]


def finished(folder: Path, source: str, status: str | None = None) -> list[dict[str, Any]]:
    return [r for r in runs(folder, source) if r["status"] != "running" and status in (None, r["status"])]


def lock_owner(folder: Path, source: str) -> str | None:
    rows = query(folder, "select owner from source_locks where source = ?", source)
    return rows[0]["owner"] if rows else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def overlapping(rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    spans = sorted((r["started"], r["finished"], r["id"]) for r in rows)
    return [(a[2], b[2]) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]


def news_feed(
    site: LocalSite, name: str, articles: int = 1, *, delay: float = 0, article_delay: float = 0
) -> str:
    paths = [f"/{name}/2025/03/01/story-{n}.html" for n in range(articles)]
    for n, path in enumerate(paths):
        site.add(path, article(f"Story {n} of {name}"), delay=article_delay)
    site.add(f"/{name}/rss.xml", rss(site, paths), content_type="application/rss+xml", delay=delay)
    return site.url(f"/{name}/rss.xml")


def configure(folder: Path, sources: list[dict], **daemon: Any) -> Path:
    settings = {"shutdown_grace": 10, "max_parallel_crawls": 2} | daemon
    return write_config(folder, sources, crawl=FAST, daemon=settings)


def test_config_snapshot_loads_back_to_the_same_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Children crawl with the config the daemon accepted, written out with absolute paths."""
    monkeypatch.setenv("NEWS_DB", f"sqlite:///{tmp_path / 'db.sqlite'}")
    (tmp_path / "config.yaml").write_text(
        "archive: {dir: news, database: '${NEWS_DB}', front_matter: {add: [authors], static: {toc: true}}}\n"
        "crawl: {download_delay: 2s, max_page_size: 1MB}\n"
        "daemon: {log_file: logs/d.log, timezone: Europe/Berlin, run_timeout: 90m}\n"
        "sources:\n  - {name: a, feeds: ['https://a.example/rss'], schedule: '*/5 * * * *', lang: de}\n"
        "  - {name: b, start_urls: ['https://b.example/'], allow: ['/20\\d\\d/'], enabled: false}\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path / "config.yaml")
    (tmp_path / "elsewhere").mkdir()
    snapshot = write_snapshot(config, tmp_path / "elsewhere" / "config.yaml")
    assert "${NEWS_DB}" in snapshot.read_text(encoding="utf-8")  # the expanded URL is not written to disk
    again = load_config(snapshot)
    assert again.model_dump(exclude={"path"}) == config.model_dump(exclude={"path"})
    assert again.archive.dir == tmp_path / "news" and again.daemon.log_file == tmp_path / "logs" / "d.log"


def test_runs_on_schedule_and_sighup_adds_removes_and_refuses_a_bad_config(
    site: LocalSite, tmp_path: Path
) -> None:
    alpha = {"name": "alpha", "feeds": [news_feed(site, "alpha")], "schedule": "every 2s"}
    beta = {"name": "beta", "feeds": [news_feed(site, "beta", articles=0)], "schedule": "every 2s"}
    configure(tmp_path, [alpha])
    with Daemon(tmp_path) as daemon:
        daemon.wait_log(r"alpha: schedule 'every 2s'; never crawled: runs now \(catch-up\)")
        wait_until(lambda: len(finished(tmp_path, "alpha")) >= 2, 30, "two runs of alpha", daemon)
        first, second = finished(tmp_path, "alpha")[:2]
        assert (first["trigger"], first["status"], first["new"]) == ("catch-up", "ok", 1)
        assert (second["trigger"], second["status"], second["new"], second["unchanged"]) == (
            "scheduled",
            "ok",
            0,
            1,
        )
        assert re.search(r"alpha: run ended: ok in [\d.]+s · discovered 1 · fetched 1 · new 1", daemon.log())

        configure(tmp_path, [beta])  # alpha removed, beta added
        daemon.send(signal.SIGHUP)
        reloaded = daemon.wait_log(
            r"reloaded .*config\.yaml: 1 sources \(added: beta; removed: alpha; rescheduled: -\)"
        )
        wait_until(lambda: finished(tmp_path, "beta", "ok"), 20, "a run of beta", daemon)
        assert finished(tmp_path, "beta")[0]["trigger"] == "catch-up"

        (tmp_path / "config.yaml").write_text("sources:\n  - {name: beta, feeds: [ftp://x.example/]}\n")
        daemon.send(signal.SIGHUP)
        refused = daemon.wait_log(
            r"ERROR crawler\.daemon: reload refused, keeping the running configuration: "
            r".*config\.yaml: sources\[0\]\.feeds\[0\]: not an http\(s\) URL: 'ftp://x\.example/'\n",
            after=reloaded,
        )
        # the old configuration goes on: beta still runs, with its children reading the accepted config
        daemon.wait_log(r"beta: run ended: ok", timeout=20, after=refused)
        assert "alpha: run started" not in daemon.log()[reloaded:]
        code, _ = daemon.stop()
        assert code == 0, daemon.log()
    assert overlapping(finished(tmp_path, "beta")) == []
    statuses = [r["status"] for r in finished(tmp_path, "alpha") + finished(tmp_path, "beta")]
    assert set(statuses[:-1]) == {"ok"} and statuses[-1] in ("ok", "interrupted")  # the last may be stopped
    assert "daemon stopped" in daemon.log()


def test_a_long_crawl_is_not_overlapped_by_ticks_nor_by_manual_crawls(
    site: LocalSite, tmp_path: Path
) -> None:
    # slow's crawl waits 25 s for its feed (under the 30 s download timeout): ticks every second and a
    # manual crawl all fall inside it, even on a loaded machine
    slow = {"name": "slow", "feeds": [news_feed(site, "slow", articles=0, delay=25)], "schedule": "every 1s"}
    other = {"name": "other", "feeds": [news_feed(site, "other")], "schedule": "every 1s"}
    configure(tmp_path, [slow, other], shutdown_grace=1)
    index = ArchiveIndex(f"sqlite:///{tmp_path / 'news' / 'index.sqlite'}")
    elsewhere = SourceLocks(index.engine, owner="crawler-b.example:4242")  # a crawl on another machine
    elsewhere.acquire("slow")
    try:
        with Daemon(tmp_path) as daemon:
            # the daemon does not start slow while another process crawls it, and records that
            daemon.wait_log(
                r"slow: catch-up run skipped: already running \(owner crawler-b\.example:4242 since "
            )
            elsewhere.release("slow")
            # once the daemon's own crawl of slow holds the lock, a manual crawl is refused
            child = wait_until(lambda: lock_owner(tmp_path, "slow"), 20, "the daemon's crawl of slow", daemon)
            result = newsarchive("crawl", "--source", "slow", "--quiet", cwd=tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            assert re.search(r"^slow\s+skipped\s", result.stdout, re.M), result.stdout
            assert f"error: already running (owner {child} since " in result.stdout
            # and the ticks that fall due meanwhile start nothing
            wait_until(lambda: len(finished(tmp_path, "other", "ok")) >= 2, 20, "two runs of other", daemon)
            daemon.wait_log(r"slow: run due at [\d:]+ skipped: the previous one is still running \(pid ")
            assert lock_owner(tmp_path, "slow") == child
            assert daemon.stop()[0] == 0  # slow's crawl is stopped (killed after the 1 s grace period)
    finally:
        index.close()
    assert len(re.findall(r"slow: run started", daemon.log())) == 1
    slow_runs = finished(tmp_path, "slow")
    assert [(r["trigger"], r["status"]) for r in slow_runs] == [
        ("catch-up", "skipped"), ("scheduled", "interrupted"), ("manual", "skipped")]  # fmt: skip
    assert slow_runs[0]["error"].startswith("already running (owner crawler-b.example:4242 since ")
    assert slow_runs[2]["error"].startswith(f"already running (owner {child} since ")
    assert slow_runs[1]["error"] == "stopped: the daemon shut down (killed before it finished)"
    assert (
        all(r["finished"] for r in runs(tmp_path, "other")) and overlapping(finished(tmp_path, "other")) == []
    )
    assert overlapping(slow_runs[1:2] + finished(tmp_path, "other")), "slow and other never ran in parallel"


def test_restart_after_downtime_runs_one_catch_up(site: LocalSite, tmp_path: Path) -> None:
    hourly = {"name": "hourly", "feeds": [news_feed(site, "hourly", articles=0)], "schedule": "every 1h"}
    configure(tmp_path, [hourly], log_file="logs/daemon.log", log_max_bytes="100KB", log_backups=2)
    with Daemon(tmp_path, "first") as daemon:  # never crawled: runs at start
        daemon.wait_log(r"hourly: run ended: ok")
        assert daemon.stop()[0] == 0
    with Daemon(tmp_path, "second") as daemon:  # restarted at once: nothing was missed
        daemon.wait_log(r"daemon started")
        assert re.search(r"hourly: schedule 'every 1h'; next run ", daemon.log())
        assert daemon.stop()[0] == 0
    assert [(r["trigger"], r["status"]) for r in runs(tmp_path, "hourly")] == [("catch-up", "ok")]
    # the daemon was down for 3 h 10 min: the run history says the last run started that long ago
    db = sqlite3.connect(tmp_path / "news" / "index.sqlite")
    with db:
        db.execute("update crawl_runs set started_at = datetime(started_at, '-190 minutes'), "
                   "finished_at = datetime(finished_at, '-190 minutes')")  # fmt: skip
    db.close()
    with Daemon(tmp_path, "third") as daemon:
        daemon.wait_log(r"hourly: schedule 'every 1h'; missed 3 scheduled runs: one catch-up run now")
        daemon.wait_log(r"hourly: run ended: ok")
        assert daemon.stop()[0] == 0
    assert [(r["trigger"], r["status"]) for r in runs(tmp_path, "hourly")] == [
        ("catch-up", "ok"),
        ("catch-up", "ok"),
    ]
    assert daemon.log().count("run started") == 1
    log_file = (tmp_path / "logs" / "daemon.log").read_text(encoding="utf-8")  # all three daemons, appended
    assert log_file.count("daemon started") == 3 and "missed 3 scheduled runs" in log_file
    last = runs(tmp_path, "hourly")[-1]["started"]
    [status] = source_status(load_config(tmp_path / "config.yaml"), datetime.now(UTC))
    assert status["next_run_trigger"] == "scheduled"  # the next one is an hour after the catch-up
    assert datetime.fromisoformat(status["next_run"]).replace(tzinfo=None) == last + timedelta(hours=1)


def test_sigterm_during_a_crawl_exits_0_within_the_grace_period_leaving_no_partial_files(
    site: LocalSite, tmp_path: Path
) -> None:
    feed = news_feed(site, "busy", articles=10, article_delay=2)  # more than are fetched at once
    configure(tmp_path, [{"name": "busy", "feeds": [feed], "schedule": "every 1h"}], shutdown_grace=15)
    with Daemon(tmp_path) as daemon:
        wait_until(lambda: site.hits("/busy/2025/03/01/story-0.html"), 20, "an article download", daemon)
        code, seconds = daemon.stop()
        assert code == 0, daemon.log()
        assert seconds < 15, f"took {seconds:.1f}s to stop"
    assert not re.search(r"killed|Traceback", daemon.log()), daemon.log()
    [run] = runs(tmp_path, "busy")
    assert (run["status"], run["error"]) == (
        "interrupted",
        "stopped: shutdown",
    )  # recorded by the crawl itself
    news = tmp_path / "news"
    assert [p.name for p in news.rglob(".tmp-*")] == []
    files = {p.relative_to(news).as_posix() for p in news.rglob("*.md")}
    assert all(frontmatter.load(news / f)["title"].startswith("Story ") for f in files)
    indexed = {row["path"] for row in query(tmp_path, "select path from articles")}
    assert files == indexed  # the index agrees with the files
    assert len(files) == run["new"] >= 1  # the pages in flight were finished, not dropped


def test_crashed_and_timed_out_crawls_are_recorded_and_the_daemon_goes_on(
    site: LocalSite, tmp_path: Path
) -> None:
    crashy = {
        "name": "crashy",
        "feeds": [news_feed(site, "crashy", articles=0, delay=1)],
        "schedule": "every 2s",
    }
    hang = {"name": "hang", "feeds": [news_feed(site, "hang", articles=0, delay=30)], "schedule": "every 1h"}
    configure(tmp_path, [crashy, hang], run_timeout=10, shutdown_grace=2)  # crashy's runs take ~3 s
    with Daemon(tmp_path) as daemon:
        owner = wait_until(lambda: lock_owner(tmp_path, "crashy"), 20, "crashy's crawl", daemon)
        os.kill(int(owner.rpartition(":")[2]), signal.SIGKILL)  # the crawl process dies mid-crawl
        daemon.wait_log(r"WARNING crawler\.daemon: crashy: run ended: failed .* error: the crawl process was "
                        r"killed by SIGKILL")  # fmt: skip
        wait_until(
            lambda: finished(tmp_path, "crashy", "ok"), 20, "a good run of crashy after the crash", daemon
        )
        daemon.wait_log(r"hang: run ended: timed_out", timeout=20)
        assert daemon.stop()[0] == 0
    crashed, *later = finished(tmp_path, "crashy")
    assert (crashed["status"], crashed["trigger"]) == ("failed", "catch-up")
    assert crashed["error"] == "the crawl process was killed by SIGKILL"
    assert len([r for r in runs(tmp_path, "crashy") if r["pid"] == crashed["pid"]]) == 1  # one row per run
    assert (
        later[0]["status"] == "ok" and "took over the stale lock" not in daemon.log()
    )  # the daemon freed it
    [timed_out] = runs(tmp_path, "hang")
    assert timed_out["status"] == "timed_out" and timed_out["finished"] - timed_out["started"] < timedelta(
        seconds=14
    )
    assert timed_out["error"] == "stopped after the run timeout of 10s (killed after the grace period)"
    assert query(tmp_path, "select * from source_locks") == []


def test_flagged_sources_are_logged_once_when_they_become_flagged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configure(tmp_path, [{"name": "flaky", "feeds": ["https://flaky.example/rss"]}])
    service = DaemonService(load_config(tmp_path / "config.yaml"))
    try:
        log = RunLog(service.index.engine)

        def add(status: str) -> None:
            run = log.record("flaky", "scheduled", status, datetime.now(UTC), "HTTP 403" if status != "ok" else None,
                             "h", 1)  # fmt: skip
            service.index.finish_run(run.id, status, {"discovered": 1}, {}, run.error)
            service._check_flag("flaky")

        with caplog.at_level("INFO", logger="crawler.daemon"):
            for status in ["failed", "timed_out", "failed", "failed", "ok"]:
                add(status)
        messages = [r.getMessage() for r in caplog.records]
        assert messages == [
            "flaky: flagged failing: 3 failed runs in a row (last error: HTTP 403)",
            "flaky: no longer flagged failing",
        ]
        assert caplog.records[0].levelname == "WARNING"
    finally:
        service.stop()
