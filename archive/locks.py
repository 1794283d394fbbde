"""Per-source crawl locks in the index database, so that no source is crawled by two processes at
once, whichever machine or command started them (the daemon's children, a manual ``crawl``).

A lock is a row of ``source_locks``: acquiring it is an atomic INSERT (the source is the primary
key), which works the same on SQLite and PostgreSQL. A holder refreshes ``heartbeat_at`` while it
crawls and deletes the row when done. A row left behind by a process that died is *stale* and is
taken over with a compare-and-swap UPDATE: stale when its owner ran on this host and that pid is
gone, or when its heartbeat is older than ``stale_after`` (the only test possible for another host).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from archive.models import SourceLock

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 30.0  # seconds between heartbeats of a lock holder
STALE_AFTER = 300.0  # seconds without a heartbeat after which a lock is taken over (10 missed beats)

_table = SourceLock.__table__


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


@dataclass(frozen=True)
class LockHolder:
    source: str
    owner: str  # host:pid
    acquired_at: datetime
    heartbeat_at: datetime

    @property
    def host(self) -> str:
        return self.owner.rpartition(":")[0]

    @property
    def pid(self) -> int | None:
        text = self.owner.rpartition(":")[2]
        return int(text) if text.isdecimal() else None

    def is_stale(self, now: datetime, stale_after: float = STALE_AFTER) -> bool:
        if self.host == socket.gethostname() and self.pid is not None and not pid_alive(self.pid):
            return True
        return now - self.heartbeat_at > timedelta(seconds=stale_after)


class LockHeld(Exception):
    """The source is being crawled by another live process."""

    def __init__(self, holder: LockHolder):
        self.holder = holder
        super().__init__(
            f"already running (owner {holder.owner} since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC)"
        )


class SourceLocks:
    """The locks this process (``owner``) takes, refreshes and releases."""

    def __init__(self, engine: Engine, *, owner: str | None = None, stale_after: float = STALE_AFTER):
        self.engine = engine
        self.owner = owner or this_owner()
        self.stale_after = stale_after

    def acquire(self, source: str) -> None:
        """Take the lock of ``source`` or raise LockHeld; a stale lock is taken over."""
        for _ in range(5):  # each pass loses a race to another process at most once
            now = datetime.now(UTC)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(_table).values(
                            source=source, owner=self.owner, acquired_at=now, heartbeat_at=now
                        )
                    )
                return
            except IntegrityError:
                pass
            holder = self.holder(source)
            if holder is None:  # released in the meantime
                continue
            if holder.owner == self.owner or not holder.is_stale(now, self.stale_after):
                raise LockHeld(holder)
            with self.engine.begin() as conn:
                taken = conn.execute(
                    update(_table)
                    .where(
                        _table.c.source == source,
                        _table.c.owner == holder.owner,
                        _table.c.heartbeat_at == holder.heartbeat_at,
                    )
                    .values(owner=self.owner, acquired_at=now, heartbeat_at=now)
                ).rowcount
            if taken == 1:
                log.warning(
                    "%s: took over the stale lock of %s (last heartbeat %s UTC)",
                    source,
                    holder.owner,
                    f"{holder.heartbeat_at:%Y-%m-%d %H:%M:%S}",
                )
                return
        holder = self.holder(source)
        if holder is None:
            raise RuntimeError(f"{source}: could not take its lock (the lock table keeps changing)")
        raise LockHeld(holder)

    def heartbeat(self, *sources: str) -> list[str]:
        """Refresh the locks of ``sources``; returns those no longer ours (taken over as stale)."""
        lost = []
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for source in sources:
                done = conn.execute(
                    update(_table)
                    .where(_table.c.source == source, _table.c.owner == self.owner)
                    .values(heartbeat_at=now)
                ).rowcount
                if done != 1:
                    lost.append(source)
        return lost

    def release(self, *sources: str) -> None:
        """Give up the locks of ``sources`` (only those this owner holds)."""
        with self.engine.begin() as conn:
            for source in sources:
                conn.execute(delete(_table).where(_table.c.source == source, _table.c.owner == self.owner))

    def holder(self, source: str) -> LockHolder | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_table).where(_table.c.source == source)).one_or_none()
        return None if row is None else _holder(row)

    def active_holder(self, source: str) -> LockHolder | None:
        """The holder of ``source``'s lock unless there is none or it is stale."""
        holder = self.holder(source)
        if holder is None or holder.is_stale(datetime.now(UTC), self.stale_after):
            return None
        return holder

    def holders(self) -> list[LockHolder]:
        with self.engine.connect() as conn:
            return [_holder(row) for row in conn.execute(select(_table).order_by(_table.c.source))]


def _holder(row) -> LockHolder:
    return LockHolder(row.source, row.owner, row.acquired_at, row.heartbeat_at)
