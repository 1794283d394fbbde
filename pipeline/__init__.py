"""Pipeline stages that turn a fetched page into an Article, with no Scrapy and no database:
decode → metadata → trafilatura body → Markdown → choice of title, dates, authors, language."""

from __future__ import annotations

from archive.article import Article
from pipeline.page import Page, SkipPage

__all__ = ["Article", "Page", "SkipPage", "process"]


def process(page: Page) -> Article:
    """Runs in an extraction worker process: everything CPU-heavy happens here."""
    from pipeline.extract import extract  # imported in the worker, keeps trafilatura out of startup

    return extract(page)
