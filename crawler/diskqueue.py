"""Scrapy's scheduler with its queue of pending requests spilling to disk, for the length of one run.

A sitemap can list tens of thousands of articles; waiting in memory, their requests would make the
crawl process grow with the size of the site. The first MEMORY_REQUESTS pending requests wait in
memory; beyond those, in Scrapy's own disk queues (those ``JOBDIR`` gives), in
``<archive>/.crawl-queue/<source>/``: emptied when the source's crawl starts (its lock is held by
then) and removed when it ends. A run never resumes another's queue: what a killed run had not
fetched, the next run's discovery finds again, as before.

Why not every request on disk: a disk queue that runs empty is closed and its folder removed, and
the next request creates them again; when the downloads keep up with discovery (revisits answered
304, a small feed) that is several file-system operations per request, which cost more than the
request itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.misc import build_from_crawler, load_object

MEMORY_REQUESTS = 1000


class RunDiskScheduler(Scheduler):
    folder: Path | None = None

    def _dqpush(self, request: Any) -> bool:
        if len(self.mqs) < MEMORY_REQUESTS:
            return False  # into the memory queue
        return super()._dqpush(request)

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
