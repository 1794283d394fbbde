"""The scheduler daemon: every enabled source crawled on its schedule, one child process per crawl.

Job store: APScheduler's MemoryJobStore, rebuilt from config.yaml and the index at every start and
reload, rather than SQLAlchemyJobStore in the index database. The truth about when a source last
ran is already in ``crawl_runs`` (written by every crawl, manual ones included), so the first run
after a start is derived from it (``crawler.schedule.plan_next``: one catch-up run for any number
of missed times). A persistent job store would duplicate that state as pickled jobs that go stale
when config.yaml changes, and APScheduler 3 does not support several schedulers sharing one job
store, which is what several machines on one PostgreSQL index would do. State that processes and
machines share lives in the database: run records (``archive.runs``) and per-source locks
(``archive.locks``, taken by the crawl itself, so manual crawls respect them too).

Signals: SIGHUP reloads config.yaml; SIGTERM/SIGINT stop scheduling, forward SIGTERM to running
crawls (which finish their in-flight pages and record themselves as interrupted), SIGKILL them
after ``daemon.shutdown_grace``; a second SIGTERM/SIGINT kills them at once.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from archive.index import ArchiveIndex
from archive.locks import SourceLocks, pid_alive
from archive.models import CrawlRun
from archive.runs import RunLog
from crawler.child import ChildCrawl, ChildExit, write_snapshot
from crawler.config import Config, ConfigError, SourceConfig, load_config
from crawler.schedule import plan_next, source_trigger

log = logging.getLogger(__name__)

POLL = 0.2  # seconds between the main loop's looks at pending signals
JOB_THREADS = 64  # threads that may wait for a crawl slot; crawls themselves are capped by Slots
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Slots:
    """At most ``limit`` crawls at once (a semaphore whose size a reload may change)."""

    def __init__(self, limit: int):
        self.limit, self.used, self.closed = limit, 0, False
        self._cond = threading.Condition()

    def acquire(self) -> bool:
        with self._cond:
            while not self.closed and self.used >= self.limit:
                self._cond.wait()
            if self.closed:
                return False
            self.used += 1
            return True

    def release(self) -> None:
        with self._cond:
            self.used -= 1
            self._cond.notify_all()

    def resize(self, limit: int) -> None:
        with self._cond:
            self.limit = limit
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class Daemon:
    def __init__(self, config: Config):
        self.config = config
        self.host = socket.gethostname()
        self.index = ArchiveIndex(config.archive.database)  # creates the tables on first use
        self.runs = RunLog(self.index.engine)
        self.locks = SourceLocks(self.index.engine)
        self.workdir = Path(tempfile.mkdtemp(prefix="newsarchive-daemon-"))
        self.config_file = write_snapshot(config, self.workdir / "config.yaml")
        self.slots = Slots(config.daemon.max_parallel_crawls)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(JOB_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=config.daemon.timezone,
        )
        self.scheduler.add_listener(self._on_skipped_tick, EVENT_JOB_MAX_INSTANCES)
        self.running: dict[str, ChildCrawl] = {}
        self.stopping = False
        self._lock = threading.Lock()  # guards running, stopping, _catch_up, _active
        self._catch_up: set[str] = set()
        self._flags: dict[str, str] = {}
        self._active = 0  # jobs between start and their run's bookkeeping
        self._signals: list[int] = []

    # -- lifetime -----------------------------------------------------------------------------

    def run(self) -> None:
        """Schedule, then serve signals until SIGTERM/SIGINT; returns once every crawl has ended."""
        for signum in (*STOP_SIGNALS, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        try:
            self.start()
            while True:
                time.sleep(POLL)
                pending = [self._signals.pop(0) for _ in range(len(self._signals))]  # pop: atomic
                if any(s in STOP_SIGNALS for s in pending):
                    log.info("received %s: shutting down", _signal_names(pending))
                    break
                if signal.SIGHUP in pending:
                    self.reload()
        finally:
            self.stop()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self._signals.append(signum)  # handled by the main loop, never inside the handler

    def start(self) -> None:
        for run in self.runs.close_abandoned(self.host, pid_alive):
            log.warning("%s: run %d (pid %s) was left running by a dead process: recorded as failed",
                        run.source, run.id, run.pid)  # fmt: skip
        sources = self._enabled(self.config)
        for source in sources.values():
            self._schedule(source, self.config)
            self._check_flag(source.name)
        self.scheduler.start()
        log.info("daemon started: %d sources, up to %d crawls at once, config %s",
                 len(sources), self.config.daemon.max_parallel_crawls, self.config.path)  # fmt: skip

    def stop(self) -> None:
        """Stop scheduling, let running crawls finish their in-flight pages, then exit cleanly."""
        grace = self.config.daemon.shutdown_grace
        with self._lock:
            self.stopping = True
            children = list(self.running.values())
        self.slots.close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if children:
            names = ", ".join(c.source for c in children)
            log.info("stopping %d running crawls (%s); waiting up to %gs", len(children), names, grace)
        for child in children:
            child.stop("shutdown", grace)
        deadline = time.monotonic() + grace + 15  # the kill, then each job's bookkeeping
        while self._active and time.monotonic() < deadline:
            time.sleep(POLL)
            if any(s in STOP_SIGNALS for s in self._signals):
                self._signals.clear()
                log.warning("second stop signal: killing the running crawls now")
                with self._lock:
                    for child in self.running.values():
                        child.kill()
        if self._active:
            log.error("%d crawl jobs did not finish their bookkeeping in time", self._active)
        self.index.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        log.info("daemon stopped")

    # -- schedules ----------------------------------------------------------------------------

    @staticmethod
    def _enabled(config: Config) -> dict[str, SourceConfig]:
        return {source.name: source for source in config.sources if source.enabled}

    def _schedule(self, source: SourceConfig, config: Config) -> None:
        trigger = source_trigger(source, config.daemon.timezone)
        now = datetime.now(UTC)
        plan = plan_next(trigger, self.runs.last_started(source.name), now)
        if plan is None:
            log.warning("%s: schedule %r never fires again: not scheduled", source.name, source.schedule)
            return
        with self._lock:
            if plan.trigger == "catch-up":
                self._catch_up.add(source.name)
            else:
                self._catch_up.discard(source.name)
        self.scheduler.add_job(
            self._job, trigger, args=[source.name], id=source.name, name=source.name,
            next_run_time=plan.when, replace_existing=True,
        )  # fmt: skip
        log.info("%s: schedule %r; %s", source.name, source.schedule, plan.describe())

    def reload(self) -> None:
        """Re-read config.yaml; an invalid one is refused and the running one kept."""
        old = self.config
        try:
            new = load_config(old.path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running configuration: %s", exc)
            return
        if (new.archive.dir, new.archive.database) != (old.archive.dir, old.archive.database):
            log.error("reload refused, keeping the running configuration: %s: archive.dir and "
                      "archive.database cannot change while the daemon runs; restart it", old.path)  # fmt: skip
            return
        write_snapshot(new, self.config_file)
        before, after = self._enabled(old), self._enabled(new)
        removed = [name for name in before if name not in after]
        added = [name for name in after if name not in before]
        zone_changed = new.daemon.timezone != old.daemon.timezone
        changed = [name for name in after if name in before
                   and (zone_changed or after[name].schedule != before[name].schedule)]  # fmt: skip
        for name in removed:
            self.scheduler.remove_job(name)
            with self._lock:
                self._catch_up.discard(name)
        self.config = new
        for name in [*added, *changed]:
            self._schedule(after[name], new)
        self.slots.resize(new.daemon.max_parallel_crawls)
        log.info("reloaded %s: %d sources (added: %s; removed: %s; rescheduled: %s)", new.path, len(after),
                 ", ".join(added) or "-", ", ".join(removed) or "-", ", ".join(changed) or "-")  # fmt: skip

    def _on_skipped_tick(self, event: Any) -> None:
        with self._lock:
            child = self.running.get(event.job_id)
        why = f"still running (pid {child.pid})" if child else "still waiting for a free crawl slot"
        log.info("%s: run due at %s skipped: the previous one is %s", event.job_id,
                 f"{event.scheduled_run_times[-1]:%H:%M:%S}", why)  # fmt: skip

    # -- one run ------------------------------------------------------------------------------

    def _job(self, name: str) -> None:
        """An APScheduler job (in an executor thread): wait for a slot, crawl ``name``, record it."""
        with self._lock:
            if self.stopping:
                return
            self._active += 1
            trigger = "catch-up" if name in self._catch_up else "scheduled"
            self._catch_up.discard(name)
        try:
            if self.slots.acquire():
                try:
                    self._crawl(name, trigger)
                finally:
                    self.slots.release()
        except Exception:  # a job must never take the scheduler down; the next tick tries again
            log.exception("%s: the daemon could not run or record this crawl", name)
        finally:
            with self._lock:
                self._active -= 1

    def _crawl(self, name: str, trigger: str) -> None:
        config, config_file = self.config, self.config_file
        holder = self.locks.active_holder(name)
        if holder is not None:
            started = datetime.now(UTC)
            run = self.runs.record(name, trigger, "skipped", started, f"already running (owner {holder.owner} "
                                   f"since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC)", self.host, None)  # fmt: skip
            log.info("%s: %s run skipped: %s", name, trigger, run.error)
            return
        child = ChildCrawl(name, trigger, config_file)
        with self._lock:
            if self.stopping:
                return
            child.start()
            self.running[name] = child
        log.info("%s: run started (%s, pid %d)", name, trigger, child.pid)
        try:
            ended = child.wait(config.daemon.run_timeout, config.daemon.shutdown_grace)
        finally:
            with self._lock:
                self.running.pop(name, None)
        run = self._settle(child, ended, config)
        if ended.returncode < 0:  # killed: its lock, if it had taken one, is free now
            SourceLocks(self.index.engine, owner=f"{self.host}:{child.pid}").release(name)
        _log_end(run, ended)
        self._check_flag(name)

    def _settle(self, child: ChildCrawl, ended: ChildExit, config: Config) -> CrawlRun:
        """Make sure the run has exactly one row with its real outcome (the child writes its own
        row; the daemon adds or corrects it when the child could not)."""
        run = self.runs.find(child.source, self.host, child.pid, child.started_at - timedelta(seconds=5))
        status = {"timed_out": "timed_out", "shutdown": "interrupted"}.get(ended.stop_reason or "", "failed")
        error = ended.describe(config.daemon.run_timeout)
        if run is None:  # died before recording anything
            return self.runs.record(
                child.source, child.trigger, status, child.started_at, error, self.host, child.pid
            )
        if run.status == "running":  # died mid-crawl
            return self.runs.settle(run.id, status, error) or run
        if ended.stop_reason == "timed_out":  # it recorded "interrupted": say why
            return self.runs.settle(run.id, "timed_out", error) or run
        return run

    def _check_flag(self, name: str) -> None:
        health = self.runs.health(name)
        previous = self._flags.get(name, "")
        self._flags[name] = health.flag
        if health.flag and health.flag != previous:
            log.warning("%s: flagged %s: %s", name, health.flag, health.flag_reason())
        elif previous and not health.flag:
            log.info("%s: no longer flagged %s", name, previous)


def _log_end(run: CrawlRun, ended: ChildExit) -> None:
    counts = (f"discovered {run.discovered} · fetched {run.fetched} · new {run.new} · unchanged {run.unchanged}"
              f" · skipped {run.skipped} · failed {run.failed}")  # fmt: skip
    level = logging.INFO if run.status in ("ok", "skipped", "interrupted") else logging.WARNING
    error = f" · error: {run.error}" if run.error else ""
    log.log(level, "%s: run ended: %s in %.1fs · %s%s", run.source, run.status, ended.seconds, counts, error)
    if run.status not in ("ok", "skipped"):
        for line in ended.stderr.strip().splitlines()[-10:]:
            log.info("%s: crawl output: %s", run.source, line)


def _signal_names(signums: list[int]) -> str:
    return ", ".join(dict.fromkeys(signal.Signals(s).name for s in signums))
