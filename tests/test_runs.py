"""Run records and source health (archive.runs), and the `status` and `runs` commands on top."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from archive.article import Article
from archive.index import ArchiveIndex
from archive.locks import SourceLocks
from archive.models import ArticleRow
from archive.runs import RunLog
from crawler.cli import main
from tests.conftest import write_config
from tests.test_locks import dead_pid

NOW = datetime.now(UTC).replace(microsecond=0)


def add_runs(index: ArchiveIndex, source: str, outcomes: list[str], *, start: datetime, step: timedelta,
             discovered: int = 1) -> None:  # fmt: skip
    """Finished runs, oldest first; an outcome is a status, or "ok0" for an ok run that found nothing."""
    for n, outcome in enumerate(outcomes):
        run = RunLog(index.engine).record(source, "scheduled", "ok", start + n * step, None, "h", 1)
        found = 0 if outcome == "ok0" else discovered
        counts = {"discovered": found, "new": found}
        index.finish_run(
            run.id, outcome.removesuffix("0"), counts, {}, "boom" if outcome == "failed" else None
        )


def add_article(index: ArchiveIndex, source: str, n: int, archived: datetime) -> None:
    url = f"https://example.org/{source}/{n}"
    article = Article(
        url=url, fetched_url=url, source=source, title=f"Story {n}", body="Text.", fetched=archived
    )
    row = index.add_article(article, f"{source}/{n}.md", 10)
    with index.session.begin() as session:
        session.execute(update(ArticleRow).where(ArticleRow.id == row.id).values(first_seen=archived))


@pytest.fixture
def index(database_url: str):
    index = ArchiveIndex(database_url)
    try:
        yield index
    finally:
        index.close()


def test_failing_after_three_failures_in_a_row(index: ArchiveIndex) -> None:
    runs = RunLog(index.engine)
    hour = timedelta(hours=1)
    add_runs(
        index, "a", ["ok", "failed", "skipped", "timed_out", "interrupted"], start=NOW - 10 * hour, step=hour
    )
    health = runs.health("a", NOW)
    assert (health.consecutive_failures, health.flag) == (
        2,
        "",
    )  # skipped/interrupted neither count nor break
    add_runs(index, "a", ["failed"], start=NOW - 2 * hour, step=hour)
    health = runs.health("a", NOW)
    assert (health.consecutive_failures, health.flag, health.last.status) == (3, "failing", "failed")
    assert health.flag_reason() == "3 failed runs in a row (last error: boom)"
    add_runs(index, "a", ["ok"], start=NOW - hour, step=hour)
    assert (runs.health("a", NOW).consecutive_failures, runs.health("a", NOW).flag) == (0, "")


def test_empty_after_five_ok_runs_that_discovered_nothing(index: ArchiveIndex) -> None:
    runs = RunLog(index.engine)
    hour = timedelta(hours=1)
    add_runs(index, "b", ["ok", "ok0", "ok0", "ok0", "ok0"], start=NOW - 10 * hour, step=hour)
    assert runs.health("b", NOW).flag == ""
    add_runs(index, "b", ["skipped", "ok0"], start=NOW - 5 * hour, step=hour)
    health = runs.health("b", NOW)
    assert (health.empty_runs, health.flag) == (5, "empty")
    assert "5 runs in a row discovered no article links" in health.flag_reason()
    add_runs(index, "b", ["failed"], start=NOW - 2 * hour, step=hour)
    assert runs.health("b", NOW).flag == ""  # a failure breaks the streak of empty runs


def test_new_articles_in_the_last_24_hours(index: ArchiveIndex) -> None:
    for n, age in enumerate([1, 5, 23, 25, 48]):
        add_article(index, "c", n, NOW - timedelta(hours=age))
    add_article(index, "other", 9, NOW)
    assert RunLog(index.engine).health("c", NOW).new_24h == 3
    assert RunLog(index.engine).health("c", NOW + timedelta(hours=25)).new_24h == 0


def test_runs_left_running_by_dead_processes_are_closed(index: ArchiveIndex) -> None:
    runs = RunLog(index.engine)
    alive_run = index.start_run("d")  # this process: alive
    gone = runs.record("d", "manual", "running", NOW, None, "this-host", dead_pid())
    other_host = runs.record("d", "manual", "running", NOW, None, "elsewhere", 1)
    closed = runs.close_abandoned("this-host", lambda pid: False)
    assert [r.id for r in closed] == [gone.id]
    assert runs.get(gone.id).status == "failed" and "without recording its outcome" in runs.get(gone.id).error
    assert runs.get(other_host.id).status == "running" and runs.get(alive_run).status == "running"


def test_status_and_runs_commands(index: ArchiveIndex, tmp_path: Path) -> None:
    write_config(tmp_path, [
        {"name": "good", "feeds": ["https://good.example/feed"], "schedule": "every 2h"},
        {"name": "bad", "feeds": ["https://bad.example/feed"], "schedule": "0 6 * * *"},
        {"name": "new", "feeds": ["https://new.example/feed"]},
        {"name": "off", "feeds": ["https://off.example/feed"], "enabled": False},
    ], database=str(index.engine.url.render_as_string(hide_password=False)), daemon={"timezone": "Europe/Berlin"})  # fmt: skip
    hour = timedelta(hours=1)
    add_runs(index, "good", ["ok", "ok"], start=NOW - 2 * hour, step=hour, discovered=3)
    add_runs(index, "bad", ["failed"] * 4, start=NOW - 30 * hour, step=hour)
    add_article(index, "good", 1, NOW)
    SourceLocks(index.engine, owner="crawler-b.example:7").acquire("good")
    runner = CliRunner()
    config = str(tmp_path / "config.yaml")

    result = runner.invoke(main, ["status", "--config", config, "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["source"]: row for row in json.loads(result.output)}
    assert list(rows) == ["good", "bad", "new", "off"]
    good = rows["good"]
    assert (good["last_run"]["status"], good["next_run_trigger"], good["new_24h"]) == ("ok", "scheduled", 1)
    assert datetime.fromisoformat(good["next_run"]) == NOW - hour + 2 * hour  # last start + 2 h
    assert good["running"] == "crawler-b.example:7" and good["flag"] is None
    bad = rows["bad"]
    assert (bad["consecutive_failures"], bad["flag"], bad["next_run_trigger"]) == (4, "failing", "catch-up")
    assert rows["new"]["last_run"] is None and rows["new"]["next_run_trigger"] == "catch-up"
    assert rows["new"]["schedule"] == "every 1h"  # daemon.default_schedule
    assert rows["off"]["next_run"] is None and not rows["off"]["enabled"]

    result = runner.invoke(main, ["status", "--config", config])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["SOURCE", "SCHEDULE", "LAST", "RUN", "OUTCOME", "NEXT", "RUN", "FAILURES",
                                "NEW", "24H", "FLAG"]  # fmt: skip
    assert "ok (running: crawler-b.example:7)" in lines[1]
    bad_line = next(line for line in lines if line.startswith("bad "))
    assert bad_line.split()[-3:] == ["4", "0", "failing"] and "due now (catch-up)" in bad_line
    assert "    failed: boom" in lines
    assert "disabled" in next(line for line in lines if line.startswith("off "))
    assert lines[-1] == "(times in Europe/Berlin)"

    result = runner.invoke(main, ["runs", "--config", config, "--source", "bad", "--limit", "2", "--json"])
    history = json.loads(result.output)
    assert [run["status"] for run in history] == ["failed", "failed"]
    assert history[0]["started_at"] > history[1]["started_at"]  # newest first
    result = runner.invoke(main, ["runs", "--config", config])
    assert result.exit_code == 0 and result.output.splitlines()[0].split()[:3] == ["ID", "SOURCE", "TRIGGER"]
    assert len([line for line in result.output.splitlines() if line.startswith("    error: boom")]) == 4
    result = runner.invoke(main, ["runs", "--config", config, "--source", "nope"])
    assert result.output == "No runs of 'nope' recorded yet.\n"
