"""Bytes → text for HTML pages, whatever their charset and wherever (or whether) it is declared.

Order: byte-order mark, then the HTTP header, then the page's own <meta> declaration, then strict
UTF-8, then statistical detection. A declaration that does not decode cleanly is passed over, so a
page whose header and meta disagree still reads right; a header naming ISO-8859-1, which decodes any bytes,
yields to the page's own declaration when the bytes are valid in it, and to UTF-8 when the bytes are UTF-8
but for a few stray Windows-1252 bytes (those are read as Windows-1252). Bytes that no charset reads are
dropped rather than kept as U+FFFD, and text that was UTF-8 read as Windows-1252 before it reached the page
("fÃ¼r", "Â´") is repaired.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

DETECT_BYTES = 64 * 1024
MAX_BAD_RATIO = 0.001  # a declared charset may misread a few stray bytes, not more
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CP1252_HIGH = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122"
)
_DOUBLE_UTF8 = re.compile(f"(?:[\u00c2-\u00df][{_CP1252_HIGH}]|[\u00e0-\u00ef][{_CP1252_HIGH}]{{2}})+")


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a byte that is not UTF-8 is read as Windows-1252 (or dropped when undefined)."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("cp1252", errors="ignore"), error.end


codecs.register_error("newsarchive-cp1252", _cp1252_fallback)


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used)."""
    text, encoding = _decode(body, content_type)
    return repair_double_utf8(text.replace("\ufffd", "")), encoding


def repair_double_utf8(text: str) -> str:
    """'fÃ¼r' → 'für': runs of UTF-8 bytes that were read as Windows-1252 somewhere upstream."""
    if "Ã" not in text and "Â" not in text and "â€" not in text:
        return text

    def fix(match: re.Match) -> str:
        try:
            return match.group(0).encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group(0)

    return _DOUBLE_UTF8.sub(fix, text)


def _decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        return body[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding
    header = _known(http_content_type_encoding(content_type or ""))
    meta = _known(html_body_declared_encoding(body[:8192]))
    declared = [header, meta]
    if "utf-8" in declared or not (header or meta):
        mostly = _mostly_utf8(body)
        if mostly is not None:
            return mostly, "utf-8"
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


def _mostly_utf8(body: bytes) -> str | None:
    """The text of a UTF-8 page with a few stray Windows-1252 bytes (a ’ pasted in from Word), else None."""
    try:
        body.decode("utf-8")
        return None  # valid UTF-8: the ordinary path reads it
    except UnicodeDecodeError:
        pass
    sequences = len(_UTF8_SEQUENCE.findall(body))
    text = body.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    if sequences >= 3 and sequences >= 5 * stray:
        return body.decode("utf-8", errors="newsarchive-cp1252")
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
