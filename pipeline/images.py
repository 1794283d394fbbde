"""Keep every article image through trafilatura.

trafilatura keeps an ``<img>`` only when its URL ends in an image file extension and it reads
``src``/``data-src`` only, so CDN URLs such as ``…/om_bt/Orky…/641`` and lazy-loading attributes
(``data-original``, ``data-lazy-src``, ``srcset``) lose the image. Before extraction each content
image gets a stand-in URL that trafilatura keeps; after extraction the stand-ins are swapped back
for the real, absolute URLs.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

STAND_IN = "https://image.newsarchive.invalid/{}.jpg"
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


def protect_images(tree: etree._Element, base_url: str) -> dict[str, str]:
    """Give each image a stand-in source trafilatura keeps; returns stand-in → real absolute URL.
    Tracking pixels and images without a real source are removed; a <figcaption> becomes a paragraph,
    so that the caption stays right below its picture."""
    real: dict[str, str] = {}
    for caption in tree.iter("figcaption"):
        caption.tag = "p"
    for img in list(tree.iter("img")):
        source = real_source(img)
        url = urljoin(base_url, source) if source else ""
        pixel = img.get("width") in ("0", "1") and img.get("height") in ("0", "1")
        if pixel or not url.startswith(("http://", "https://")):
            _drop(img)
            continue
        stand_in = STAND_IN.format(len(real))
        for attr in [
            a for a in img.attrib if a.startswith("data-src") or a in _SOURCES or a.endswith("srcset")
        ]:
            del img.attrib[attr]
        img.set("src", stand_in)
        real[stand_in] = url
    return real


def _drop(img: etree._Element) -> None:
    parent = img.getparent()
    if parent is None:
        return
    if img.tail:
        previous = img.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + img.tail
        else:
            parent.text = (parent.text or "") + img.tail
    parent.remove(img)


def restore_images(body: etree._Element, real: dict[str, str]) -> None:
    """Put the real URLs back into trafilatura's output (``graphic`` elements)."""
    for graphic in body.iter("graphic"):
        source = graphic.get("src")
        if source in real:
            graphic.set("src", real[source])
