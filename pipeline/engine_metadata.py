"""trafilatura's own reading of a page's metadata (title, date, authors, site name, image), computed only
as far as the pipeline asks for it.

``trafilatura.bare_extraction(with_metadata=True)`` reads every field on every page, and some fields are
costly: the author search copies the whole tree and runs a few dozen XPath expressions over it, htmldate
scans the page for dates, and categories, tags and licence are read although the archive uses none of them.
Together that is about a third of trafilatura's time per page. The pipeline reads the page's metadata
itself first (JSON-LD, <meta>, <time>, bylines) and asks trafilatura only when those say nothing, so here
the body is extracted without metadata and each field is read from trafilatura's functions on first use.
The values are the ones ``extract_metadata`` gives.

One difference: htmldate's last resort, dateparser, is told the page's language. Asked about a string it
cannot read, dateparser otherwise tries every one of its ~200 locales, and the first such string costs each
worker 2–4 s of CPU and 40 MB of memory it keeps (every locale's patterns compiled and cached); with the
page's language (and English, the language of many templates) it tries two, and for a page whose language
is not known, the sixteen languages most news is written in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from html import unescape
from typing import Any

from htmldate import extractors as htmldate_extractors
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.utils import line_processing

MAX_LENGTH = 10000  # as trafilatura trims its fields


class EngineMetadata:
    """Fields of trafilatura's metadata for one page tree. The tree must not change between reads."""

    def __init__(self, tree: etree._Element, url: str | None, date_params: dict[str, Any]):
        self._tree = tree
        self._url = url
        self._date_params = date_params
        self.date_language: str | None = None  # the page's, when known: what dateparser is told
        found = examine_meta(tree)  # <meta> tags: cheap
        if found.author and " " not in found.author:
            found.author = None  # a single word (a handle, "admin") is not a name, as trafilatura has it
        try:
            found = extract_meta_json(tree, found)  # JSON-LD
        except Exception:  # noqa: BLE001 - trafilatura's JSON-LD reader fails on odd data; the rest stands
            pass
        self._found = found

    @cached_property
    def title(self) -> str | None:
        return _clean(self._found.title or extract_title(self._tree))

    @cached_property
    def author(self) -> str | None:
        return _clean(self._found.author or extract_author(self._tree))

    @cached_property
    def url(self) -> str | None:
        return self._found.url or extract_url(self._tree, self._url)

    @cached_property
    def date(self) -> str | None:
        with _dateparser_languages(self.date_language):
            return _clean(find_date(self._tree, **{**self._date_params, "url": self.url}))

    @cached_property
    def sitename(self) -> str | None:
        name = self._found.sitename or extract_sitename(self._tree)
        if name:
            name = name.lstrip("@")
            if name and "." not in name and not name[0].isupper():
                name = name.title()
        elif self.url and (match := META_URL.match(self.url)):
            name = match[1]
        return _clean(name)

    @property
    def image(self) -> str | None:
        return _clean(self._found.image)


def _clean(value: str | None) -> str | None:
    """As trafilatura's Document.clean_and_trim: entities decoded, spaces and control characters gone."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_LENGTH:
        value = value[: MAX_LENGTH - 1] + "…"
    return line_processing(unescape(value))


@contextmanager
def _dateparser_languages(lang: str | None) -> Iterator[None]:
    """htmldate's dateparser, for the time of one call, limited to ``lang`` and English."""
    parser = _language_parser(lang.split("-")[0].lower()) if lang else _language_parser(*_WIDELY_USED)
    own = getattr(htmldate_extractors, "get_external_parser", None)
    if parser is None or own is None:  # a language dateparser lacks, or an htmldate that reads dates otherwise
        yield
        return
    htmldate_extractors.get_external_parser = lambda: parser
    try:
        yield
    finally:
        htmldate_extractors.get_external_parser = own


# For a page whose language is not known: the languages most news is written in.
_WIDELY_USED = ("en", "es", "fr", "de", "pt", "it", "ru", "uk", "pl", "nl", "tr", "ar", "zh", "ja", "ko", "hi")


@cache
def _language_parser(*languages: str) -> Any:
    """A dateparser parser for these languages (and English), set up as htmldate sets up its own; None
    when dateparser does not know one of them."""
    from dateparser import DateDataParser  # as htmldate: imported only when first needed

    settings = {
        "NORMALIZE": True,
        "PARSERS": ["custom-formats", "absolute-time"],
        "PREFER_DATES_FROM": "past",
        "PREFER_LOCALE_DATE_ORDER": True,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "STRICT_PARSING": True,
    }
    try:
        return DateDataParser(languages=list(dict.fromkeys([*languages, "en"])), settings=settings)
    except ValueError:  # a language dateparser has no data for
        return None
