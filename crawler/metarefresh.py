"""Scrapy's meta-refresh redirects, without decoding every page in the crawl process to find none.

Scrapy's ``MetaRefreshMiddleware`` reads ``response.text`` (the whole page decoded, in the crawl
process, where the reactor runs) to look at its first 4,096 characters; the extraction worker then
decodes the page again. A ``<meta http-equiv="refresh">`` tag holds the ASCII word "refresh" in any
ASCII-compatible encoding, so a page without it in its first bytes is passed on untouched; the
others (and UTF-16 pages) get Scrapy's own check.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response

HEAD_BYTES = 4096 * 4  # 4,096 characters of up to 4 bytes each (UTF-8)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if (
            isinstance(response, HtmlResponse)
            and response.body[:2] not in _UTF16_BOMS
            and b"refresh" not in response.body[:HEAD_BYTES].lower()
        ):
            return response
        return super().process_response(request, response)
