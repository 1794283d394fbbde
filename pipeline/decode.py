"""Bytes → text for HTML pages, whatever their charset and wherever (or whether) it is declared.

Order: byte-order mark, then the HTTP header, then the page's own <meta> declaration, then strict
UTF-8, then statistical detection. A declaration that does not decode cleanly is passed over, so a
page whose header and meta disagree still reads right; a header naming ISO-8859-1, which decodes any bytes,
yields to the page's own declaration when the bytes are valid in it.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

DETECT_BYTES = 64 * 1024
MAX_BAD_RATIO = 0.001  # a declared charset may misread a few stray bytes, not more


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used)."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        return body[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding
    header = _known(http_content_type_encoding(content_type or ""))
    meta = _known(html_body_declared_encoding(body[:8192]))
    declared = [header, meta]
    if header == "cp1252" and meta != header and _strictly(body, meta or "utf-8"):
        # ISO-8859-1 (read as cp1252) in the header is often the server's default rather than the page's
        # charset, and a single-byte charset reads any bytes without error: the page's own declaration (or
        # UTF-8 when it has none) goes first when the bytes are valid in it.
        declared = [meta or "utf-8", header]
    for encoding in declared:
        if encoding and encoding not in ("utf-16", "utf-32"):
            text = _decode_mostly(body, encoding)
            if text is not None:
                return text, encoding
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:DETECT_BYTES]).best()
    encoding = _known(best.encoding if best else None) or "cp1252"
    if encoding in ("gb2312", "gbk"):
        encoding = "gb18030"
    return body.decode(encoding, errors="replace"), encoding


def _known(name: str | None) -> str | None:
    if not name:
        return None
    resolved = resolve_encoding(name)  # also maps gb2312/gbk → gb18030, latin-1 → cp1252
    if not resolved:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def _strictly(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _decode_mostly(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        pass
    text = body.decode(encoding, errors="replace")
    if text.count("\ufffd") <= max(2, len(text) * MAX_BAD_RATIO):
        return text
    return None
