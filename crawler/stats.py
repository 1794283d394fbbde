"""Scrapy's stats collector without its per-attribute indirection.

Scrapy 2.19's ``StatsCollector.__getattribute__`` looks every attribute up twice (a ``_cached_``
name first, raising AttributeError when it is not one of the stat methods) to wrap those methods
with a deprecation check of a ``spider`` argument. A crawl increments stats several times per
request and per response, so that costs CPU the extraction workers could have. The methods and
their signatures are Scrapy's own; only the wrapping is skipped (nothing here passes ``spider``).
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class PlainStatsCollector(MemoryStatsCollector):
    __getattribute__ = object.__getattribute__
