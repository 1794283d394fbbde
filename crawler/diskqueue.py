"""Scrapy's scheduler with its queue of pending requests on disk, for the length of one run.

A sitemap can list tens of thousands of articles; waiting in memory, their requests would make the
crawl process grow with the size of the site. These are Scrapy's own disk queues (those ``JOBDIR``
gives), in ``<archive>/.crawl-queue/<source>/``: emptied when the source's crawl starts (its lock is
held by then) and removed when it ends. A run never resumes another's queue: what a killed run had
not fetched, the next run's discovery finds again, as before.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.misc import build_from_crawler, load_object


class RunDiskScheduler(Scheduler):
    folder: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunDiskScheduler:
        settings = crawler.settings
        base = settings.get("NEWSARCHIVE_QUEUE_DIR")
        folder = Path(base, crawler.spider.name) if base and crawler.spider else None  # else in memory
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)  # left by a run that was killed
        scheduler = cls(
            dupefilter=build_from_crawler(load_object(settings["DUPEFILTER_CLASS"]), crawler),
            jobdir=str(folder) if folder else None,
            dqclass=load_object(settings["SCHEDULER_DISK_QUEUE"]),
            mqclass=load_object(settings["SCHEDULER_MEMORY_QUEUE"]),
            logunser=settings.getbool("SCHEDULER_DEBUG"),
            stats=crawler.stats,
            pqclass=load_object(settings["SCHEDULER_PRIORITY_QUEUE"]),
            crawler=crawler,
        )
        scheduler.folder = folder
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
