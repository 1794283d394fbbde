"""How an article is identified: URL normalization, URL keys and stable article ids.

Pure functions shared by every layer (the crawler canonicalizes URLs before requesting them, the
pipeline applies ``rel=canonical``, the index looks articles up by URL key).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only track where a click came from; they never select content.
_TRACKING_PARAM = re.compile(
    r"^(utm_\w+|fbclid|gclid|gclsrc|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|"
    r"ncid|cmpid|ocid|spm|share_source|from_source|wt_mc|wt\.mc_id|__twitter_impression|"
    r"at_medium|at_campaign|at_custom\d|ito|xtor|"
    r"jsessionid|phpsessid|sessionid|session_id|aspsessionid\w*|cfid|cftoken|oscsid|zenid)$",  # session ids
    re.IGNORECASE,
)


_SESSION_IN_PATH = re.compile(r";(jsessionid|sid|phpsessid)=[^/;]*", re.IGNORECASE)  # /a;jsessionid=X


def clean_url(url: str) -> str:
    """The URL as it should be requested and stored: tracking parameters and fragment removed,
    scheme and host lower-cased, default ports dropped. Parameter order is kept."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if parts.port and (scheme, parts.port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    # The query is kept byte for byte but for the tracking parameters: re-encoding it would turn
    # "?abc" into "?abc=" and "%20" into "+", and some servers tell those apart.
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _TRACKING_PARAM.match(unquote_plus(pair.split("=")[0]))
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


@lru_cache(maxsize=8192)
def url_key(url: str) -> str:
    """A fixed-length key under which a URL is looked up: equal for URLs that differ only in
    tracking parameters, fragment, parameter order, percent-encoding or host case. Cached: a crawl
    asks for the key of the same URL a dozen times (discovery, the batch's checks, the index rows)
    and w3lib's canonicalization is the costly part."""
    # A session id in the path (/a;jsessionid=X) stays in the URL that is requested (some servers
    # need it) but not in the key: the same article under two sessions is one article.
    key = _SESSION_IN_PATH.sub("", canonicalize_url(clean_url(url)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def article_uid(url: str) -> str:
    """The stable id of the article whose (canonical) URL this is: 16 hex characters."""
    return url_key(url)[:16]


def is_http_url(url: str) -> bool:
    """An http(s) URL with a host that clean_url() and url_key() can handle."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:  # also an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
