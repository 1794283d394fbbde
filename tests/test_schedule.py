"""Schedules and missed-run decisions computed from a fixed "now", never by sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.config import parse_schedule
from crawler.schedule import MISSED_CAP, Plan, due_after, missed_times, plan_next

NOW = datetime(2025, 3, 4, 12, 0, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_never_crawled_runs_now_as_catch_up() -> None:
    plan = plan_next(parse_schedule("every 15m", "UTC"), None, NOW)
    assert plan == Plan(NOW, "catch-up", never=True)
    assert plan.describe() == "never crawled: runs now (catch-up)"


def test_interval_counts_from_the_last_run() -> None:
    trigger = parse_schedule("every 15m", "UTC")
    last = NOW - timedelta(minutes=10)
    assert due_after(trigger, last) == last + timedelta(minutes=15)
    assert plan_next(trigger, last, NOW) == Plan(last + timedelta(minutes=15), "scheduled")


def test_interval_missed_many_times_runs_once() -> None:
    trigger = parse_schedule("every 2h", "UTC")
    plan = plan_next(trigger, NOW - timedelta(hours=7, minutes=30), NOW)
    assert plan == Plan(NOW, "catch-up", missed=3)
    assert plan.describe() == "missed 3 scheduled runs: one catch-up run now"
    # after the catch-up run, the interval starts again from it: one run, not three
    assert trigger.get_next_fire_time(plan.when, NOW) == NOW + timedelta(hours=2)


def test_interval_due_exactly_now_is_a_catch_up() -> None:
    trigger = parse_schedule("every 1h", "UTC")
    assert plan_next(trigger, NOW - timedelta(hours=1), NOW) == Plan(NOW, "catch-up", missed=1)


def test_cron_next_time_after_the_last_run() -> None:
    trigger = parse_schedule("*/30 * * * *", "UTC")
    # a run fired at 11:30 and recorded its start a moment later: next is 12:00, nothing missed
    plan = plan_next(trigger, at("2025-03-04T11:30:00.250+00:00"), at("2025-03-04T11:45:00+00:00"))
    assert plan == Plan(at("2025-03-04T12:00:00+00:00"), "scheduled")
    # a start recorded exactly on the fire time does not count that time as missed
    assert due_after(trigger, at("2025-03-04T11:30:00+00:00")) == at("2025-03-04T12:00:00+00:00")


def test_cron_missed_while_down_runs_once_then_resumes_on_the_grid() -> None:
    trigger = parse_schedule("0 6 * * *", "Europe/Berlin")
    last = at("2025-03-01T06:00:02+01:00")  # the 06:00 run on 1 March
    plan = plan_next(trigger, last, NOW)  # down until 4 March 12:00 UTC: missed 2, 3 and 4 March
    assert plan == Plan(NOW, "catch-up", missed=3)
    assert trigger.get_next_fire_time(plan.when, NOW) == at("2025-03-05T06:00:00+01:00")


def test_cron_is_read_in_the_daemon_timezone_across_dst() -> None:
    trigger = parse_schedule("0 6 * * *", "Europe/Berlin")
    before = due_after(trigger, at("2025-03-29T06:00:01+01:00"))  # clocks go forward on 30 March
    assert before == at("2025-03-30T06:00:00+02:00")
    assert before.astimezone(UTC).hour == 4
    assert due_after(trigger, at("2025-03-28T12:00:00+00:00")).astimezone(UTC).hour == 5
    utc = parse_schedule("0 6 * * *", "UTC")
    assert due_after(utc, at("2025-03-29T06:00:01+00:00")) == at("2025-03-30T06:00:00+00:00")


def test_cron_weekday_names() -> None:
    trigger = parse_schedule("0 9 * * mon-fri", "UTC")
    friday_run = at("2025-03-07T09:00:01+00:00")
    assert due_after(trigger, friday_run) == at("2025-03-10T09:00:00+00:00")  # Monday
    sunday = at("2025-03-09T20:00:00+00:00")
    assert plan_next(trigger, friday_run, sunday) == Plan(at("2025-03-10T09:00:00+00:00"), "scheduled")


@pytest.mark.parametrize(
    ("schedule", "down_for", "missed"),
    [
        ("every 1m", timedelta(seconds=59), 0),
        ("every 1m", timedelta(minutes=5, seconds=1), 5),
        ("*/15 * * * *", timedelta(hours=1, minutes=1), 4),
        ("* * * * *", timedelta(days=30), MISSED_CAP),
    ],
)
def test_missed_times(schedule: str, down_for: timedelta, missed: int) -> None:
    trigger = parse_schedule(schedule, "UTC")
    last = at("2025-03-04T10:00:30+00:00")
    assert missed_times(trigger, last, last + down_for) == missed


def test_plan_describes_next_run() -> None:
    plan = plan_next(parse_schedule("every 2h", "UTC"), NOW, NOW + timedelta(minutes=1))
    assert plan is not None and plan.describe() == "next run 2025-03-04 14:00:00+00:00"
    assert Plan(NOW, "catch-up", missed=1).describe() == "missed 1 scheduled run: one catch-up run now"
    assert Plan(NOW, "catch-up", missed=MISSED_CAP).describe().startswith(f"missed {MISSED_CAP}+ ")
