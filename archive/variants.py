"""AMP and mobile variants of an article's URL, and the URL paths Hugo can redirect from.

Publishers serve one article under several URLs: ``/amp/world/story``, ``/world/story/amp``,
``/world/story.amp.html``, ``?amp=1``, ``?outputType=amp``, on ``amp.`` or ``m.`` hosts. The
functions here only say which URLs *may* be the same article (by the usual URL conventions, for
any site); the archive believes it when the page says so (``rel=canonical``, ``rel=amphtml``) or,
for a page that says nothing, when the texts agree too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from archive.identity import clean_url

_HOST_PREFIX = re.compile(r"^(amp|m|mobile)\.", re.IGNORECASE)
_AMP_QUERY = re.compile(r"^(amp(=(1|true|yes))?|(outputType|output|format|view)=amp)$", re.IGNORECASE)
_AMP_PATH_PREFIX = re.compile(r"^/amp(?=/.)", re.IGNORECASE)  # /amp/world/story
_AMP_PATH_SUFFIX = re.compile(r"(?<=.)/amp/?$", re.IGNORECASE)  # /world/story/amp
_AMP_EXTENSION = re.compile(r"\.amp(?=(\.[a-z]+)?$)", re.IGNORECASE)  # story.amp, story.amp.html


def main_candidates(url: str) -> list[str]:
    """The URLs ``url`` may be the AMP or mobile variant of (cleaned); [] for a URL with no
    AMP or mobile marker."""
    parts = urlsplit(clean_url(url))
    host, path = parts.netloc, parts.path
    pairs = [pair for pair in parts.query.split("&") if pair]
    query = "&".join(pair for pair in pairs if not _AMP_QUERY.match(pair))
    paths = {path}
    for pattern in (_AMP_PATH_PREFIX, _AMP_PATH_SUFFIX, _AMP_EXTENSION):
        paths = {pattern.sub("", p) or "/" for p in paths}
    if path.endswith("/amp/"):  # /story/amp/ -> /story and /story/
        paths |= {p + "/" for p in paths if not p.endswith("/")}
    hosts = {host}
    if _HOST_PREFIX.match(host) and host.count(".") >= 2:
        bare = _HOST_PREFIX.sub("", host)
        hosts = {bare, "www." + bare}
    out = []
    for h in sorted(hosts):
        for p in sorted(paths):
            candidate = urlunsplit((parts.scheme, h, p, query, ""))
            if candidate != urlunsplit((parts.scheme, host, path, parts.query, "")):
                out.append(candidate)
    return out


def same_site(a: str, b: str) -> bool:
    """Same host, give or take a www./m./amp./mobile. prefix or a subdomain of the other."""
    host_a, host_b = (
        re.sub(r"^(www|m|amp|mobile)\.", "", (urlsplit(u).hostname or "").lower()) for u in (a, b)
    )
    return bool(host_a) and (
        host_a == host_b or host_a.endswith("." + host_b) or host_b.endswith("." + host_a)
    )


def alias_paths(own_url: str, urls: Iterable[str]) -> list[str]:
    """The paths of the article's other URLs on its own site that differ from its own path:
    what Hugo's ``aliases`` can redirect from (a path, no host or query). Sorted, no duplicates;
    never the site's root, nor a URL with a query string other than an AMP marker
    (``/article.php?id=7``: its path alone would name every article of that script)."""
    own = urlsplit(own_url).path or "/"
    out = set()
    for url in urls:
        parts = urlsplit(clean_url(url))
        path, query = parts.path or "/", [q for q in parts.query.split("&") if q and not _AMP_QUERY.match(q)]
        if path not in (own, "/") and not query and same_site(own_url, url):
            out.add(path)
    return sorted(out)
