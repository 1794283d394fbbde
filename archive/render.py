"""Article → Markdown file text (Hugo front matter in the seed's style) and back.

The front matter is written by hand rather than by a YAML dumper so that its look is fixed:
keys in the configured order, every string double-quoted, lists in block style, exactly like
the reference article. Values are escaped so that any text round-trips through a YAML parser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import frontmatter

from archive.article import Article, plain_text

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
SUMMARY_LENGTH = 50

# (key, constant value) pairs; None marks a key computed from the article.
Layout = Sequence[tuple[str, Any]]

# A layout value meaning "computed, but only for a revised article" (the default layout's lastmod:
# written when a revisit found the text changed, absent otherwise).
IF_REVISED = "\0if-revised"

# The seed's layout, for callers that have no configuration (tests, reindex of a bare folder).
MAINROAD_LAYOUT: Layout = (
    ("title", None),
    ("date", None),
    ("lastmod", IF_REVISED),
    ("summary", None),
    ("categories", None),
    ("lang", None),
    ("translations", None),
    ("tags", None),
    ("menu", ""),
    ("thumbnail", None),
    ("lead", ""),
    ("comments", False),
    ("authorbox", False),
    ("pager", True),
    ("toc", False),
    ("mathjax", False),
    ("sidebar", "right"),
    ("widgets", ["search", "recent", "taglist"]),
)


class FrontMatterError(ValueError):
    """A Markdown file whose front matter cannot be read."""


def summary(body: str, length: int = SUMMARY_LENGTH) -> str:
    """The first ``length`` characters of the body's text, then '...' (the seed's rule)."""
    text = " ".join(plain_text(body).split())
    return text[:length] + "..." if len(text) > length else text


def local_time(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(DATE_FORMAT)


def page_time(moment: datetime, zone: str) -> str:
    """A date as the publisher's clock showed it: in the offset the page stated (a fixed offset other than
    UTC on ``moment``), else in the source's ``zone``. When the page's offset is not the zone's at that
    instant, the offset is written too ("2025-02-07T15:51:13+08:00", RFC 3339), so the text still names the
    exact instant for Hugo and for reading the file back; otherwise the seed's "2025-02-07 15:51:13"."""
    offset = moment.utcoffset() if isinstance(moment.tzinfo, timezone) else None
    if not offset:  # zone-less on the page (read in the source's zone), UTC, or from the index
        return local_time(moment, zone)
    if moment.astimezone(ZoneInfo(zone)).utcoffset() == offset:
        return moment.strftime(DATE_FORMAT)
    sign, rest = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, minutes = divmod(int(rest.total_seconds()) // 60, 60)
    return f"{moment:%Y-%m-%dT%H:%M:%S}{sign}{hours:02d}:{minutes:02d}"


def computed_fields(article: Article) -> dict[str, Any]:
    """Every value a layout may ask for; None means 'leave the key out'."""
    lang = [article.lang] if article.lang else None
    date = article.published or article.fetched
    return {
        "title": article.title,
        "date": page_time(date, article.timezone),
        "lastmod": page_time(article.modified, article.timezone) if article.modified else None,
        "summary": summary(article.body),
        "categories": [article.source],
        "tags": [article.source],
        "lang": lang,
        "translations": lang,
        "thumbnail": article.thumbnail or "",
        "source_url": article.url,
        "canonical_url": article.url,
        "authors": list(article.authors) or None,
        "description": article.description,
        "fetched": local_time(article.fetched, article.timezone),
        "source": article.source,
        "id": article.uid,
        "sitename": article.sitename,
    }


def render(article: Article, layout: Layout = MAINROAD_LAYOUT) -> str:
    """The whole file: front matter, body, then the source link as the last line."""
    values = computed_fields(article)
    lines = ["---"]
    for key, constant in layout:
        if isinstance(constant, str) and constant == IF_REVISED:
            if not article.revised:
                continue
            constant = None
        value = values.get(key) if constant is None else constant
        if value is None:
            continue
        lines.extend(_yaml_entry(key, value))
    lines.append("---")
    head = "\n".join(lines)
    link = f"[{_link_text(article.source)}]({_link_target(article.url)})"
    body = article.body.strip()
    return f"{head}\n\n{body}\n\n{link}\n" if body else f"{head}\n\n{link}\n"


def parse(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a file's text; raises FrontMatterError when it does not parse."""
    if not text.startswith("---"):
        raise FrontMatterError("no front matter (the file must start with '---')")
    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # yaml raises many error types; all mean the same to the reader
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FrontMatterError(f"front matter is not valid YAML: {first_line}") from exc
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise FrontMatterError("front matter is empty or not a mapping")
    return dict(post.metadata), post.content


def _yaml_entry(key: str, value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [f"{key}:"] + [f"  - {_scalar(item)}" for item in value] if value else [f"{key}: []"]
    return [f"{key}: {_scalar(value)}"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return quote(str(value))


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


# Text that needs no escape at all, most values: what a YAML reader accepts literally inside a double-quoted
# scalar on one line, less '"' and '\\' (line separators U+0085/U+2028/U+2029 and the BOM are escaped).
_VERBATIM = re.compile(
    r"[\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)


def quote(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``text``, less any lone surrogates
    (not text: UTF-8 cannot encode them and YAML readers reject their escapes)."""
    if _VERBATIM.fullmatch(text):
        return f'"{text}"'
    out = []
    for ch in text:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            continue
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _VERBATIM.fullmatch(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _link_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _link_target(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
