"""Scrapy item pipeline: thin glue that sends each fetched page to an extraction worker (off the
reactor) and hands the resulting article to the archive's thread (also off the reactor), which
keeps articles in batches: a page's item is done once its article is handed over, and its outcome
(archived, duplicate, revision, or a disk or index error that stops the source) is counted when its
batch has committed."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from archive.archiver import Saved, first_line
from archive.store import StoreError
from crawler.items import PageItem
from pipeline import SkipPage

log = logging.getLogger(__name__)

MAX_UNSAVED = 200  # articles handed to the archive's thread and not yet committed, before waiting for it


class ArchivePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._unsaved: set[asyncio.Future[Saved]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    async def process_item(self, item: PageItem) -> PageItem:
        spider: Any = self.crawler.spider
        runtime = spider.runtime
        page = item.page
        try:
            article = await runtime.extract(page)
        except SkipPage as skip:
            self._count(f"skipped/{skip.reason}", page.url)
            raise DropItem(f"{page.url}: {skip}") from None
        except BrokenProcessPool:
            runtime.restart_workers()  # the pool is unusable once a worker died; the next page gets a new one
            spider.retry_next_run(item.seeds)
            self._count("failed/extractor_crashed", page.url)
            raise DropItem(f"{page.url}: the extraction worker crashed") from None
        except Exception as exc:  # a page must never stop the crawl; the reason is counted
            spider.retry_next_run(item.seeds)
            self._count("failed/extract_error", page.url)
            log.warning(
                "%s: extraction failed for %s: %s: %s", spider.name, page.url, type(exc).__name__, exc
            )
            raise DropItem(f"{page.url}: extraction failed") from None
        if spider.fatal_error is not None:  # the archive cannot be written: nothing more is tried
            raise DropItem(spider.fatal_error)
        saved = asyncio.wrap_future(runtime.save(article, item.fetch, item.raw))
        item.raw = None  # the archive's thread has the bytes now (kept or not needed)
        self._unsaved.add(saved)
        saved.add_done_callback(partial(self._settled, page.url, item.seeds))
        if len(self._unsaved) > MAX_UNSAVED:  # the disk or the index is slower than the crawl
            await asyncio.wait(self._unsaved, return_when=asyncio.FIRST_COMPLETED)
        return item

    async def close_spider(self) -> None:
        """The source's crawl ends: its articles waiting for their batch are committed and counted."""
        if self._unsaved:
            self.crawler.spider.runtime.flush()  # type: ignore[union-attr]
            await asyncio.wait(set(self._unsaved))

    def _settled(self, url: str, seeds: list[str], future: asyncio.Future[Saved]) -> None:
        """An article's batch has committed (or failed): count what became of it."""
        self._unsaved.discard(future)
        spider: Any = self.crawler.spider
        try:
            saved = future.result()
        except (StoreError, SQLAlchemyError) as exc:
            # The disk is full or read-only, or the index is gone: every further page would fail
            # the same way, so this source stops here; what is archived stays consistent.
            problem = (
                str(exc) if isinstance(exc, StoreError) else f"cannot write to the index: {first_line(exc)}"
            )
            self._count("failed/store" if isinstance(exc, StoreError) else "failed/index", url)
            log.error("%s: %s", spider.name, problem)
            if spider.fatal_error is None:
                spider.fatal_error = problem
                asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="archive_error"))
            return
        except Exception as exc:
            spider.retry_next_run(seeds)  # its feeds are read in full next run, so it is tried again
            self._count("failed/archive_error", url)
            log.error("%s: cannot archive %s: %s: %s", spider.name, url, type(exc).__name__, exc)
            return
        if saved.status in ("revised", "unchanged"):  # a revisit (see crawler/revisit.py)
            self._count(f"revisit/{saved.status}", url if saved.status == "revised" else None)
            if saved.status == "revised":
                log.info("%s: new revision of %s", spider.name, saved.path)
        elif saved.status == "duplicate":
            self._count("unchanged")
            self._count("skipped/duplicate_url", url)
            log.info("%s: %s is already archived as %s", spider.name, url, saved.path)
        elif saved.status == "syndicated":  # another source's copy of an archived text (archive/duplicates.py)
            linked = spider.runtime.archiver.duplicates.mode == "link"
            if linked:
                self._count("unchanged")
            self._count("syndicated/linked" if linked else "skipped/syndicated", url)
            log.info("%s: %s is a copy of %s (%s)", spider.name, url, saved.copy_of, saved.path)
        else:
            if saved.copy_of:
                self._count("syndicated/kept", url)
            self._count("new")
            log.info("%s: archived %s", spider.name, saved.path)

    def _count(self, key: str, url: str | None = None) -> None:
        self.crawler.spider._count(key, url=url)  # type: ignore[union-attr]
