"""One crawl run in this process: every selected source as its own Scrapy crawler, sharing the
archive and the extraction workers; each source's run recorded in the index."""

from __future__ import annotations

import logging
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from scrapy.crawler import Crawler, CrawlerProcess
from twisted.internet import task

from archive.archiver import Archiver
from archive.locks import HEARTBEAT_INTERVAL, LockHeld, SourceLocks, pid_alive
from archive.provenance import Provenance
from archive.runs import RunLog
from crawler.config import Config
from crawler.runtime import CrawlRuntime
from crawler.settings import scrapy_settings
from crawler.spiders import NewsSpider

log = logging.getLogger(__name__)

COUNTS = ("discovered", "fetched", "new", "unchanged", "skipped", "failed")


@dataclass
class SourceResult:
    source: str
    status: str = "running"  # ok, failed, interrupted, skipped (another process is crawling it)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    reasons: dict[str, int] = field(default_factory=dict)  # "skipped/not_article" -> 3, ...
    error: str | None = None
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> a few of its URLs


def source_result(name: str, crawler: Crawler) -> SourceResult:
    """Counts and outcome of one source's crawl, from its Scrapy stats."""
    stats = {k.removeprefix("newsarchive/"): v for k, v in crawler.stats.get_stats().items()
             if k.startswith("newsarchive/")}  # fmt: skip
    result = SourceResult(name)
    for key in ("discovered", "fetched", "new", "unchanged"):
        result.counts[key] = int(stats.get(key, 0))
    result.reasons = {k: int(v) for k, v in sorted(stats.items()) if "/" in k}
    if stats.get("capped"):
        result.reasons["skipped/capped"] = int(stats["capped"])
    result.counts["skipped"] = sum(
        v for k, v in result.reasons.items() if k.startswith("skipped/") and k != "skipped/duplicate_url"
    )  # fmt: skip  (counted as unchanged)
    result.counts["failed"] = sum(v for k, v in result.reasons.items() if k.startswith("failed/"))
    spider = crawler.spider
    result.examples = {k: list(v) for k, v in sorted(getattr(spider, "examples", {}).items())}
    if "capped" in result.examples:
        result.examples["skipped/capped"] = result.examples.pop("capped")
    if not isinstance(spider, NewsSpider):
        result.status, result.error = "failed", "the crawl did not start"
    elif spider.fatal_error:
        result.status, result.error = "failed", spider.fatal_error
    elif spider.close_reason not in (None, "finished"):
        result.status, result.error = "interrupted", f"stopped: {spider.close_reason}"
    elif spider.seeds_ok == 0 and spider.seeds_failed > 0:
        failures = ", ".join(f"{k.removeprefix('seed_failed/')}×{v}" for k, v in result.reasons.items()
                             if k.startswith("seed_failed/"))  # fmt: skip
        result.status, result.error = "failed", f"no feed, sitemap or section page could be read ({failures})"
    else:
        result.status = "ok"
    return result


def run_crawl(
    config: Config,
    names: list[str] | None = None,
    *,
    limit: int | None = None,
    trigger: str = "manual",
    progress: Callable[[list[SourceResult]], None] | None = None,
) -> list[SourceResult]:
    """Crawl the sources (all enabled ones by default), each under its lock in the index: a source
    another process is crawling is not crawled but recorded as ``skipped``."""
    sources = [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    layout = config.archive.front_matter.layout()
    archiver = Archiver.open(config.archive.dir, config.archive.database, layout, config.crawl.syndicated)
    locks = SourceLocks(archiver.index.engine)
    for run in RunLog(archiver.index.engine).close_abandoned(socket.gethostname(), pid_alive):
        log.warning("%s: run %s of a crawl that was killed is recorded as failed", run.source, run.id)
    provenance = Provenance(config.archive.dir) if config.crawl.provenance == "warc" else None
    archiver.provenance = provenance
    runtime = CrawlRuntime(archiver, workers=config.crawl.extract_workers)
    settings = scrapy_settings(config)
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy").setLevel(settings["LOG_LEVEL"])  # Scrapy's dictConfig set it to DEBUG
    crawlers: list[tuple[str, int, Crawler]] = []
    locked: list[str] = []
    skipped: dict[str, SourceResult] = {}
    try:
        for source in sources:
            try:
                locks.acquire(source.name)
            except LockHeld as held:
                skipped[source.name] = _record_skipped(archiver, source.name, trigger, str(held))
                continue
            locked.append(source.name)
            if archiver.store.remove_temporaries(source.name):  # left by a crawl that was killed
                log.info("%s: removed temporary files of an interrupted crawl", source.name)
            if undone := archiver.recover(source.name):  # written by a killed crawl, never indexed
                log.info(
                    "%s: removed %d files of an interrupted crawl that were never indexed",
                    source.name,
                    undone,
                )
            if config.crawl.mark_deleted and (flagged := archiver.settle_deleted(source.name, source.timezone)):
                log.info("%s: noted %d deletions in front matter an interrupted crawl left unwritten",
                         source.name, flagged)  # fmt: skip
            run_id = archiver.index.start_run(source.name, trigger)
            if provenance is not None:  # this run's WARC file of the source is named after the run
                provenance.begin(source.name, run_id)
            crawler = process.create_crawler(NewsSpider)
            process.crawl(crawler, source=source, runtime=runtime, limit=limit, crawl=config.crawl)
            crawlers.append((source.name, run_id, crawler))
        if crawlers:
            _run_process(process, crawlers, locks, progress)
    finally:
        try:
            results = []
            for name, run_id, crawler in crawlers:
                result = source_result(name, crawler)
                if result.status == "running":
                    result.status = "interrupted"
                archiver.index.finish_run(run_id, result.status, result.counts, result.reasons, result.error)
                results.append(result)
        finally:
            locks.release(*locked)
            runtime.close()
    by_name = {r.source: r for r in results} | skipped
    return [by_name[s.name] for s in sources if s.name in by_name]


def _run_process(
    process: CrawlerProcess,
    crawlers: list[tuple[str, int, Crawler]],
    locks: SourceLocks,
    progress: Callable[[list[SourceResult]], None] | None,
) -> None:
    """Run the crawls to their end, keeping their locks' heartbeats and the progress line going."""
    names = [name for name, _, _ in crawlers]

    def heartbeat() -> None:
        for name in locks.heartbeat(*names):
            log.warning("%s: lost its lock (another process took it over as stale)", name)

    beat = task.LoopingCall(heartbeat)
    beat.start(HEARTBEAT_INTERVAL, now=False).addErrback(
        lambda failure: log.error("lock heartbeat stopped: %s", failure.getErrorMessage())
    )
    ticker = None
    if progress is not None:
        ticker = task.LoopingCall(lambda: progress([source_result(n, c) for n, _, c in crawlers]))
        ticker.start(0.5 if sys.stderr.isatty() else 10, now=False)
    started = time.monotonic()
    process.start()  # blocks until every source's crawl has finished (or SIGINT/SIGTERM)
    for call in (beat, ticker):
        if call is not None and call.running:
            call.stop()
    log.debug("crawl finished in %.1f s", time.monotonic() - started)


def _record_skipped(archiver: Archiver, name: str, trigger: str, reason: str) -> SourceResult:
    log.warning("%s: not crawled: %s", name, reason)
    result = SourceResult(name, status="skipped", error=reason)
    run_id = archiver.index.start_run(name, trigger)
    archiver.index.finish_run(run_id, result.status, result.counts, result.reasons, result.error)
    return result
