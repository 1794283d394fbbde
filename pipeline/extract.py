"""A fetched page → an Article: decode, read the page's own metadata, let trafilatura find the
body, then choose the best title, dates, authors and language from what was found."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import load_html

from archive.article import Article, plain_text
from archive.identity import clean_url, is_http_url
from archive.variants import main_candidates
from pipeline.authors import choose_authors
from pipeline.byline import byline_authors, byline_date
from pipeline.cleanup import drop_teaser_lists, text_weight, unwrap_layout_tables, wrap_loose_text
from pipeline.dates import WEIGHTS, date_from_url, parse_date, plausible, vote_margin
from pipeline.dates import choose_published as weigh_dates
from pipeline.decode import decode_html
from pipeline.engine_metadata import EngineMetadata
from pipeline.images import find_images, place_images
from pipeline.language import bcp47, choose_lang
from pipeline.markdown import TRAFILATURA_OPTIONS, body_markdown
from pipeline.metadata import (
    AUTHOR_META,
    MODIFIED_META,
    PUBLISHED_META,
    WEAK_PUBLISHED_META,
    PageMetadata,
    read_metadata,
)
from pipeline.page import Page, SkipPage
from pipeline.stoplist import compact_justext_stoplist
from pipeline.titles import choose_title, site_names, strip_site_name

__all__ = ["bcp47", "choose_title", "extract", "strip_site_name"]

MIN_TEXT_WEIGHT = 300  # below this a page found by guessing is a listing or a stub, not an article
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])
_UTF8_PARSER = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True)
# htmldate gives a time of day when the page has one; trafilatura asks it for days only by default.
DATE_PARAMS = {"original_date": True, "extensive_search": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
compact_justext_stoplist()  # trafilatura's jusText fallback: one copy of its stopwords instead of two


def extract(page: Page) -> Article:
    """Raises SkipPage when the page is not an article worth keeping."""
    if not _is_html(page):
        raise SkipPage("not_html", page.content_type or "no content type")
    if _looks_binary(page.body):
        raise SkipPage("not_html", "binary data")
    text, encoding = decode_html(page.body, page.content_type)
    tree = load_html(text)
    if tree is None:  # trafilatura rejects pages that start with a <script> or stray text
        tree = _lenient_parse(text)
    if tree is None:
        raise SkipPage("unparsable", "not readable as HTML")
    meta = read_metadata(tree, page.url)
    unwrap_layout_tables(tree)
    wrap_loose_text(tree)
    doc = trafilatura.bare_extraction(tree, url=page.url, **TRAFILATURA_OPTIONS)  # works on a copy
    if doc is None or doc.body is None:
        raise SkipPage("empty", "no article text found")
    drop_teaser_lists(doc.body)
    place_images(doc.body, find_images(tree, page.url))
    # What trafilatura reads of the metadata, and the bylines, are asked for only when the page's own
    # metadata leaves a field open: the tree is not changed any more from here on.
    engine = EngineMetadata(tree, page.url, {**DATE_PARAMS, "max_date": page.fetched.strftime("%Y-%m-%d")})
    hosts = [urlsplit(u).hostname or "" for u in (meta.canonical, meta.og_url, page.url) if u]
    sites = site_names(meta, engine.sitename, hosts)
    title = choose_title(meta, engine.title, engine.sitename, page.hints.get("title"), hosts)
    body = body_markdown(doc.body, title=title or None)
    title = title or _first_line(body)
    if not title:
        raise SkipPage("empty", "no title")
    text = plain_text(body)
    weight = text_weight(text)
    if weight == 0:
        raise SkipPage("empty", "no article text found")
    if weight < MIN_TEXT_WEIGHT and page.via == "section" and not _declares_article(meta):
        # A link on a section page that only looked like an article. What a feed or sitemap lists,
        # or what says it is an article, is kept however short (a paywalled or video page).
        raise SkipPage("not_article", "too little text for an article")
    lang = choose_lang(meta, text, page.lang, encoding)
    engine.date_language = lang
    published, date_source = choose_published(
        meta, lambda: engine.date, page, lambda: byline_date(tree, page.timezone)
    )
    modified = _first_date([meta.ld_modified, _meta_value(meta, MODIFIED_META)], page)
    image = meta.meta.get("og:image") or meta.meta.get("twitter:image") or meta.ld_image or engine.image
    url = choose_url(meta, page.url, page.site_domains)
    return Article(
        url=url,
        fetched_url=clean_url(page.url),
        aliases=other_urls(meta, page, url),
        source=page.source,
        title=title,
        body=body,
        fetched=page.fetched,
        timezone=page.timezone,
        published=published,
        modified=modified if modified and (not published or modified > published) else None,
        date_source=date_source,
        lang=lang,
        authors=choose_authors(_author_sources(meta, tree, engine), sites),
        description=meta.meta.get("og:description") or meta.meta.get("description") or meta.ld_description,
        thumbnail=urljoin(page.url, image) if image else None,
        sitename=meta.meta.get("og:site_name") or meta.ld_publisher or engine.sitename,
    )


def _author_sources(
    meta: PageMetadata, tree: etree._Element, engine: EngineMetadata
) -> Iterator[list[str] | str | None]:
    """Author lists in order of trust; the later ones are read only if the earlier give no name."""
    yield meta.ld_authors
    yield _meta_value(meta, AUTHOR_META)
    yield byline_authors(tree)
    yield engine.author.split(";") if engine.author else None


def _is_html(page: Page) -> bool:
    kind = (page.content_type or "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    if kind and kind not in ("text/plain", "application/octet-stream"):
        return False
    head = page.body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<!--")) or b"<html" in head


def _declares_article(meta: PageMetadata) -> bool:
    return meta.ld_is_article or meta.meta.get("og:type", "").lower() == "article"


def _looks_binary(body: bytes) -> bool:
    """Images, archives and other binary files served as text/html: control bytes text never has."""
    head = body[:4096]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > max(4, len(head) // 100)


def _lenient_parse(text: str) -> lxml_html.HtmlElement | None:
    """Parse a page that starts with something else than HTML (a <script>, stray text): libxml2
    would put all of it into <head>, so it is read as the content of a <body>."""
    try:
        tree = lxml_html.document_fromstring(("<html><body>" + text).encode("utf-8"), parser=_UTF8_PARSER)
    except (ValueError, etree.ParserError):
        return None
    return tree if len(tree.text_content().strip()) else None


def _first_line(body: str) -> str:
    """A title for a page that has none (no <title>, <h1> or og:title): its first line of text, cut at the
    end of the first sentence or after 80 characters."""
    for line in plain_text(body).splitlines():
        line = " ".join(line.split())
        if line:
            sentence = re.match(r".{8,80}?(?:[.!?](?=\s|$)|[。！？])", line)
            if sentence or len(line) <= 80:
                return sentence.group(0) if sentence else line
            cut = line[:80].rsplit(" ", 1)[0] if " " in line[:80] else line[:80]
            return cut.rstrip(" ,;:") + "…"
    return ""


def choose_url(meta: PageMetadata, fetched: str, site_domains: list[str] | None = None) -> str:
    """The page's canonical URL when it names one on the same site (or on a host the source may crawl)
    and it can be believed, else the fetched URL.

    A canonical elsewhere is not trusted: a page cannot claim to be another site's article. A relative
    canonical (``href="/content/123"``) is resolved against wherever the page was fetched, so it names the
    right article only if the page is served under its publisher's own paths; when it points to another
    path than the fetched one it is believed only if the page's og:url says the same. An absolute canonical
    is the publisher's explicit word and is believed on the same site."""
    canonical = meta.canonical
    if (
        not canonical or not is_http_url(canonical) or not urlsplit(canonical).path.strip("/")
    ):  # or the homepage
        return clean_url(fetched)
    host = urlsplit(canonical).hostname or ""
    on_source = any(host == d or host.endswith("." + d) for d in site_domains or [])
    if not (on_source or _same_site(canonical, fetched)):
        return clean_url(fetched)
    same_path = urlsplit(canonical).path.rstrip("/") == urlsplit(fetched).path.rstrip("/")
    og_agrees = bool(meta.og_url) and clean_url(meta.og_url or "") == clean_url(canonical)
    # An AMP or mobile page naming its main page: the fetched URL less its AMP/mobile markers.
    main_page = clean_url(canonical) in main_candidates(fetched)
    if meta.canonical_absolute or same_path or og_agrees or main_page:
        return clean_url(canonical)
    return clean_url(fetched)


