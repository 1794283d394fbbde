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
from dataclasses import dataclass, field
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
_NO_TEXT = {
    "script",
    "style",
    "noscript",
    "template",
    "figure",
    "svg",
    "button",
    "select",
    "option",
    "textarea",
}


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
    images: list[Image] = []
    pending: list[Image] = []  # waiting for the texts after them
    recent: list[tuple[str, bool]] = []  # (text, in the headline), nearest last
    skipped = 0  # depth inside elements whose text is no anchor

    def text(value: str | None, headline: bool) -> None:
        if skipped or not value:
            return
        value = " ".join(value.split())
        if len(value) < MIN_ANCHOR:
            return
        for image in pending:
            image.after.append(value)
        pending[:] = [i for i in pending if len(i.after) < NEAR]
        recent.append((value, headline))
        del recent[:-NEAR]

    headline = 0
    for event, elem in etree.iterwalk(tree, events=("start", "end")):
        tag = elem.tag if isinstance(elem.tag, str) else None  # None: a comment or processing instruction
        if event == "start":
            if tag is None:  # no children: its tail follows at once (iterwalk gives it no "end")
                text(elem.tail, headline > 0)
                continue
            outside = not skipped
            skipped += tag in _NO_TEXT
            headline += tag == "h1"
            if outside and tag == "img":
                image = _image(elem, base_url)
                if image is not None:
                    _anchor([image], recent, images, pending)
            elif outside and tag == "figure":
                found = [i for i in (_image(img, base_url) for img in elem.iter("img")) if i is not None]
                caption = next(elem.iter("figcaption"), None)
                if found and caption is not None:
                    found[-1].caption = " ".join("".join(caption.itertext()).split()) or None
                _anchor(found, recent, images, pending)
            text(elem.text, headline > 0)
        elif tag is not None:
            skipped -= tag in _NO_TEXT
            headline -= tag == "h1"
            text(elem.tail, headline > 0)
    return images


def _anchor(
    found: list[Image], recent: list[tuple[str, bool]], images: list[Image], pending: list[Image]
) -> None:
    for image in found:
        image.before = [t for t, _ in reversed(recent)]
        image.after_headline = any(h for _, h in recent)
    images.extend(found)
    pending.extend(found)


def _image(img: etree._Element, base_url: str) -> Image | None:
    source = real_source(img)
    url = urljoin(base_url, source) if source else ""
    pixel = img.get("width") in ("0", "1") and img.get("height") in ("0", "1")
    if pixel or not url.startswith(("http://", "https://")):
        return None
    return Image(url, alt=" ".join((img.get("alt") or "").split()))


def place_images(body: etree._Element, images: list[Image]) -> int:
    """Put the images into trafilatura's body (``graphic`` elements between its blocks): after the block
    holding the text before each, or before the block holding the text after it when the text before
    was the headline. Returns how many were placed."""
    blocks = [(child, " ".join("".join(child.itertext()).split())) for child in body]
    if not blocks:
        return 0
    placed = 0
    previous: dict[int, etree._Element] = {}  # block index → the last image put after it
    for image in images:
        before = _block_with(blocks, image.before)
        after = _block_with(blocks, image.after)
        if after is None and image.after:
            continue  # the text after it is not in the article: a teaser, a gallery, a footer
        if before is None and not (image.after_headline or not image.before):
            continue
        graphic = etree.Element("graphic", src=image.url)
        if image.alt:
            graphic.set("alt", image.alt)
        if image.caption:
            graphic.set("title", image.caption)
        if before is not None:
            anchor = previous.get(before, blocks[before][0])
            anchor.addnext(graphic)
            previous[before] = graphic
        elif after is not None:
            blocks[after][0].addprevious(graphic)
        else:
            continue
        _move_tail(graphic)
        placed += 1
    return placed


def _block_with(blocks: list[tuple[etree._Element, str]], texts: list[str]) -> int | None:
    """Index of the body block holding the first of the texts found."""
    for text in texts:
        for index, (_, block_text) in enumerate(blocks):
            if text in block_text:
                return index
    return None


def _move_tail(graphic: etree._Element) -> None:
    """addnext gives the new element the anchor's tail: keep it with the anchor."""
    if graphic.tail:
        previous = graphic.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + graphic.tail
        graphic.tail = None
