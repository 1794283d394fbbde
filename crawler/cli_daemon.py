"""The ``daemon``, ``status`` and ``runs`` commands (registered on ``crawler.cli.main``): the daemon's
logging set-up, and the status and run history as tables or JSON."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from crawler.cli import _first_line, _safe_url, config_option, fail, main, open_config, setup_logging
from crawler.config import Config

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@main.command()
@config_option
@click.option("--verbose", "-v", count=True, help="Debug output, including the scheduler's.")
def daemon(config_path: Path, verbose: int) -> None:
    """Crawl every source on its schedule until stopped (SIGTERM or Ctrl-C); SIGHUP re-reads the config.

    Runs in the foreground: let systemd, a container or tmux keep it running. Each run is a child
    `newsarchive crawl` process; `newsarchive status` shows how the sources are doing.
    """
    config = open_config(config_path)
    try:
        setup_daemon_logging(config, verbose)
    except OSError as exc:
        fail(f"cannot open the log file {config.daemon.log_file}: {exc.strerror or exc} (daemon.log_file)")
    from crawler.daemon import Daemon

    try:
        Daemon(config).run()
    except SQLAlchemyError as exc:
        fail(f"cannot use the index {_safe_url(config.archive.database or '')}: {_first_line(exc)}")
    sys.exit(0)


def setup_daemon_logging(config: Config, verbose: int) -> None:
    """INFO to stderr with dates (a daemon runs for months), plus the optional rotating log file."""
    setup_logging(verbose + 1)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setFormatter(formatter)
    if config.daemon.log_file is not None:
        config.daemon.log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(
            config.daemon.log_file,
            maxBytes=config.daemon.log_max_bytes,
            backupCount=config.daemon.log_backups,
            encoding="utf-8",
        )
        file_handler.setFormatter(formatter)
        file_handler.setLevel(root.level)
        root.addHandler(file_handler)
    if verbose < 2:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        # The daemon logs skipped ticks ("still running") itself, in its own words.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)


@main.command()
@config_option
@json_option
def status(config_path: Path, as_json: bool) -> None:
    """Per source: last run and outcome, next run, consecutive failures, articles in the last 24 h.

    FLAG is "failing" after 3 failed runs in a row and "empty" after 5 ok runs in a row that
    discovered no article links (a site that started blocking, a feed that moved).
    """
    config = open_config(config_path)
    from crawler.status import source_status

    with _index_errors(config):
        rows = source_status(config, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    zone = ZoneInfo(config.daemon.timezone)
    table = [["SOURCE", "SCHEDULE", "LAST RUN", "OUTCOME", "NEXT RUN", "FAILURES", "NEW 24H", "FLAG"]]
    notes: dict[int, str] = {}
    for row in rows:
        last = row["last_run"]
        outcome = last["status"] if last else "-"
        if row["running"] and outcome != "running":
            outcome += f" (running: {row['running']})"
        elif outcome == "running" and not row["running"]:
            outcome += " (process gone?)"  # no live lock: killed; the daemon records it at its next start
        if not row["enabled"]:
            upcoming = "disabled"
        elif row["next_run"] is None:
            upcoming = "never"
        elif row["next_run_trigger"] == "catch-up":
            upcoming = "due now (catch-up)"
        else:
            upcoming = _local(row["next_run"], zone)
        table.append([row["source"], row["schedule"], _local(last["started_at"], zone) if last else "never",
                      outcome, upcoming, str(row["consecutive_failures"]), str(row["new_24h"]),
                      row["flag"] or ""])  # fmt: skip
        if last and last["error"] and last["status"] != "ok":
            notes[len(table) - 1] = f"    {last['status']}: {last['error']}"
    click.echo(_table(table, notes))
    click.echo(f"(times in {config.daemon.timezone})")


@main.command()
@config_option
@click.option("--source", metavar="NAME", help="Only the runs of this source.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Show at most N runs."
)
@json_option
def runs(config_path: Path, source: str | None, limit: int, as_json: bool) -> None:
    """The crawl run history, newest first (scheduled, catch-up and manual runs)."""
    config = open_config(config_path)
    from crawler.status import run_history

    with _index_errors(config):
        history = run_history(config, source, limit)
    if as_json:
        click.echo(json.dumps(history, indent=2, ensure_ascii=False))
        return
    if not history:
        click.echo(f"No runs of {source!r} recorded yet." if source else "No runs recorded yet.")
        return
    zone = ZoneInfo(config.daemon.timezone)
    table = [["ID", "SOURCE", "TRIGGER", "STARTED", "SECONDS", "STATUS", "DISCOVERED", "FETCHED", "NEW",
              "UNCHANGED", "SKIPPED", "FAILED"]]  # fmt: skip
    notes: dict[int, str] = {}
    for run in history:
        seconds = "" if run["seconds"] is None else f"{run['seconds']:.1f}"
        counts = [
            str(run["counts"][k]) for k in ("discovered", "fetched", "new", "unchanged", "skipped", "failed")
        ]
        table.append([str(run["id"]), run["source"], run["trigger"], _local(run["started_at"], zone), seconds,
                      run["status"], *counts])  # fmt: skip
        if run["error"]:
            notes[len(table) - 1] = f"    error: {run['error']}"
    click.echo(_table(table, notes))
    click.echo(f"(times in {config.daemon.timezone})")


class _index_errors:
    """Turn a database problem into the CLI's one-line error."""

    def __init__(self, config: Config):
        self.config = config

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, _tb: Any) -> None:
        if isinstance(exc, SQLAlchemyError):
            fail(f"cannot use the index {_safe_url(self.config.archive.database or '')}: {_first_line(exc)}")


def _local(iso: str, zone: ZoneInfo) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(zone):%Y-%m-%d %H:%M:%S}"


def _table(rows: list[list[str]], notes: dict[int, str]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n in notes:
            lines.append(notes[n])
    return "\n".join(lines)
