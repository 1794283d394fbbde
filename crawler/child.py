"""One scheduled crawl in its own process: ``python -m crawler.cli crawl --source NAME``, watched
against the run timeout and stopped cleanly (SIGTERM, then SIGKILL after the grace period).

Children read a snapshot of the configuration the daemon accepted (not config.yaml itself), so an
edited or broken config.yaml changes nothing until a reload accepts it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from crawler.config import Config

POLL = 0.2  # seconds between checks of a running child
STDERR_TAIL = 4000  # characters of a child's stderr kept for the log and the run's error text


def write_snapshot(config: Config, target: Path) -> Path:
    """Write ``config`` (paths already absolute) as YAML that loads back to the same config.

    A database URL given as ``${VAR}`` in config.yaml stays ``${VAR}``: children inherit the
    environment, and no password is written to disk.
    """
    data = config.model_dump(mode="json", exclude={"path"})
    raw = _raw_database(config.path)
    if raw is not None and re.fullmatch(r"\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*", raw):
        data["archive"]["database"] = raw.strip()
    text = f"# Snapshot of {config.path} written by `newsarchive daemon`; edit that file instead.\n"
    text += yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, target)
    return target


def _raw_database(path: Path) -> str | None:
    """``archive.database`` as written in the config file (None if absent or unreadable)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    archive = data.get("archive") if isinstance(data, dict) else None
    value = archive.get("database") if isinstance(archive, dict) else None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ChildExit:
    returncode: int
    stop_reason: str | None  # None, "timed_out" or "shutdown": why the daemon stopped it
    killed: bool  # the daemon had to SIGKILL it
    stderr: str  # the end of its stderr
    seconds: float

    def describe(self, run_timeout: float) -> str:
        """What happened to the process, as a run's error text."""
        if self.stop_reason == "timed_out":
            how = " (killed after the grace period)" if self.killed else ""
            return f"stopped after the run timeout of {_duration(run_timeout)}{how}"
        if self.stop_reason == "shutdown":
            return "stopped: the daemon shut down" + (" (killed before it finished)" if self.killed else "")
        if self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = f"signal {-self.returncode}"
            text = f"the crawl process was killed by {name}"
        else:
            text = f"the crawl process exited with code {self.returncode}"
        last = self.last_line()
        return f"{text}: {last}" if last else text

    def last_line(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1].removeprefix("error: ") if lines else ""


class ChildCrawl:
    def __init__(self, source: str, trigger: str, config_file: Path):
        self.source, self.trigger = source, trigger
        self.args = [
            sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config_file),
            "--source", source, "--trigger", trigger, "--quiet",
        ]  # fmt: skip
        self.proc: subprocess.Popen | None = None
        self.started_at = datetime.now(UTC)
        self._stop_reason: str | None = None
        self._kill_at: float | None = None
        self._killed = False
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        assert self.proc is not None, "start() first"
        return self.proc.pid

    def start(self) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+b")  # a file, not a pipe: never blocks the child
        self.started_at = datetime.now(UTC)
        self._started = time.monotonic()
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the daemon only, which forwards it once
        )  # fmt: skip

    def stop(self, reason: str, grace: float) -> None:
        """Ask the crawl to finish its in-flight pages and stop (SIGTERM); SIGKILL after ``grace``."""
        with self._lock:
            if self._stop_reason is not None or self.proc is None:
                return
            self._stop_reason, self._kill_at = reason, time.monotonic() + grace
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Stop now: SIGKILL the crawl and anything it started (its extraction workers)."""
        with self._lock:
            if self.proc is None or self.proc.poll() is not None:
                return
            self._killed = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def wait(self, run_timeout: float, grace: float) -> ChildExit:
        """Wait for the crawl to end, stopping it after ``run_timeout`` seconds."""
        assert self.proc is not None, "start() first"
        deadline = self._started + run_timeout
        while True:
            try:
                returncode = self.proc.wait(timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now >= deadline:
                self.stop("timed_out", grace)
            if self._kill_at is not None and now >= self._kill_at:
                self.kill()
        if returncode < 0:  # leftovers of a killed crawl (extraction workers) must not linger
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - STDERR_TAIL))
        stderr = self._stderr.read().decode("utf-8", "replace")
        self._stderr.close()
        seconds = time.monotonic() - self._started
        return ChildExit(returncode, self._stop_reason, self._killed, stderr, seconds)


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
