"""When a source runs next, derived from its schedule and the last run recorded in the index.

Pure functions of a given "now" (no clock, no database), used by the daemon to plan the first run
after a (re)start or a reload, and by ``status`` to show the next run when no daemon is running.
A source whose scheduled time passed since its last run started (the daemon was down) runs once
now, however many times were missed; a source never crawled runs now too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import SourceConfig, parse_schedule

MISSED_CAP = 1000  # counting missed times stops here (a minutely cron down for a month)


@dataclass(frozen=True)
class Plan:
    when: datetime
    trigger: str  # "scheduled" or "catch-up" (the value of ``crawl --trigger``)
    missed: int = 0  # scheduled times that passed since the last run (0 when never crawled)
    never: bool = False  # the source was never crawled

    def describe(self) -> str:
        if self.never:
            return "never crawled: runs now (catch-up)"
        if self.trigger == "catch-up":
            times = f"{self.missed}{'+' if self.missed >= MISSED_CAP else ''}"
            return f"missed {times} scheduled run{'s' if self.missed != 1 else ''}: one catch-up run now"
        return f"next run {self.when.isoformat(sep=' ', timespec='seconds')}"


def source_trigger(source: SourceConfig, timezone: str) -> BaseTrigger:
    """The APScheduler trigger of a source; cron fields are read in ``timezone`` (daemon.timezone)."""
    return parse_schedule(source.schedule or "", timezone)


def due_after(trigger: BaseTrigger, last: datetime) -> datetime | None:
    """The first scheduled time strictly after a run that started at ``last``.

    An interval counts from the last run (``every 2h`` = two hours after it started); a cron
    expression gives its next matching time.
    """
    if isinstance(trigger, IntervalTrigger):
        return last + trigger.interval
    return trigger.get_next_fire_time(None, last + timedelta(microseconds=1))


def missed_times(trigger: BaseTrigger, last: datetime, now: datetime) -> int:
    """How many scheduled times fell in (last, now]."""
    if isinstance(trigger, IntervalTrigger):
        return min(int((now - last) / trigger.interval), MISSED_CAP)
    count, at = 0, due_after(trigger, last)
    while at is not None and at <= now and count < MISSED_CAP:
        count += 1
        at = trigger.get_next_fire_time(at, at)
    return count


def plan_next(trigger: BaseTrigger, last: datetime | None, now: datetime) -> Plan | None:
    """The next run after the last one started at ``last`` (None: never crawled), seen at ``now``.

    None when the schedule never fires again.
    """
    if last is None:
        return Plan(now, "catch-up", never=True)
    due = due_after(trigger, last)
    if due is None:
        return None
    if due <= now:
        return Plan(now, "catch-up", missed=missed_times(trigger, last, now))
    return Plan(due, "scheduled")
