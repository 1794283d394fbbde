"""A downloader middleware that keeps an article response as it came off the wire, for provenance
(``crawl.provenance: warc``, see ``archive/provenance.py``).

Scrapy's HttpCompressionMiddleware (priority 590) replaces a compressed body by the decompressed
one. Responses pass the downloader middlewares from the highest priority to the lowest, so at 595
this one sees the body before that: still compressed, as received. RedirectMiddleware (600) has
already turned redirects into new requests by then, so what is kept is the final response.

Only requests the spider marks (article pages) are kept, and only their 2xx answers (the ones that
are extracted); feeds, sitemaps and robots.txt are not.
The capture rides in ``request.meta`` to the spider, which hands it with the page to the archive
writer; it never goes to the extraction workers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from archive.provenance import RawResponse

KEEP_RAW = "newsarchive_keep_raw"  # meta flag set by the spider on article requests
RAW_RESPONSE = "newsarchive_raw_response"  # meta key of the capture
PRIORITY = 595  # between RedirectMiddleware (600) and HttpCompressionMiddleware (590)


def _pairs(headers: object) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()  # type: ignore[attr-defined]
        for value in values
    )


def capture(request: Request, response: Response) -> RawResponse:
    sent = _pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in sent):  # added by the HTTP client itself
        sent = (("Host", urlsplit(request.url).netloc), *sent)
    ip = getattr(response, "ip_address", None)
    return RawResponse(
        url=response.url,
        status=response.status,
        protocol=response.protocol or "HTTP/1.1",
        headers=_pairs(response.headers),
        body=response.body,
        method=request.method,
        request_headers=sent,
        fetched=datetime.now(UTC),
        ip=str(ip) if ip is not None else None,
    )


class RawBodyMiddleware:
    def process_request(self, request: Request) -> None:
        request.meta.pop(RAW_RESPONSE, None)  # a copy carried over from an earlier response (meta refresh)

    def process_response(self, request: Request, response: Response) -> Response:
        # Only a 2xx is extracted and archived; a 5xx to be retried must not carry a copy along.
        if request.meta.get(KEEP_RAW) and 200 <= response.status < 300:
            request.meta[RAW_RESPONSE] = capture(request, response)
        return response
