"""Metadata a news page states about itself: JSON-LD, <meta> tags, <time>, <link rel=canonical>,
<html lang>, headings. Plain functions over an lxml tree; choosing between the findings is
``extract``'s job."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import html as lxml_html

_MARKUP = re.compile(r"<[/!a-zA-Z]")
ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "report",
    "scholarlyarticle", "socialmediaposting", "techarticle", "webpage",
}  # fmt: skip

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "publishdate", "pubdate", "publish-date", "publish_date", "published_time", "parsely-pub-date",
    "sailthru.date", "article.published", "article_date_original", "cxenseparse:recs:publishtime",
    "originalpublicationdate",
)  # fmt: skip
# Generic date metas: as often the day the page was generated or last changed as the day it was published.
WEAK_PUBLISHED_META = ("dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created", "date")
MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "last-modified", "dcterms.modified", "article.updated", "lastmod",
)  # fmt: skip
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")


@dataclass
class PageMetadata:
    html_lang: str | None = None
    canonical: str | None = None
    canonical_absolute: bool = False  # written as a full URL, not resolved against the fetched one
    # The same article's AMP and mobile pages: <link rel="amphtml">, <link rel="alternate" media="...">
    variants: list[str] = field(default_factory=list)
    title_tag: str | None = None
    h1: str | None = None
    headings: list[tuple[int, str]] = field(default_factory=list)  # (1 or 2, text) of <h1>/<h2>, in order
    heading_kickers: dict[str, str] = field(default_factory=dict)  # heading text -> with its kicker
    marked_headline: str | None = None  # the first <h1> marked up as the article's headline
    og_url: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # first value of each lower-cased name/property
    time_published: str | None = None  # <time datetime> marked as publication, or the first one
    ld_headline: str | None = None
    ld_published: str | None = None
    ld_modified: str | None = None
    ld_authors: list[str] = field(default_factory=list)
    ld_image: str | None = None
    ld_lang: str | None = None
    ld_description: str | None = None
    ld_publisher: str | None = None
    ld_is_article: bool = False
    ld_body: str | None = None  # articleBody
    ld_section: str | None = None

    def first_meta(self, names: tuple[str, ...]) -> tuple[str, str] | None:
        """(name, value) of the first of ``names`` present with a non-empty value."""
        for name in names:
            value = self.meta.get(name)
            if value:
                return name, value
        return None


def read_metadata(tree: lxml_html.HtmlElement, base_url: str) -> PageMetadata:
    found = PageMetadata()
    found.html_lang = _text(tree.get("lang") or tree.get("xml:lang"))
    for link in tree.iterfind(".//link[@rel]"):
        rel, href = link.get("rel", "").lower().split(), (link.get("href") or "").strip()
        if "canonical" in rel and href and found.canonical is None:
            found.canonical = urljoin(base_url, href)
            found.canonical_absolute = bool(re.match(r"(?i)(https?:)?//", href))
        elif href and ("amphtml" in rel or ("alternate" in rel and _mobile(link))):
            found.variants.append(urljoin(base_url, href))  # the same article's AMP or mobile page
    title = tree.find(".//title")
    # An unclosed <title> swallows the markup after it: keep what precedes the first tag.
    found.title_tag = _text(_MARKUP.split(title.text_content(), 1)[0]) if title is not None else None
    for heading in tree.iter("h1", "h2"):
        text = heading_text(heading)
        if text and len(found.headings) < 40:
            found.headings.append((int(heading.tag[1]), text))
            full = heading_text(heading, kicker=True)
            if full and full != text:
                found.heading_kickers[text] = full
            marks = " ".join(filter(None, (heading.get("itemprop"), heading.get("class"))))
            if heading.tag == "h1" and found.marked_headline is None and _HEADLINE_MARK.search(marks):
                found.marked_headline = text
    found.h1 = next((text for level, text in found.headings if level == 1), None)
    for meta in tree.iter("meta"):
        name = (
            meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv") or ""
        )
        value = _text(meta.get("content"))
        if value and "&" in value and _ENTITY.search(value):  # escaped twice by the publisher: "&#8211;"
            value = _text(html.unescape(value))
        if name and value:
            found.meta.setdefault(name.strip().lower(), value)
    og_url = found.meta.get("og:url")
    found.og_url = urljoin(base_url, og_url) if og_url else None
    found.time_published = _time_element(tree)
    _read_json_ld(tree, found, base_url)
    return found


def _mobile(link: lxml_html.HtmlElement) -> bool:
    """A separate mobile page's annotation: rel=alternate for a screen size, not a feed or a translation."""
    return bool(link.get("media")) and not link.get("type") and not link.get("hreflang")


