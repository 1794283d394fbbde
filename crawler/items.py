"""The item the spider hands to the item pipeline: one fetched article page."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.fetchstate import FetchInfo
from archive.provenance import RawResponse
from pipeline.page import Page


@dataclass
class PageItem:
    page: Page
    fetch: FetchInfo | None = None  # validators of the response; the article id for a revisit
    raw: RawResponse | None = None  # the response as received, for the archive writer only (provenance)
    seeds: list[str] = field(default_factory=list)  # the feeds/sitemaps that listed it (read again if it fails)

    def __repr__(self) -> str:  # Scrapy logs items; never the whole page body
        return f"PageItem({self.page.url})"