def other_urls(meta: PageMetadata, page: Page, url: str) -> list[str]:
    """Other URLs of the same article: the one discovery gave when it redirected, and the AMP and
    mobile pages the page names on its own site (recorded so they are never fetched as articles)."""
    found = [page.requested_url] + [v for v in meta.variants if is_http_url(v) and _same_site(v, url)]
    own = {clean_url(url), clean_url(page.url)}
    return [u for u in dict.fromkeys(clean_url(v) for v in found if is_http_url(v)) if u not in own]


def _same_site(a: str, b: str) -> bool:
    """Same host, give or take a www./m./amp. prefix or a subdomain of the other."""
    host_a, host_b = (re.sub(r"^(www|m|amp|mobile)\.", "", urlsplit(u).hostname or "") for u in (a, b))
    return host_a == host_b or host_a.endswith("." + host_b) or host_b.endswith("." + host_a)


Lazy = str | None | Callable[[], str | None]


def choose_published(
    meta: PageMetadata, extracted: Lazy, page: Page, byline: Lazy = None
) -> tuple[datetime | None, str | None]:
    """The publication date and where it came from (``dates.choose_published`` weighs the sources);
    the date in the URL is the last resort. ``extracted`` (trafilatura's, i.e. htmldate's: a day
    without a time) and ``byline`` may be functions: the byline is always read, htmldate's reading
    (a good part of the extraction's time) only when its vote could change the day."""
    candidates = [
        ("json-ld", meta.ld_published),
        ("meta", _meta_value(meta, PUBLISHED_META)),
        ("time", meta.time_published),
        ("feed", page.hints.get("published")),
        ("byline", byline),
        ("trafilatura", extracted),
        ("meta-weak", _meta_value(meta, WEAK_PUBLISHED_META)),
    ]
    candidates = [(o, t() if callable(t) and o != "trafilatura" else t) for o, t in candidates]
    if callable(extracted):
        others = [(o, t) for o, t in candidates if o != "trafilatura"]
        if vote_margin(others, page.timezone, page.fetched) > WEIGHTS["trafilatura"]:
            candidates = others
        else:
            candidates = [(o, extracted() if o == "trafilatura" else t) for o, t in candidates]
    found = weigh_dates(candidates, page.timezone, page.fetched)
    if found:
        return found
    from_url = date_from_url(page.url, page.timezone)
    if from_url and plausible(from_url, page.fetched):
        return from_url, "url"
    return None, None


def _first_date(texts: list[str | None], page: Page) -> datetime | None:
    for text in texts:
        parsed = parse_date(text, page.timezone)
        if parsed and plausible(parsed[0], page.fetched):
            return parsed[0]
    return None


def _meta_value(meta: PageMetadata, names: tuple[str, ...]) -> str | None:
    found = meta.first_meta(names)
    return found[1] if found else None
