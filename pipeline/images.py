"""Article images, kept where the article's text is.

trafilatura is run without images: with them it keeps more of a page's clutter (it then declines its
cleaner fallback extraction whenever the main one holds a picture, and keeps every <figure>), and it drops
images anyway when their URL lacks an image file extension (CDN URLs such as ``…/om_bt/Orky…/641``) or sits
in a lazy-loading attribute (``data-original``, ``data-lazy-src``, ``srcset``). Instead, each content image is
noted before extraction with the text on either side of it, and put back after extraction next to that
text: an image is kept when the text before it and the text after it both made it into the body (or it
follows the headline), so pictures in teasers, galleries of other articles and footers go with them.

A ``<figcaption>`` belongs to its picture, not to the article's text: it becomes the image's title
(``![alt](url "caption")``), so that it stays with the picture without being read as a paragraph.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from urllib.parse import urljoin

from lxml import etree

_SOURCES = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url", "data-echo", "src")
_PLACEHOLDER = re.compile(r"^data:|blank\.|placeholder|spacer|transparent|pixel\.|1x1|loading\.gif", re.I)


def real_source(img: etree._Element) -> str | None:
    """The URL of the picture an <img> shows once loaded (lazy-loading attributes first)."""
    for attr in _SOURCES:
        value = (img.get(attr) or "").strip()
        if value and not _PLACEHOLDER.search(value):
            return value
    for attr in ("data-srcset", "srcset"):
        value = (img.get(attr) or "").strip()
        if value:
            return value.split(",")[0].split()[0]
    return None


MIN_ANCHOR = 12  # characters: shorter texts ("0", "12:02", "Foto: dpa") say nothing about where one is
NEAR = 2  # texts on each side of an image that may anchor it
_HIDDEN = {"script", "noscript", "template", "svg", "button"}  # <noscript> holds copies of lazy images
# The page's images and texts in document order, and the texts that anchor nothing (scripts, styles,
# captions): plain strings, much cheaper than lxml's strings that know their element.
_SEQUENCE = etree.XPath("//body//img | //body//text()", smart_strings=False)
_NO_ANCHOR = etree.XPath(
    "//script//text() | //style//text() | //figure//text() | //noscript//text() | //template//text()"
    " | //select//text() | //textarea//text()",
    smart_strings=False,
)
_ANY_IMAGE = etree.XPath("boolean(//body//img)")
_HEADLINE = etree.XPath("//h1//text()", smart_strings=False)


@dataclass
class Image:
    url: str  # absolute
    alt: str = ""
    caption: str | None = None  # the text of the <figcaption> of its figure
    before: list[str] = field(default_factory=list)  # the nearest texts before it, nearest first
    after: list[str] = field(default_factory=list)  # the nearest texts after it
    after_headline: bool = False  # the page's <h1> is among the texts before it


def find_images(tree: etree._Element, base_url: str) -> list[Image]:
    """The page's content images in document order, each with the texts around it. Tracking pixels and
    images without a real source are left out; text inside figures (captions, credits) is not an anchor."""
    if not _ANY_IMAGE(tree):
        return []
    images: list[Image] = []
    pending: list[Image] = []  # waiting for the texts after them
    recent: list[str] = []  # the last texts, nearest last
    figures: set[etree._Element] = set()
    excluded: set[str] | None = None
    headline: set[str] | None = None
    for item in _SEQUENCE(tree):
        if item.__class__ is str:
            if len(item) < MIN_ANCHOR:
                continue
            text = item.strip()
            if len(text) < MIN_ANCHOR or (excluded is not None and item in excluded):
                continue
            if pending:
                text = _norm(text)
                for image in pending:
                    image.after.append(text)
                pending = [i for i in pending if len(i.after) < NEAR]
            recent = [*recent[1 - NEAR :], text]
            continue
        if excluded is None:  # the first image: from here on, texts are looked at closely
            excluded = set(_NO_ANCHOR(tree))
            headline = {_norm(t) for t in _HEADLINE(tree)}
            recent = [t for t in recent if t not in excluded]  # (compared stripped: close enough)
        figure, hidden = _context(item)
        if hidden:
            continue
        if figure is None:
            found = [_image(item, base_url)]
        elif figure not in figures:
            figures.add(figure)
            found = [_image(i, base_url) for i in figure.iter("img") if not _context(i)[1]]
            caption = next(figure.iter("figcaption"), None)
            if caption is not None and found and found[-1] is not None:
                found[-1].caption = _norm("".join(caption.itertext())) or None
        else:
            continue
        before = [_norm(t) for t in reversed(recent)]
        after_headline = any(t in headline for t in before)
        for image in filter(None, found):
            image.before, image.after_headline = before, after_headline
            images.append(image)
            pending.append(image)
    return images


def _context(img: etree._Element) -> tuple[etree._Element | None, bool]:
    """(the <figure> an image is in, whether it is hidden in a <noscript>, <script>, ...)."""
    figure = None
    for ancestor in img.iterancestors():
        tag = ancestor.tag
        if tag in _HIDDEN:
            return figure, True
        if figure is None and tag == "figure":
            figure = ancestor
    return figure, False


def _image(img: etree._Element, base_url: str) -> Image | None:
    source = real_source(img)
    if not source:
        return None
    url = source if source.startswith(("https://", "http://")) else urljoin(base_url, source)
    pixel = img.get("width") in ("0", "1") and img.get("height") in ("0", "1")
    if pixel or not url.startswith(("http://", "https://")):
        return None
    return Image(url, alt=_norm(img.get("alt") or ""))


def _norm(text: str) -> str:
    return " ".join(text.split())


def place_images(body: etree._Element, images: list[Image]) -> int:
    """Put the images into trafilatura's body (``graphic`` elements between its blocks): after the block
    holding the text before each, or before the block holding the text after it when the text before
    was the headline. Returns how many were placed."""
    blocks = list(body)
    if not blocks or not images:
        return 0
    texts = [" ".join("".join(child.itertext()).split()) for child in blocks]
    joined = "\n".join(texts)  # an anchor text holds no line break: it is found within one block
    starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))

    def block_with(anchors: list[str]) -> int | None:
        """Index of the block holding the first of the anchors found."""
        for anchor in anchors:
            at = joined.find(anchor)
            if at >= 0:
                return bisect_right(starts, at) - 1
        return None

    placed = 0
    previous: dict[int, etree._Element] = {}  # block index → the last image put after it
    for image in images:
        before = block_with(image.before)
        after = block_with(image.after)
        if after is None and image.after:
            continue  # the text after it is not in the article: a teaser, a gallery, a footer
        if before is None and not image.after_headline:
            continue  # the text before it is not in the article (nor the headline): a logo, a navigation
        graphic = etree.Element("graphic", src=image.url)
        if image.alt:
            graphic.set("alt", image.alt)
        if image.caption:
            graphic.set("title", image.caption)
        if before is not None:
            anchor = previous.get(before, blocks[before])
            anchor.addnext(graphic)
            previous[before] = graphic
        elif after is not None:
            blocks[after].addprevious(graphic)
        else:
            continue
        _move_tail(graphic)
        placed += 1
    return placed


def _move_tail(graphic: etree._Element) -> None:
    """addnext gives the new element the anchor's tail: keep it with the anchor."""
    if graphic.tail:
        previous = graphic.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + graphic.tail
        graphic.tail = None
