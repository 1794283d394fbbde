"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds → entries (link, title, published). Parsed with lxml with
entity expansion and network access switched off, so a hostile feed cannot expand or fetch."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None = None
    published: str | None = None  # as written in the feed; the pipeline parses it


class NotAFeed(ValueError):
    pass


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip


def parse_feed(body: bytes, base_url: str) -> list[FeedEntry]:
    try:
        root = etree.fromstring(body.lstrip(), parser=_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise NotAFeed(f"not XML: {exc}") from exc
    if root is None:
        raise NotAFeed("empty document")
    kind = etree.QName(root).localname.lower()
    if kind not in ("rss", "feed", "rdf"):
        raise NotAFeed(f"root element <{kind}> is not rss, feed or RDF")
    entries: list[FeedEntry] = []
    for node in root.iter("{*}item", "{*}entry"):
        url = _entry_link(node)
        if url:
            entries.append(FeedEntry(urljoin(base_url, url), _child_text(node, "title"), _entry_date(node)))
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


def _entry_link(node: etree._Element) -> str | None:
    for link in node.iterfind("{*}link"):
        href = link.get("href")
        if href and link.get("rel", "alternate") == "alternate":
            return href.strip()
        if not href and link.text and link.text.strip():
            return link.text.strip()
    guid = node.find("{*}guid")
    if guid is not None and guid.text and guid.get("isPermaLink", "true") != "false":
        text = guid.text.strip()
        if text.startswith(("http://", "https://")):
            return text
    about = node.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    return about.strip() if about else None


def _entry_date(node: etree._Element) -> str | None:
    for name in ("pubDate", "published", "issued", "date", "updated", "modified"):
        value = _child_text(node, name)
        if value:
            return value
    return None


def _child_text(node: etree._Element, name: str) -> str | None:
    child = node.find("{*}" + name)
    if child is None:
        return None
    text = " ".join("".join(child.itertext()).split())
    return text or None