# Parts of a heading that are not the headline: a kicker above it ("Dachzeile", overline, eyebrow) and text
# hidden from sight that only joins the kicker to it for screen readers (": ", " - ").
_KICKER = re.compile(
    r"kicker|dachzeile|overline|topline|roofline|supertitle|eyebrow|hidden|\bhide\b|sr-only|offscreen",
    re.IGNORECASE,
)
_HEADLINE_MARK = re.compile(
    r"\bheadline\b|\b(?:entry|article|post|story|news|content)[-_]{0,2}(?:title|headline|heading)\b",
    re.IGNORECASE,
)
_LEADING_PUNCTUATION = re.compile(r"^[\s:|\-–—·•]+")


def heading_text(elem: lxml_html.HtmlElement, kicker: bool = False) -> str | None:
    """Visible text of a heading: ruby annotations (<rt>, <rp>: furigana), scripts and comments left out,
    and so is a kicker (an element marked as one, or a <small> line) unless ``kicker`` or the heading has
    no other text."""

    def visible(node: lxml_html.HtmlElement, skip_kicker: bool) -> str:
        parts = [node.text or ""]
        for child in node:
            if not isinstance(child.tag, str) or child.tag in ("rt", "rp", "script", "style"):
                pass
            elif not (skip_kicker and (child.tag == "small" or _KICKER.search(child.get("class") or ""))):
                parts.append(visible(child, skip_kicker))
            parts.append(child.tail or "")
        return "".join(parts)

    text = None if kicker else _text(_LEADING_PUNCTUATION.sub("", visible(elem, True)))
    return text or _text(visible(elem, False))


def _time_element(tree: lxml_html.HtmlElement) -> str | None:
    times = [t for t in tree.iter("time") if t.get("datetime")]
    for t in times:
        marks = " ".join(filter(None, (t.get("itemprop"), t.get("class"), t.get("pubdate"), t.get("id"))))
        if re.search(r"publish|pubdate|datePublished|created", marks, re.IGNORECASE) or "pubdate" in t.attrib:
            return t.get("datetime").strip()
    return times[0].get("datetime").strip() if times else None


def _read_json_ld(tree: lxml_html.HtmlElement, found: PageMetadata, base_url: str) -> None:
    for script in tree.iterfind(".//script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        data = _load_json(script.text or "")
        for node in _walk(data):
            types = node.get("@type")
            types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
            kinds = {str(t).lower() for t in types}
            if not kinds & ARTICLE_TYPES:
                continue
            is_article = bool(kinds - {"webpage"})
            if found.ld_is_article and not is_article:
                continue  # a page-level WebPage never overrides the Article node
            if is_article and not found.ld_is_article:  # the first Article node wins over a WebPage
                found.ld_headline = found.ld_published = found.ld_modified = None
                found.ld_authors = []
            found.ld_is_article |= is_article
            found.ld_headline = found.ld_headline or _text(_first(node.get("headline") or node.get("name")))
            found.ld_published = found.ld_published or _text(_first(node.get("datePublished")))
            found.ld_modified = found.ld_modified or _text(_first(node.get("dateModified")))
            found.ld_authors = found.ld_authors or _names(node.get("author") or node.get("creator"))
            image = _url_of(node.get("image") or node.get("thumbnailUrl"))
            found.ld_image = found.ld_image or (urljoin(base_url, image) if image else None)
            found.ld_lang = found.ld_lang or _text(_first(node.get("inLanguage")))
            found.ld_description = found.ld_description or _text(_first(node.get("description")))
            found.ld_body = found.ld_body or _text(_first(node.get("articleBody")))
            publisher = _names(node.get("publisher"))
            found.ld_publisher = found.ld_publisher or (publisher[0] if publisher else None)


def _load_json(text: str) -> Any:
    text = re.sub(r"^\s*(<!--|//<!\[CDATA\[)|(-->|//\]\]>)\s*$", "", text.strip())
    try:
        return json.loads(text, strict=False, object_hook=_unescape_strings)
    except ValueError:
        return None


_ENTITY = re.compile(r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,5}|[a-zA-Z]{2,8});")


def _unescape_strings(node: dict[str, Any]) -> dict[str, Any]:
    """JSON-LD values are plain text, but many CMSs write HTML entities into them ("&#8211;", "&quot;")."""
    for key, value in node.items():
        if isinstance(value, str) and "&" in value and _ENTITY.search(value) and key != "articleBody":
            node[key] = html.unescape(value)
    return node


def _walk(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if isinstance(data.get(key), list | dict):
                yield from _walk(data[key], depth + 1)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        name = _text(_first(name)) if isinstance(_first(name), str) else None
        if name and not name.startswith(("http://", "https://")):
            names.append(name)
    return names


def _url_of(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return _text(value) if isinstance(value, str) else None


_SURROGATES = re.compile("[\ud800-\udfff]")  # JSON's "\\ud83d" escape decodes to a lone surrogate


def _text(value: Any) -> str | None:
    """Whitespace-normalized text, without lone surrogates (not text: UTF-8 cannot encode them)."""
    if not isinstance(value, str):
        return None
    text = " ".join(_SURROGATES.sub("", value).split())
    return text or None
