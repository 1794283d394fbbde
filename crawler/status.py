"""What ``status`` and ``runs`` report, as plain JSON-ready dicts: each source's health from the
index (``archive.runs``) joined with its schedule (``crawler.schedule``), and the run history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archive.index import ArchiveIndex
from archive.locks import SourceLocks
from archive.models import CrawlRun
from archive.runs import COUNT_COLUMNS, RunLog
from crawler.config import Config
from crawler.schedule import plan_next, source_trigger


def source_status(config: Config, now: datetime) -> list[dict[str, Any]]:
    """One entry per source of the config, in config order. The next run is computed from the
    schedule and the last run, whether or not a daemon is running."""
    index = ArchiveIndex(config.archive.database or "")
    try:
        runs, locks = RunLog(index.engine), SourceLocks(index.engine)
        rows = []
        for source in config.sources:
            health = runs.health(source.name, now)
            last = health.last
            plan = plan_next(source_trigger(source, config.daemon.timezone), last and last.started_at, now)
            holder = locks.active_holder(source.name)
            rows.append({
                "source": source.name,
                "enabled": source.enabled,
                "schedule": source.schedule,
                "last_run": None if last is None else run_dict(last),
                "next_run": None if plan is None or not source.enabled else _iso(plan.when),
                "next_run_trigger": None if plan is None or not source.enabled else plan.trigger,
                "consecutive_failures": health.consecutive_failures,
                "new_24h": health.new_24h,
                "flag": health.flag or None,
                "flag_reason": health.flag_reason() or None,
                "running": holder.owner if holder else None,
            })  # fmt: skip
        return rows
    finally:
        index.close()


def run_history(config: Config, source: str | None, limit: int) -> list[dict[str, Any]]:
    index = ArchiveIndex(config.archive.database or "")
    try:
        return [run_dict(run) for run in RunLog(index.engine).history(source, limit)]
    finally:
        index.close()


def run_dict(run: CrawlRun) -> dict[str, Any]:
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "id": run.id,
        "source": run.source,
        "trigger": run.trigger,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at) if run.finished_at else None,
        "seconds": None if seconds is None else round(seconds, 3),
        "counts": {name: getattr(run, name) or 0 for name in COUNT_COLUMNS},
        "reasons": dict(run.reasons or {}),
        "error": run.error,
        "host": run.host,
        "pid": run.pid,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat()
