"""A fetched page → an Article: decode, read the page's own metadata, let trafilatura find the
body, then choose the best title, dates, authors and language from what was found."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import load_html

from archive.article import Article, plain_text
from archive.identity import clean_url, is_http_url
from pipeline.dates import parse_date, plausible
from pipeline.decode import decode_html
from pipeline.images import protect_images, restore_images
from pipeline.markdown import TRAFILATURA_OPTIONS, body_markdown
from pipeline.metadata import AUTHOR_META, MODIFIED_META, PUBLISHED_META, PageMetadata, read_metadata
from pipeline.page import Page, SkipPage

MIN_TEXT_WEIGHT = 300  # below this a page found by guessing is a listing or a stub, not an article
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+|\s*[_｜|]\s*|\s+::\s+")
_UTF8_PARSER = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True)
_BYLINE_PREFIX = re.compile(r"^(by|von|par|por|di|door|av|af|作者|记者|文|编辑)\s*[:：/]?\s+", re.IGNORECASE)


def extract(page: Page) -> Article:
    """Raises SkipPage when the page is not an article worth keeping."""
    if not _is_html(page):
        raise SkipPage("not_html", page.content_type or "no content type")
    if _looks_binary(page.body):
        raise SkipPage("not_html", "binary data")
    text, _encoding = decode_html(page.body, page.content_type)
    tree = load_html(text)
    if tree is None:  # trafilatura rejects pages that start with a <script> or stray text
        tree = _lenient_parse(text)
    if tree is None:
        raise SkipPage("unparsable", "not readable as HTML")
    meta = read_metadata(tree, page.url)
    images = protect_images(tree, page.url)
    doc = trafilatura.bare_extraction(tree, url=page.url, **TRAFILATURA_OPTIONS)
    if doc is None or doc.body is None:
        raise SkipPage("empty", "no article text found")
    restore_images(doc.body, images)
    title = choose_title(meta, doc.title, doc.sitename, page.hints.get("title"))
    if not title:
        raise SkipPage("empty", "no title")
    body = body_markdown(doc.body, title=title)
    weight = _text_weight(plain_text(body))
    if weight == 0:
        raise SkipPage("empty", "no article text found")
    if weight < MIN_TEXT_WEIGHT and page.via == "section" and not _declares_article(meta):
        # A link on a section page that only looked like an article. What a feed or sitemap lists,
        # or what says it is an article, is kept however short (a paywalled or video page).
        raise SkipPage("not_article", "too little text for an article")
    published, date_source = choose_published(meta, doc.date, page)
    modified = _first_date([meta.ld_modified, _meta_value(meta, MODIFIED_META)], page)
    image = meta.meta.get("og:image") or meta.meta.get("twitter:image") or meta.ld_image or doc.image
    return Article(
        url=choose_url(meta.canonical, page.url, page.site_domains),
        fetched_url=clean_url(page.url),
        source=page.source,
        title=title,
        body=body,
        fetched=page.fetched,
        timezone=page.timezone,
        published=published,
        modified=modified if modified and (not published or modified > published) else None,
        date_source=date_source,
        lang=choose_lang(meta, page.lang),
        authors=choose_authors(meta, doc.author),
        description=meta.meta.get("og:description") or meta.meta.get("description") or meta.ld_description,
        thumbnail=urljoin(page.url, image) if image else None,
        sitename=meta.meta.get("og:site_name") or meta.ld_publisher or doc.sitename,
    )


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
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(4, len(head) // 100)


def _lenient_parse(text: str) -> lxml_html.HtmlElement | None:
    """Parse a page that starts with something else than HTML (a <script>, stray text): libxml2
    would put all of it into <head>, so it is read as the content of a <body>."""
    try:
        tree = lxml_html.document_fromstring(("<html><body>" + text).encode("utf-8"), parser=_UTF8_PARSER)
    except (ValueError, etree.ParserError):
        return None
    return tree if len(tree.text_content().strip()) else None


def _text_weight(text: str) -> int:
    """Characters of text, a CJK character counting three (it carries a word's worth)."""
    compact = "".join(text.split())
    return len(compact) + 2 * len(_CJK.findall(compact))


def choose_url(canonical: str | None, fetched: str, site_domains: list[str] | None = None) -> str:
    """The page's canonical URL when it names one on the same site (or on a host the source may
    crawl), else the fetched URL. A canonical elsewhere is not trusted: a page cannot claim to be
    another site's article."""
    if canonical and is_http_url(canonical) and urlsplit(canonical).path.strip("/"):  # not the homepage
        host = urlsplit(canonical).hostname or ""
        on_source = any(host == d or host.endswith("." + d) for d in site_domains or [])
        if on_source or _same_site(canonical, fetched):
            return clean_url(canonical)
    return clean_url(fetched)


def _same_site(a: str, b: str) -> bool:
    """Same host, give or take a www./m./amp. prefix or a subdomain of the other."""
    host_a, host_b = (re.sub(r"^(www|m|amp|mobile)\.", "", urlsplit(u).hostname or "") for u in (a, b))
    return host_a == host_b or host_a.endswith("." + host_b) or host_b.endswith("." + host_a)


def choose_title(meta: PageMetadata, extracted: str | None, sitename: str | None, hint: str | None) -> str:
    sites = {s for s in (meta.meta.get("og:site_name"), meta.ld_publisher, meta.meta.get("application-name"),
                         sitename) if s}  # fmt: skip
    for candidate in (meta.meta.get("og:title"), meta.ld_headline, meta.h1, hint, meta.title_tag, extracted):
        if candidate:
            return strip_site_name(candidate, sites, meta.h1)
    return ""


def strip_site_name(title: str, sites: set[str], h1: str | None = None) -> str:
    """Drop a leading or trailing part that names the site ('Headline | Site', 'Site - Headline',
    'Headline_腾讯新闻'), leaving separators inside the headline alone."""
    title = " ".join(title.split())
    if h1 and h1 != title and title.startswith(h1) and _TITLE_SEPARATORS.match(title[len(h1) :]):
        return h1
    names = {_fold(s) for s in sites}
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if _names_site(parts[-1], names):
        cut = [m.start() for m in _TITLE_SEPARATORS.finditer(title)][-1]
        return title[:cut].strip() or title
    if _names_site(parts[0], names):
        match = _TITLE_SEPARATORS.search(title)
        return title[match.end() :].strip() if match else title
    return title


def _names_site(part: str, names: set[str]) -> bool:
    """'BBC News' names the site 'BBC'; 'Fake news spreads' does not name the site 'News'."""
    folded = _fold(part)
    return bool(folded) and any(
        folded == n
        or (len(n) >= 3 and n in folded and len(folded) <= len(n) + 6)
        or (len(folded) >= 3 and folded in n)
        for n in names
    )


def _fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def choose_published(
    meta: PageMetadata, extracted: str | None, page: Page
) -> tuple[datetime | None, str | None]:
    """The publication date with the most precision any trustworthy source on the page gives."""
    candidates = [
        ("json-ld", meta.ld_published),
        ("meta", _meta_value(meta, PUBLISHED_META)),
        ("time", meta.time_published),
        ("feed", page.hints.get("published")),
        ("trafilatura", extracted),
    ]
    day_only: tuple[datetime, str] | None = None
    for origin, text in candidates:
        parsed = parse_date(text, page.timezone)
        if parsed is None or not plausible(parsed[0], page.fetched):
            continue
        moment, has_time = parsed
        if origin == "trafilatura" and not has_time and (moment.month, moment.day) == (1, 1):
            continue  # htmldate's reading of a bare year in the text ("突破2000万", "© 2024"), not a date
        if has_time:
            if day_only and moment.date() != day_only[0].date():
                continue  # a time from a less trusted source for another day: keep the day
            return moment, origin
        day_only = day_only or (moment, origin)
    return (day_only[0], day_only[1]) if day_only else (None, None)


def _first_date(texts: list[str | None], page: Page) -> datetime | None:
    for text in texts:
        parsed = parse_date(text, page.timezone)
        if parsed and plausible(parsed[0], page.fetched):
            return parsed[0]
    return None


def _meta_value(meta: PageMetadata, names: tuple[str, ...]) -> str | None:
    found = meta.first_meta(names)
    return found[1] if found else None


def choose_authors(meta: PageMetadata, extracted: str | None) -> list[str]:
    raw = list(meta.ld_authors)
    if not raw:
        value = _meta_value(meta, AUTHOR_META)
        if value and not value.startswith(("http://", "https://")):
            raw = re.split(r"\s*[;,]\s*|\s+(?:and|und|et|y|&)\s+", value)
    if not raw and extracted:
        raw = extracted.split(";")
    authors: list[str] = []
    for name in raw:
        name = _BYLINE_PREFIX.sub("", name.strip()).strip(" ,;|")
        if name and name not in authors and len(name) <= 100:
            authors.append(name)
    return authors


def choose_lang(meta: PageMetadata, default: str | None) -> str | None:
    for value in (
        meta.html_lang,
        meta.meta.get("content-language"),
        meta.meta.get("og:locale"),
        meta.ld_lang,
    ):
        tag = bcp47(value)
        if tag:
            return tag
    return default


def bcp47(value: str | None) -> str | None:
    """'zh_cn' → 'zh-CN', 'EN-us' → 'en-US', 'zh-hans-cn' → 'zh-Hans-CN'."""
    if not value:
        return None
    parts = re.split(r"[-_]", value.strip().split(",")[0].strip())
    if not re.fullmatch(r"[A-Za-z]{2,3}", parts[0]):
        return None
    tag = [parts[0].lower()]
    for part in parts[1:]:
        if re.fullmatch(r"[A-Za-z]{4}", part):
            tag.append(part.title())
        elif re.fullmatch(r"[A-Za-z]{2}|\d{3}", part):
            tag.append(part.upper())
        elif re.fullmatch(r"[A-Za-z0-9]{5,8}", part):
            tag.append(part.lower())
        else:
            break
    return "-".join(tag)
