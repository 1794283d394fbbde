"""The item the spider hands to the item pipeline: one fetched article page."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.page import Page


@dataclass
class PageItem:
    page: Page

    def __repr__(self) -> str:  # Scrapy logs items; never the whole page body
        return f"PageItem({self.page.url})"
