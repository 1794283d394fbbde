"""Scrapy item pipeline: thin glue that sends each fetched page to an extraction worker (off the
reactor) and keeps the resulting article in the archive (in the archive's thread, also off the
reactor)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from archive.archiver import Saved
from archive.article import Article
from archive.fetchstate import FetchInfo
from archive.provenance import RawResponse
from archive.store import StoreError
from crawler.items import PageItem
from crawler.runtime import CrawlRuntime
from pipeline import SkipPage

log = logging.getLogger(__name__)

INDEX_RETRY_PAUSES = (1, 4, 15)  # seconds between attempts when the database is locked or down


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class ArchivePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

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
            self._count("failed/extractor_crashed", page.url)
            raise DropItem(f"{page.url}: the extraction worker crashed") from None
        except Exception as exc:  # a page must never stop the crawl; the reason is counted
            self._count("failed/extract_error", page.url)
            log.warning(
                "%s: extraction failed for %s: %s: %s", spider.name, page.url, type(exc).__name__, exc
            )
            raise DropItem(f"{page.url}: extraction failed") from None
        try:
            saved = await self._save(runtime, article, item.fetch, item.raw)
        except (StoreError, SQLAlchemyError) as exc:
            # The disk is full or read-only, or the index is gone: every further page would fail
            # the same way, so this source stops here; what is archived stays consistent.
            problem = (
                str(exc) if isinstance(exc, StoreError) else f"cannot write to the index: {_first_line(exc)}"
            )
            self._count("failed/store" if isinstance(exc, StoreError) else "failed/index", page.url)
            log.error("%s: %s", spider.name, problem)
            if spider.fatal_error is None:
                spider.fatal_error = problem
                asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="archive_error"))
            raise DropItem(problem) from None
        finally:
            item.raw = None  # kept (or not needed): no need to hold the bytes any longer
        if saved.status in ("revised", "unchanged"):  # a revisit (see crawler/revisit.py)
            self._count(f"revisit/{saved.status}", page.url if saved.status == "revised" else None)
            if saved.status == "unchanged":
                raise DropItem(f"{page.url}: unchanged since {saved.path}")
            log.info("%s: new revision of %s", spider.name, saved.path)
            return item
        if saved.status == "duplicate":
            self._count("unchanged")
            self._count("skipped/duplicate_url", page.url)
            raise DropItem(f"{page.url}: already archived as {saved.path}")
        if saved.status == "syndicated":  # another source's copy of an archived text (archive/duplicates.py)
            linked = runtime.archiver.duplicates.mode == "link"
            if linked:
                self._count("unchanged")
            self._count("syndicated/linked" if linked else "skipped/syndicated", page.url)
            raise DropItem(f"{page.url}: a copy of {saved.copy_of} ({saved.path})")
        if saved.copy_of:
            self._count("syndicated/kept", page.url)
        self._count("new")
        log.info("%s: archived %s", spider.name, saved.path)
        return item

    async def _save(
        self, runtime: CrawlRuntime, article: Article, fetch: FetchInfo | None = None,
        raw: RawResponse | None = None,
    ) -> Saved:  # fmt: skip
        """Archive the article, waiting out a locked or briefly unreachable database."""
        for pause in INDEX_RETRY_PAUSES:
            try:
                return await runtime.save(article, fetch, raw)
            except (OperationalError, InterfaceError) as exc:
                log.warning("the index is unavailable (%s); retrying in %s s", _first_line(exc), pause)
                await asyncio.sleep(pause)
        return await runtime.save(article, fetch, raw)

    def _count(self, key: str, url: str | None = None) -> None:
        self.crawler.spider._count(key, url=url)  # type: ignore[union-attr]
