"""What every source's crawl in one process shares: the archive (files + index) and the pool of
extraction workers. Created by ``run``, handed to spiders and the item pipeline."""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from archive.archiver import Archiver


def _warm_up() -> None:
    # Ctrl-C reaches the whole process group: the crawl process decides when to stop, and the
    # workers finish the pages they have.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import pipeline.extract  # noqa: F401  (pay trafilatura's import once per worker, at start)


@dataclass
class CrawlRuntime:
    archiver: Archiver
    workers: int | None = None  # None: one per core; 0: a thread in this process
    _executor: Executor | None = field(default=None, init=False, repr=False)

    @property
    def executor(self) -> Executor:
        """Started on first use, so a run that finds nothing new starts no worker."""
        if self._executor is None:
            if self.workers == 0:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
            else:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers or os.cpu_count() or 1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_warm_up,
                )
        return self._executor

    def restart_workers(self) -> None:
        """Replace a pool broken by a crashed worker (a page that killed its extractor)."""
        broken, self._executor = self._executor, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self.archiver.close()
