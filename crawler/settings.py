"""All Scrapy settings of a crawl, built in one place from the validated config."""

from __future__ import annotations

from typing import Any

from crawler import rawbody
from crawler.config import Config


def scrapy_settings(config: Config) -> dict[str, Any]:
    crawl = config.crawl
    return {
        "BOT_NAME": "newsarchive",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if crawl.download_delay > 0 else 0,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle and crawl.download_delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrent_requests_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DNS_TIMEOUT": min(crawl.download_timeout, 30),
        "DOWNLOAD_MAXSIZE": crawl.max_page_size,  # also caps decompressed bodies
        "DOWNLOAD_WARNSIZE": min(crawl.max_page_size, 5_000_000),
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        "REDIRECT_MAX_TIMES": 10,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,  # the CLI sets up logging
        "DEFAULT_DROPITEM_LOG_LEVEL": "INFO",  # skipped pages are counted by reason in the summary
        "LOGSTATS_INTERVAL": 0,
        # Per-request costs a crawl does not need (see crawler/stats.py and the README's Performance):
        # the downloader's byte counts (it rebuilds every request's HTTP text to measure it), a Referer
        # header derived for every request, a check of every request's meta for copied internal keys.
        "STATS_CLASS": "crawler.stats.PlainStatsCollector",
        "DOWNLOADER_STATS": False,
        "REFERER_ENABLED": False,
        "SPIDER_MIDDLEWARES": {"scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None},
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        # Pending requests wait on disk (see crawler/diskqueue.py), so memory stays flat however many
        # articles a sitemap lists.
        "SCHEDULER": "crawler.diskqueue.RunDiskScheduler",
        "NEWSARCHIVE_QUEUE_DIR": str(config.archive.dir / ".crawl-queue"),
        # Items one response's output may have in the pipeline at once. An article response yields
        # one item, and Scrapy starts this many asyncio tasks for every response (100 by default):
        # the pages waiting for an extraction worker are those of different responses, bounded by
        # SCRAPER_SLOT_MAX_ACTIVE_SIZE (5 MB of response bodies, some 30 pages), not by this.
        "CONCURRENT_ITEMS": 1,
        "ITEM_PIPELINES": {"crawler.pipelines.ArchivePipeline": 300},
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.addresses.AddressGuardMiddleware": 50,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.robots.StrictRobotsTxtMiddleware": 100,
            # the article bodies as received, before HttpCompressionMiddleware (590) decompresses them
            **({"crawler.rawbody.RawBodyMiddleware": rawbody.PRIORITY} if crawl.provenance == "warc" else {}),
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
            "crawler.metarefresh.HeadMetaRefreshMiddleware": 580,  # (Scrapy's place for it)
        },
        "DOWNLOAD_HANDLERS": {  # connections reused instead of reopened (see crawler/download.py)
            "http": "crawler.download.PooledHTTPDownloadHandler",
            "https": "crawler.download.PooledHTTPDownloadHandler",
        },
        "DNS_RESOLVER": "crawler.addresses.GuardedResolver",
        "NEWSARCHIVE_BLOCKED_ADDRESSES": list(crawl.blocked_addresses),
        # Section pages are followed up to max_depth (the spider counts); every other chain
        # (sitemap index → sitemap → ...) ends here, so a trap cannot recurse for ever.
        "DEPTH_LIMIT": max(crawl.max_depth + 2, 6),
        "NEWSARCHIVE_MAX_DEPTH": crawl.max_depth,
    }
