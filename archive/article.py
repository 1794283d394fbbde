"""The normalized article: what the pipeline produces and the archive stores."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from archive.identity import article_uid


@dataclass
class Article:
    url: str  # the article's URL (its canonical URL when the page names one on the same site)
    fetched_url: str  # the URL the page was fetched from
    source: str  # the source's short name from config.yaml
    title: str
    body: str  # Markdown body, without the trailing source link
    fetched: datetime  # aware, when the page was downloaded
    timezone: str = "UTC"  # the source's zone: front-matter dates without an offset of the page's own
    published: datetime | None = None  # aware; in the page's own offset when the page states one
    modified: datetime | None = None  # aware, as published
    date_source: str | None = None  # where the publication date was found (e.g. "json-ld", "meta")
    lang: str | None = None
    authors: list[str] = field(default_factory=list)
    description: str | None = None
    thumbnail: str | None = None
    sitename: str | None = None
    aliases: list[str] = field(default_factory=list)  # other URLs that led to this article
    revised: bool = False  # a later version of an archived article (the layout's lastmod shows)
    # The text's similarity fingerprint (archive/similarity.py), computed in the extraction worker:
    # None = not computed yet, b"" = the text is too short to judge.
    signature: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def uid(self) -> str:
        return article_uid(self.url)

    @property
    def content_hash(self) -> str:
        """Fingerprint of what the reader sees (title and text), blind to whitespace and Markdown."""
        text = normalize_text(self.title) + "\n" + normalize_text(plain_text(self.body))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_LINE_MARK = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+|\|)", re.MULTILINE)
_MD_INLINE = re.compile(r"(\*\*|__|\*|`|\\(?=[\\`*_{}\[\]()#+\-.!>|]))")


def plain_text(markdown: str) -> str:
    """The reading text of a Markdown body: images dropped, links and emphasis reduced to text."""
    text = _MD_IMAGE.sub("", markdown)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_LINE_MARK.sub("", text)
    text = _MD_INLINE.sub("", text)
    return text


def normalize_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())
