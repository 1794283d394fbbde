"""One generic spider, driven by a source's data: feeds, sitemaps (indexes, news sitemaps, gzip)
and section pages lead to article requests; article responses become PageItems for the pipeline."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
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

from archive.fetchstate import FetchInfo, Validators
from archive.identity import clean_url, is_http_url, url_key
from archive.render import local_time
from crawler import revisit
from crawler.addresses import BlockedAddress
from crawler.config import CrawlConfig, SourceConfig
from crawler.feeds import NotAFeed, parse_feed
from crawler.items import PageItem
from crawler.rawbody import KEEP_RAW, RAW_RESPONSE
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

    def __init__(
        self,
        source: SourceConfig,
        runtime: CrawlRuntime,
        limit: int | None = None,
        crawl: CrawlConfig | None = None,
        **kw: Any,
    ):
        self.source = source
        self.crawl_config = crawl or CrawlConfig()
        self.states = runtime.archiver.states
        # Conditional GET of feeds and sitemaps: validators from earlier runs, and those of the
        # seeds read this run, stored when the crawl finishes unless an article they listed
        # could not be fetched (failed, capped): then the next run reads them in full again.
        self._stored: dict[str, Validators] = {}
        self._pending: dict[str, Validators] = {}
        self._incomplete: set[str] = set()
        self._lastmods: dict[str, str] = {}  # sitemap child URL -> lastmod in its index
        self._entries: Counter[str] = Counter()  # seed URL -> article URLs it (and its children) listed
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
        # Article requests ask crawler/rawbody.py to keep the response as received (provenance).
        self._keep_raw = {KEEP_RAW: True} if self.crawl_config.provenance == "warc" else {}

    # -- discovery ------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        self._stored = self.states.validators([*self.source.feeds, *self.source.sitemaps])
        for url in self.source.feeds:
            yield self._conditional(url, self.parse_feed, {"seed": "feed"})
        for url in self.source.sitemaps:
            yield self._conditional(url, self._parse_sitemap, {"seed": "sitemap"})
        for url in self.source.start_urls:
            meta = {"seed": "section", "section_depth": 0}
            yield Request(url, self.parse_section, errback=self.seed_failed, meta=meta)
        for due in revisit.due_articles(self.states, self.name, self.crawl_config.revisit, datetime.now(UTC)):
            meta = {"via": "revisit", "revisit_of": due.article_id, "handle_httpstatus_list": [304, 404, 410]}
            meta |= self._keep_raw
            yield Request(
                due.url, self.parse_article, errback=self.article_failed, meta=meta,
                headers=due.validators.headers(), dont_filter=True,
            )  # fmt: skip

    def _conditional(
        self, url: str, callback: Any, meta: dict[str, Any], lastmod: str | None = None
    ) -> Request:
        """A feed or sitemap request carrying the validators of its last complete read."""
        stored = self._stored.get(url)
        meta = {**meta, "handle_httpstatus_list": [304], "lastmod": lastmod}
        headers = stored.headers() if stored else {}
        return Request(url, callback, errback=self.seed_failed, meta=meta, headers=headers)

    def _not_modified(self, response: Response, kind: str) -> list[Request]:
        """A 304: nothing changed since the last complete read; nothing more to do. Its articles
        count as discovered and unchanged, as they would have with a full read."""
        if response.meta.get("seed"):
            self.seeds_ok += 1
        self._count(f"not_modified/{kind}")
        url = (response.meta.get("redirect_urls") or [response.url])[0]
        self._unchanged_seed(self._stored.get(url), response.meta.get("seeds", []))
        return []

    def _unchanged_seed(self, stored: Validators | None, seeds: list[str]) -> None:
        entries = stored.entries if stored is not None else 0
        self._count("discovered", entries)
        self._count("unchanged", entries)
        for seed in seeds:
            self._entries[seed] += entries

    def _read_completely(self, response: Response) -> str:
        """Note a seed read in full (its validators are stored at the end); returns its URL."""
        url = (response.meta.get("redirect_urls") or [response.url])[0]
        header = response.headers.get
        self._pending[url] = Validators(
            (header("ETag") or b"").decode("latin-1") or None,
            (header("Last-Modified") or b"").decode("latin-1") or None,
            response.meta.get("lastmod"),
        )
        return url

    def parse_feed(self, response: Response) -> Iterable[Request]:
        if response.status == 304:
            return self._not_modified(response, "feed")
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
        seeds = [self._read_completely(response)]
        return self.article_requests([e.url for e in entries], "feed", hints, seeds)

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        if response.status == 304:
            return self._not_modified(response, "sitemap")
        if response.meta.get("seed"):
            self.seeds_ok += 1
        children: list[str] = []
        articles: list[str] = []
        for request in super()._parse_sitemap(response):
            if request.callback == self._parse_sitemap:
                children.append(request.url)
            else:
                articles.append(request.url)
        if not children and not articles:
            self._count("seed_failed/not_a_sitemap", url=response.url)
            return []
        seeds = [*response.meta.get("seeds", []), self._read_completely(response)]
        # A child whose lastmod in the index is the one of its last complete read is not fetched;
        # the others are fetched with conditional GET.
        self._stored.update(self.states.validators(children))
        sitemaps: list[Request] = []
        for url in children:
            lastmod, stored = self._lastmods.get(url), self._stored.get(url)
            if lastmod and stored is not None and stored.lastmod == lastmod:
                self._count("not_modified/sitemap_lastmod")
                self._unchanged_seed(stored, seeds)
                continue
            meta = {"sitemap_child": True, "seeds": seeds}
            sitemaps.append(self._conditional(url, self._parse_sitemap, meta, lastmod))
        return [*sitemaps, *self.article_requests(articles, "sitemap", {}, seeds)]

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        index = getattr(entries, "type", None) == "sitemapindex"
        for entry in entries:
            if index and entry.get("loc") and entry.get("lastmod"):
                self._lastmods[Request(entry["loc"]).url] = str(entry["lastmod"]).strip()
            yield entry

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
        self, urls: list[str], via: str, hints: dict[str, dict[str, str]], seeds: list[str] | None = None
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
        for seed in seeds or ():
            self._entries[seed] += len(fresh)
        known = self.runtime.archiver.index.known(fresh)
        self._count("unchanged", len(known))
        for url, raw in fresh.items():
            if url in known:
                continue
            if self._requested >= self.max_articles:
                self._count("capped", url=url)
                self._incomplete.update(seeds or ())
                continue
            self._requested += 1
            meta = {"via": via, "hints": hints.get(raw, {}), "seeds": seeds or [], **self._keep_raw}
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
        redirects = response.meta.get("redirect_urls") or [response.url]
        article_id = response.meta.get("revisit_of")
        if article_id is not None and self._revisit_ended(response, article_id, redirects[0]):
            return
        self._count("fetched")
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
        header = response.headers.get
        fetch = FetchInfo(
            (header("ETag") or b"").decode("latin-1") or None,
            (header("Last-Modified") or b"").decode("latin-1") or None,
            article_id,
        )
        yield PageItem(
            page=page, fetch=fetch, raw=response.meta.get(RAW_RESPONSE), seeds=response.meta.get("seeds", [])
        )

    def _revisit_ended(self, response: Response, article_id: int, requested: str) -> bool:
        """Handle a revisit's answer that needs no extraction: 304 (unchanged), or the article gone
        (404, 410, a redirect to the home page or a section page). True when handled."""
        if response.status == 304:
            self.runtime.not_modified(article_id)  # recorded with the archive's next batch
            self._count("not_modified/article")
            return True
        status = revisit.gone_status(response.status)
        if status is None and revisit.is_listing_redirect(self.source, requested, response.url):
            status = "redirect"
        if status is None:
            return False
        gone = self.states.gone(
            article_id, status, timedelta(seconds=self.crawl_config.revisit.confirm_deleted_after)
        )
        self._count("revisit/gone", url=requested)
        if gone.deleted:
            self._count("revisit/deleted", url=requested)
            log.warning("%s: %s is deleted upstream (%s)", self.name, requested, gone.status)
            if self.crawl_config.mark_deleted:
                self.runtime.archiver.mark_deleted(
                    article_id, gone.status, local_time(gone.first_seen, self.source.timezone)
                )
        return True

    def article_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        request = failure.request  # type: ignore[attr-defined]
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL discovery gave
        if _transient(reason):  # its feed must be read in full again next time, to retry it
            self._incomplete.update(request.meta.get("seeds", ()))
        self._count("skipped/robots_txt" if reason == "robots_txt" else f"failed/{reason}", url=url)
        log.info("%s: %s: %s", self.name, reason, url)

    def retry_next_run(self, seeds: Iterable[str]) -> None:
        """An article these feeds/sitemaps listed could not be archived (its extraction failed): they
        are read in full again next run instead of answering 304, so it is tried again."""
        self._incomplete.update(seeds)

    def seed_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        request = failure.request  # type: ignore[attr-defined]
        self._incomplete.update(request.meta.get("seeds", ()))  # a sitemap index whose child failed
        if not request.meta.get("sitemap_child") and not request.meta.get("section_depth"):
            self.seeds_failed += 1
        self._count(f"seed_failed/{reason}", url=request.url)
        log.warning("%s: cannot read %s: %s", self.name, request.url, reason)

    def closed(self, reason: str) -> None:
        self.close_reason = reason
        if reason == "finished" and self.fatal_error is None:
            done = {
                url: replace(v, entries=self._entries[url])
                for url, v in self._pending.items()
                if url not in self._incomplete
            }
            try:
                self.states.remember(done)
                self.states.forget(self._incomplete)
            except Exception as exc:  # the next run reads everything in full: slower, not wrong
                log.warning("%s: cannot store the feeds' validators: %s", self.name, exc)

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
)


def _transient(reason: str) -> bool:
    """A failure worth retrying on the next run (not a 404, robots.txt, a page too large, ...)."""
    if reason.startswith("http_"):
        return reason in ("http_408", "http_429") or reason.startswith("http_5")
    return reason not in ("robots_txt", "blocked_address", "too_large", "too_many_redirects", "ignored")


def failure_reason(failure: Failure) -> str:
    """A short code for why a request failed: http_404, timeout, dns, robots_txt, ..."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(BlockedAddress):
        return "blocked_address"
    message = str(failure.value).lower()
    if "max size" in message or "maxsize" in message:  # refused by its Content-Length, or cut off
        return "too_large"
    if failure.check(IgnoreRequest):
        for needle, reason in _IGNORED_REASONS:
            if needle in message:
                return reason
        return "ignored"
    if failure.check(TimeoutError, TCPTimedOutError) or "Timeout" in failure.type.__name__:
        return "timeout"
    if failure.check(DNSLookupError):
        return "dns"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", failure.type.__name__).lower()
