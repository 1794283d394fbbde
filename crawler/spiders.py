"""One generic spider, driven by a source's data: feeds, sitemaps (indexes, news sitemaps, gzip)
and section pages lead to article requests; article responses become PageItems for the pipeline."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import SitemapSpider
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from archive.identity import clean_url, is_http_url, url_key
from crawler.addresses import BlockedAddress
from crawler.config import SourceConfig
from crawler.feeds import NotAFeed, parse_feed
from crawler.items import PageItem
from crawler.runtime import CrawlRuntime
from pipeline.page import Page

log = logging.getLogger(__name__)

EXAMPLES_PER_REASON = 5

# Without allow patterns, a link on a section page is taken for an article when its path looks
# like one: a date, a long number or a long slug. Listing pages (tags, authors, pages) do not.
_ARTICLE_PATH = re.compile(r"/(19|20)\d{2}[/-]?\d{2}|\d{5,}|/[^/]*[a-z0-9]+(?:-[a-z0-9]+){3,}[^/]*/?$", re.I)
_LISTING_PATH = re.compile(
    r"/(tag|tags|topic|topics|author|authors|category|categories|page|search|about)(/|$)", re.I
)


def looks_like_article(url: str) -> bool:
    path = urlsplit(url).path
    return bool(_ARTICLE_PATH.search(path)) and not _LISTING_PATH.search(path)


class NewsSpider(SitemapSpider):
    name = "news"
    sitemap_follow = [""]  # every child of a sitemap index; articles are filtered per URL

    def __init__(self, source: SourceConfig, runtime: CrawlRuntime, limit: int | None = None, **kw: Any):
        self.source = source
        self.runtime = runtime
        self.name = source.name
        self.sitemap_urls = list(source.sitemaps)
        self.sitemap_rules = [("", "parse_article")]
        self.allowed_domains = list(source.allowed_domains)
        self.max_articles = limit or source.max_articles
        self._requested = 0
        self._seen: set[str] = set()
        self.seeds_ok = 0
        self.seeds_failed = 0
        self.close_reason: str | None = None
        self.fatal_error: str | None = None  # why the archive could not be written, if so
        self.examples: dict[str, list[str]] = {}  # reason -> a few URLs, for the summary
        super().__init__(**kw)
        self._links = LinkExtractor(deny=source.deny)  # hosts are checked by _allowed (ports and all)

    # -- discovery ------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.feeds:
            yield Request(url, self.parse_feed, errback=self.seed_failed, meta={"seed": "feed"})
        for url in self.source.sitemaps:
            yield Request(url, self._parse_sitemap, errback=self.seed_failed, meta={"seed": "sitemap"})
        for url in self.source.start_urls:
            meta = {"seed": "section", "section_depth": 0}
            yield Request(url, self.parse_section, errback=self.seed_failed, meta=meta)

    def parse_feed(self, response: Response) -> Iterable[Request]:
        try:
            entries = parse_feed(response.body, response.url)
        except NotAFeed as exc:
            self._count("seed_failed/not_a_feed", url=response.url)
            self.seeds_failed += 1
            log.warning("%s: %s is not a feed: %s", self.name, response.url, exc)
            return []
        self.seeds_ok += 1
        hints = {
            e.url: {k: v for k, v in (("title", e.title), ("published", e.published)) if v} for e in entries
        }
        return self.article_requests([e.url for e in entries], "feed", hints)

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        if response.meta.get("seed"):
            self.seeds_ok += 1
        sitemaps: list[Request] = []
        articles: list[str] = []
        for request in super()._parse_sitemap(response):
            if request.callback == self._parse_sitemap:
                sitemaps.append(request.replace(errback=self.seed_failed, meta={"sitemap_child": True}))
            else:
                articles.append(request.url)
        if not sitemaps and not articles:
            self._count("seed_failed/not_a_sitemap", url=response.url)
        return [*sitemaps, *self.article_requests(articles, "sitemap", {})]

    def parse_section(self, response: Response) -> Iterable[Request]:
        depth = response.meta.get("section_depth", 0)
        if response.meta.get("seed"):
            self.seeds_ok += 1
        if not hasattr(response, "text"):
            return []
        links = [link.url for link in self._links.extract_links(response)]
        articles = [u for u in links if self._is_article_link(u)]
        requests = list(self.article_requests(articles, "section", {}))
        if depth < self.settings.getint("NEWSARCHIVE_MAX_DEPTH", 2):
            for url in links:
                if any(p.search(url) for p in self.source.follow_re) and url not in articles:
                    meta = {"section_depth": depth + 1}
                    requests.append(
                        Request(clean_url(url), self.parse_section, errback=self.seed_failed, meta=meta)
                    )
        return requests

    def _is_article_link(self, url: str) -> bool:
        if self.source.allow_re:
            return any(p.search(url) for p in self.source.allow_re)
        return looks_like_article(url)

    def article_requests(
        self, urls: list[str], via: str, hints: dict[str, dict[str, str]]
    ) -> Iterable[Request]:
        """Requests for the article URLs not archived yet, within this run's cap."""
        fresh: dict[str, str] = {}
        for raw in urls:
            if not is_http_url(raw):
                continue
            url = clean_url(raw)
            key = url_key(url)
            if key in self._seen:
                continue
            self._seen.add(key)
            if not self._on_allowed_host(url):
                self._count("skipped/offsite", url=url)  # a feed pointing elsewhere: worth a look
            elif self._allowed(url):
                fresh[url] = raw
            # else: excluded by the source's allow/deny patterns, as the user asked: not counted
        self._count("discovered", len(fresh))
        known = self.runtime.archiver.index.known(fresh)
        self._count("unchanged", len(known))
        for url, raw in fresh.items():
            if url in known:
                continue
            if self._requested >= self.max_articles:
                self._count("capped", url=url)
                continue
            self._requested += 1
            meta = {"via": via, "hints": hints.get(raw, {})}
            # dont_filter: duplicates are already weeded out above, and a redirect loop must reach
            # REDIRECT_MAX_TIMES (and its errback) instead of vanishing in Scrapy's dupefilter.
            yield Request(url, self.parse_article, errback=self.article_failed, meta=meta, dont_filter=True)

    def _on_allowed_host(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return not self.allowed_domains or any(
            host == d or host.endswith("." + d) for d in self.allowed_domains
        )

    def _allowed(self, url: str) -> bool:
        if not self._on_allowed_host(url):
            return False
        if self.source.allow_re and not any(p.search(url) for p in self.source.allow_re):
            return False
        return not any(p.search(url) for p in self.source.deny_re)

    # -- articles -------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[PageItem]:
        self._count("fetched")
        redirects = response.meta.get("redirect_urls") or [response.url]
        page = Page(
            url=response.url,
            requested_url=redirects[0],
            body=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
            source=self.source.name,
            timezone=self.source.timezone,
            lang=self.source.lang,
            fetched=datetime.now(UTC),
            hints=response.meta.get("hints", {}),
            site_domains=self.allowed_domains,
            via=response.meta.get("via", "feed"),
        )
        yield PageItem(page=page)

    def article_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        request = failure.request  # type: ignore[attr-defined]
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL discovery gave
        self._count("skipped/robots_txt" if reason == "robots_txt" else f"failed/{reason}", url=url)
        log.info("%s: %s: %s", self.name, reason, url)

    def seed_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        request = failure.request  # type: ignore[attr-defined]
        if not request.meta.get("sitemap_child") and not request.meta.get("section_depth"):
            self.seeds_failed += 1
        self._count(f"seed_failed/{reason}", url=request.url)
        log.warning("%s: cannot read %s: %s", self.name, request.url, reason)

    def closed(self, reason: str) -> None:
        self.close_reason = reason

    def _count(self, key: str, n: int = 1, url: str | None = None) -> None:
        """Count an outcome in the crawl stats; for skips and failures keep a few example URLs
        so the summary can say which pages were passed over and why."""
        if n:
            self.crawler.stats.inc_value(f"newsarchive/{key}", n)
        if url is not None:
            examples = self.examples.setdefault(key, [])
            if len(examples) < EXAMPLES_PER_REASON:
                examples.append(url)


_IGNORED_REASONS = (
    ("robots", "robots_txt"),
    ("blocked address", "blocked_address"),
    ("redirect", "too_many_redirects"),
    ("maxsize", "too_large"),
    ("max size", "too_large"),
)


def failure_reason(failure: Failure) -> str:
    """A short code for why a request failed: http_404, timeout, dns, robots_txt, ..."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(BlockedAddress):
        return "blocked_address"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        for needle, reason in _IGNORED_REASONS:
            if needle in message:
                return reason
        return "ignored"
    if failure.check(TimeoutError, TCPTimedOutError) or "Timeout" in failure.type.__name__:
        return "timeout"
    if failure.check(DNSLookupError):
        return "dns"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", failure.type.__name__).lower()
