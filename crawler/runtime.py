"""What every source's crawl in one process shares: the archive (files + index), the pool of
extraction workers and the thread that writes to the archive. Created by ``run``, handed to spiders
and the item pipeline."""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from archive.archiver import Archiver, Saved
from archive.article import Article
from archive.fetchstate import FetchInfo
from archive.provenance import RawResponse
from crawler.workers import WorkerContext, extract, warm_up
from pipeline import Page

log = logging.getLogger(__name__)

BATCH_SIZE = 50  # articles (and revisit checks) per index transaction, at most ...
BATCH_SECONDS = 1.0  # ... and the longest an article waits for its batch


_Entry = tuple[Article, FetchInfo | None, RawResponse | None, "Future[Saved]"]


class _Flush:
    """Marks a point in the writer's queue: commit what came before it now."""

    def __init__(self, stop: bool = False):
        self.stop = stop
        self.done: Future[None] = Future()


class ArchiveWriter:
    """The archive's own thread. Articles (and revisits answered 304) are kept in batches of up to
    BATCH_SIZE, or what came in BATCH_SECONDS: one transaction per batch instead of several per
    article, the files' folders fsynced once per batch (see ``Archiver.save_batch``). The reactor
    never waits for it: each article's outcome arrives in a future."""

    def __init__(self, archiver: Archiver, size: int = BATCH_SIZE, seconds: float = BATCH_SECONDS):
        self.archiver, self.size, self.seconds = archiver, size, seconds
        self._queue: queue.SimpleQueue[_Entry | int | _Flush] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="archive", daemon=True)
        self._thread.start()

    def save(
        self, article: Article, fetch: FetchInfo | None = None, raw: RawResponse | None = None
    ) -> Future[Saved]:
        future: Future[Saved] = Future()
        self._queue.put((article, fetch, raw, future))
        return future

    def seen(self, article_id: int) -> None:
        """A revisit answered 304: the article is unchanged, seen now (committed with the next batch)."""
        self._queue.put(article_id)

    def flush(self) -> Future[None]:
        """Commit what is waiting now; the future is done when it is."""
        marker = _Flush()
        self._queue.put(marker)
        return marker.done

    def close(self) -> None:
        """Commit what is waiting and end the thread."""
        marker = _Flush(stop=True)
        self._queue.put(marker)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch, seen, marker = [], [], None
            deadline = time.monotonic() + self.seconds
            entry: object = first
            while True:
                if isinstance(entry, _Flush):
                    marker = entry
                    break
                if isinstance(entry, int):
                    seen.append(entry)
                else:
                    batch.append(entry)
                if len(batch) + len(seen) >= self.size:
                    break
                try:
                    entry = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    break
            if batch or seen:
                self._write(batch, seen)
            if marker is not None:
                marker.done.set_result(None)
                if marker.stop:
                    return

    def _write(self, batch: list[_Entry], seen: list[int]) -> None:
        try:
            results = self.archiver.save_batch(
                [(article, fetch) for article, fetch, _, _ in batch], seen, [raw for _, _, raw, _ in batch]
            )
        except Exception as exc:  # the index could not be written: every article of the batch failed
            if not batch:
                log.warning("cannot record %d revisits answered 304: %s", len(seen), exc)
            for *_, future in batch:
                future.set_exception(exc)
            return
        for (*_, future), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


@dataclass
class CrawlRuntime:
    archiver: Archiver
    workers: int | None = None  # None: one per core; 0: a thread in this process
    _executor: Executor | None = field(default=None, init=False, repr=False)
    _writer: ArchiveWriter | None = field(default=None, init=False, repr=False)

    @property
    def executor(self) -> Executor:
        """Started on first use, so a run that finds nothing new starts no worker."""
        if self._executor is None:
            if self.workers == 0:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
            else:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers or os.cpu_count() or 1,
                    mp_context=WorkerContext(),
                    initializer=warm_up,
                )
        return self._executor

    async def extract(self, page: Page) -> Article:
        """The page's article, from a worker; the reactor goes on meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, extract, page)

    @property
    def writer(self) -> ArchiveWriter:
        if self._writer is None:
            self._writer = ArchiveWriter(self.archiver)
        return self._writer

    def save(
        self, article: Article, fetch: FetchInfo | None = None, raw: RawResponse | None = None
    ) -> Future[Saved]:
        """Hand the article (and the response it came from, for provenance) to the archive's thread;
        the future says how it was kept (or why not: StoreError, SQLAlchemyError)."""
        if self._in_memory_index():  # each thread would see its own empty in-memory database
            return _done(self.archiver.save, article, fetch, raw)
        return self.writer.save(article, fetch, raw)

    def not_modified(self, article_id: int) -> None:
        """A revisit answered 304 (recorded with the next batch)."""
        if self._in_memory_index():
            self.archiver.states.not_modified(article_id)
        else:
            self.writer.seen(article_id)

    def flush(self) -> Future[None]:
        """Commit the articles waiting for their batch now."""
        if self._writer is None:
            return _done(lambda: None)
        return self._writer.flush()

    def _in_memory_index(self) -> bool:
        url = self.archiver.index.engine.url
        return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")

    def restart_workers(self) -> None:
        """Replace a pool broken by a crashed worker (a page that killed its extractor)."""
        broken, self._executor = self._executor, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()  # what was handed to it is written
            self._writer = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self.archiver.close()


def _done(call: Callable[..., object], *args: object) -> Future:
    future: Future = Future()
    try:
        future.set_result(call(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future
