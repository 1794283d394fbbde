"""What the pipeline receives (a fetched page) and how it declines one (SkipPage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Page:
    url: str  # the URL the body came from (after redirects)
    requested_url: str  # the URL discovery produced
    body: bytes
    content_type: str | None  # the HTTP Content-Type header, if any
    source: str
    timezone: str  # the source's zone: naive dates on the page are read in it
    lang: str | None  # the source's language, used when the page does not say
    fetched: datetime  # aware
    hints: dict[str, str] = field(default_factory=dict)  # from the feed/sitemap entry: title, published
    site_domains: list[str] = field(default_factory=list)  # hosts the source may crawl (canonical links)
    via: str = "feed"  # how the URL was found: feed, sitemap (the publisher lists it) or section (a guess)


class SkipPage(Exception):
    """The page is not archived. ``reason`` is a short code counted in the crawl summary."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
