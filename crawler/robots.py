"""robots.txt as RFC 9309 says when it cannot be read: a 4xx answer means no rules (crawl),
a 5xx answer or an unreachable server means 'disallow everything' for that site in this run."""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

log = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def _parse_robots(self, response: Response, netloc: str, request: object) -> None:
        if response.status >= 500:
            log.warning("robots.txt of %s answered %s: not crawling that site", netloc, response.status)
            response = response.replace(body=DISALLOW_ALL)
        elif response.status >= 400:
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        log.warning("robots.txt of %s could not be read (%s): not crawling that site", netloc, exc)
        self._stats.inc_value("robotstxt/unreachable")
        super()._robots_error(exc, netloc)
        self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
