"""Pipeline stages that turn a fetched page into an Article, with no Scrapy and no database:
decode → metadata → trafilatura body → Markdown → choice of title, dates, authors, language."""

from __future__ import annotations

from archive.article import Article
from pipeline.page import Page, SkipPage

__all__ = ["Article", "Page", "SkipPage", "process"]


def process(page: Page) -> Article:
    """Runs in an extraction worker process: everything CPU-heavy happens here."""
    from archive.article import plain_text
    from archive.similarity import signature
    from pipeline.extract import extract  # imported in the worker, keeps trafilatura out of startup

    article = extract(page)
    # the fingerprint costs milliseconds of CPU: here, not in the crawl process's archive thread
    found = signature(plain_text(article.body))
    article.signature = found.to_bytes() if found is not None else b""
    return article
