"""What every source's crawl in one process shares: the archive (files + index), the pool of
extraction workers and the thread that writes to the archive. Created by ``run``, handed to spiders
and the item pipeline."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from archive.archiver import Archiver, Saved
from archive.article import Article
from archive.fetchstate import FetchInfo
from archive.provenance import Provenance, RawResponse
from archive.provenance import save as save_with_response
from crawler.workers import WorkerContext, extract, warm_up
from pipeline import Page


@dataclass
class CrawlRuntime:
    archiver: Archiver
    workers: int | None = None  # None: one per core; 0: a thread in this process
    provenance: Provenance | None = None  # where article responses are kept (None: not kept)
    _executor: Executor | None = field(default=None, init=False, repr=False)
    _writer: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

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

    async def save(
        self, article: Article, fetch: FetchInfo | None = None, raw: RawResponse | None = None
    ) -> Saved:
        """Archive the article in the archive's own thread: writing the file (with its fsync) and
        the index rows takes milliseconds the reactor spends downloading and feeding the workers
        instead. One thread keeps the writes in the order they come, one at a time, as before."""
        if self._in_memory_index():  # each thread would see its own empty in-memory database
            return self._keep(article, fetch, raw)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive")
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._keep, article, fetch, raw)

    def _keep(self, article: Article, fetch: FetchInfo | None, raw: RawResponse | None) -> Saved:
        """In the archive's thread: the response's WARC record (when kept) before the file and rows."""
        if raw is None or self.provenance is None:
            return self.archiver.save(article, fetch)
        return save_with_response(self.archiver, self.provenance, article, fetch, raw)

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
            self._writer.shutdown(wait=True)  # what was handed to it is written
            self._writer = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self.provenance is not None:
            self.provenance.close()
        self.archiver.close()
