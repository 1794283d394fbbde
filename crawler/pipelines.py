"""Scrapy item pipeline: thin glue that sends each fetched page to an extraction worker (off the
reactor) and keeps the resulting article in the archive."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.store import StoreError
from crawler.items import PageItem
from pipeline import SkipPage, process

log = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    async def process_item(self, item: PageItem) -> PageItem:
        spider: Any = self.crawler.spider
        runtime = spider.runtime
        page = item.page
        loop = asyncio.get_running_loop()
        try:
            article = await loop.run_in_executor(runtime.executor, process, page)
        except SkipPage as skip:
            self._count(f"skipped/{skip.reason}")
            raise DropItem(f"{page.url}: {skip}") from None
        except BrokenProcessPool:
            self._count("failed/extractor_crashed")
            raise DropItem(f"{page.url}: the extraction worker crashed") from None
        except Exception as exc:  # a page must never stop the crawl; the reason is counted
            self._count("failed/extract_error")
            log.warning(
                "%s: extraction failed for %s: %s: %s", spider.name, page.url, type(exc).__name__, exc
            )
            raise DropItem(f"{page.url}: extraction failed") from None
        try:
            saved = runtime.archiver.save(article)
        except StoreError as exc:
            self._count("failed/store")
            log.error("%s: %s", spider.name, exc)
            # The disk is full or read-only: every further page would fail the same way.
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="store_error"))
            raise DropItem(str(exc)) from None
        if saved.status == "duplicate":
            self._count("unchanged")
            self._count("skipped/duplicate_url")
            raise DropItem(f"{page.url}: already archived as {saved.path}")
        self._count("new")
        log.info("%s: archived %s", spider.name, saved.path)
        return item

    def _count(self, key: str) -> None:
        self.stats.inc_value(f"newsarchive/{key}")
