"""The extraction worker processes: how they start and what they run. Kept apart from the rest of
the crawler so that a worker imports only the pipeline (the crawl's Scrapy, SQLAlchemy and CLI
stay in the crawl process)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from importlib.machinery import ModuleSpec
from multiprocessing.context import SpawnContext, SpawnProcess

from pipeline import Article, Page, process

try:
    _malloc_trim = ctypes.CDLL(None).malloc_trim  # glibc
except (OSError, AttributeError):  # another C library: nothing to hand back
    _malloc_trim = None


def _die_with_parent() -> None:
    """A worker must not outlive its crawl: when the crawl process is killed (SIGKILL, the OOM
    killer), Linux sends the worker SIGKILL too (prctl PR_SET_PDEATHSIG), instead of leaving it
    orphaned, holding its memory. Elsewhere nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the crawl died before the request took effect
        os._exit(1)


def warm_up() -> None:
    """Each worker's start."""
    _die_with_parent()
    # Ctrl-C reaches the whole process group: the crawl process decides when to stop, and the
    # workers finish the pages they have.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import pipeline.extract  # noqa: F401  (pay trafilatura's import once per worker, at start)


def extract(page: Page) -> Article:
    """Runs in a worker. Afterwards the heap the page's parse trees took is handed back to the
    system: glibc keeps freed memory otherwise, and every worker would stay at the size the largest
    page it ever met made it."""
    try:
        return process(page)
    finally:
        if _malloc_trim is not None:
            _malloc_trim(0)


class _WorkerProcess(SpawnProcess):
    """A worker that does not first re-run the crawl's main script, as spawned children do when that
    script was started by path: ``newsarchive`` imports the whole CLI (~55 MB and ~1 s of CPU per
    worker), and a worker needs none of it. Python skips that step for a main module that is some
    package's ``__main__``, which is what the child is told while it is started."""

    def start(self) -> None:
        main = sys.modules.get("__main__")
        if main is None or getattr(main, "__spec__", None) is not None or not hasattr(main, "__file__"):
            return super().start()
        main.__spec__ = ModuleSpec("newsarchive.__main__", None)
        try:
            super().start()
        finally:
            main.__spec__ = None


class WorkerContext(SpawnContext):
    """``multiprocessing``'s spawn start method, with workers that skip the main script."""

    Process = _WorkerProcess
