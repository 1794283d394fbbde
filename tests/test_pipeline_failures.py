"""An article whose extraction fails is not lost for good: the feeds and sitemaps that listed it are
read in full on the next run (instead of answering 304), so it is tried again."""

from __future__ import annotations

import asyncio
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from scrapy.exceptions import DropItem

from crawler.items import PageItem
from crawler.pipelines import ArchivePipeline
from pipeline.page import Page

FEED = "http://127.0.0.1:9/feed.xml"


class FailingRuntime:
    def __init__(self, error: Exception):
        self.error = error
        self.restarted = False

    async def extract(self, page: Page) -> None:
        raise self.error

    def restart_workers(self) -> None:
        self.restarted = True


def _spider(runtime: FailingRuntime) -> SimpleNamespace:
    counted: list[str] = []
    retried: list[str] = []
    return SimpleNamespace(
        name="s", runtime=runtime, fatal_error=None, counted=counted, retried=retried,
        _count=lambda key, url=None: counted.append(key), retry_next_run=retried.extend,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("error", "reason"),
    [(ValueError("boom"), "failed/extract_error"), (BrokenProcessPool("died"), "failed/extractor_crashed")],
)
def test_a_failed_extraction_has_its_feed_read_again_next_run(error: Exception, reason: str) -> None:
    runtime = FailingRuntime(error)
    spider = _spider(runtime)
    page = Page(
        url="http://127.0.0.1:9/a", requested_url="http://127.0.0.1:9/a", body=b"<html></html>",
        content_type="text/html", source="s", timezone="UTC", lang=None, fetched=datetime.now(UTC),
    )  # fmt: skip
    with pytest.raises(DropItem):
        asyncio.run(ArchivePipeline(SimpleNamespace(spider=spider)).process_item(PageItem(page, seeds=[FEED])))
    assert spider.counted == [reason]
    assert spider.retried == [FEED]
    assert runtime.restarted == isinstance(error, BrokenProcessPool)
