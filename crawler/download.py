"""Scrapy's HTTP/1.1 download handler with a larger pool of idle connections per host.

Scrapy keeps at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` idle connections per host. A response is
handed on as soon as its body is in, a moment before Twisted puts its connection back in the pool,
so the next request to the host often finds no idle connection, opens a new one, and the pool,
already full when the first is put back, closes one. Measured on the local corpus site (4 requests
at a time): 1,889 new TCP connections for 2,783 requests. Room for twice as many idle connections
absorbs that race: the crawl then reuses its connections (a few dozen for the whole run), and the
crawl process saves the CPU of connecting and closing (a few ms per page).
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler

POOL_FACTOR = 2  # idle connections kept per host, per request allowed at a time


class PooledHTTPDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._pool.maxPersistentPerHost = POOL_FACTOR * crawler.settings.getint(
            "CONCURRENT_REQUESTS_PER_DOMAIN"
        )
