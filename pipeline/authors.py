"""The article's authors as a list of names: from JSON-LD, <meta>, the visible byline or trafilatura, in
that order, each name cleaned of "By"/"Von"/"记者", of roles ("Redakteur", "Staff writer"), of agency
suffixes ("(AFP)", "/dpa") and of the site's own name, which is not an author."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_PREFIX = re.compile(
    r"^(?:(?:(?:post\s+)?author|written|reported|reporting|text|words|story|posted|published|photos?|fotos?|"
    r"veröffentlicht|eingestellt|geschrieben|verfasst|publiziert|beitrag)\s+(?:by|von)\b\s*:?\s*|"
    r"(?:by|von|vom|par|por|di|da|door|av|af|text|autor(?:in)?|author|auteur|redaktion)(?:\s*[:：/|]\s*|\s+)|"
    r"(?:作者|记者|撰文|文|编辑|責任編集|記者|기자)\s*[:：/／|]?\s*)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:[;,，、|]|\s(?:and|und|et|y|e|en|og|och|i|&)\s)\s*", re.IGNORECASE)
_AGENCY = r"dpa|afp|ap|reuters|kna|epd|apa|sda|ansa|efe|xinhua|kyodo|yonhap|ddp|sid|rtr|ats"
_AGENCY_SUFFIX = re.compile(rf"\s*(?:[/(]\s*(?:{_AGENCY})\s*\)?|\((?:[^)]{{1,30}})\))\s*$", re.IGNORECASE)
_ROLES = re.compile(
    r"\b(?:staff\s+writer|senior\s+\w+\s+(?:reporter|correspondent|editor)|correspondent|reporter|editor|"
    r"contributor|columnist|redakteur(?:in)?|korrespondent(?:in)?|journalist(?:in)?|reporter(?:in)?|"
    r"chefredakteur(?:in)?|ressortleiter(?:in)?|rédacteur|rédactrice|redactor|redactora|corresponsal|"
    r"photographer|fotograf(?:in)?)\b.*$",
    re.IGNORECASE,
)
# A byline prefix glued to the name by the page's markup ("Veröffentlicht vonChris Jung", "AuthorAndreas Kalt").
_GLUED_PREFIX = re.compile(
    r"^(?:[Vv]eröffentlicht von|[Gg]eschrieben von|[Pp]osted by|[Ww]ritten by|[Vv]iew all posts by|[Aa]uthor|"
    r"[Aa]rtikel von:?)\s*(?=[A-ZÄÖÜ])"
)
# Labels and comment lines that are not names: "Posted on", "Veröffentlicht am", "Name", "Art Edwards says".
_NOT_A_NAME = re.compile(
    r"^(?:posted|published|veröffentlicht|publiziert|geschrieben|erstellt)(?:\s+(?:on|am|by|von))?$|"
    r"^(?:by|von|name|author|autor)$|\s(?:says|said|sagt|schreibt|écrit|dice)\s*:?$",
    re.IGNORECASE,
)
MAX_NAME = 60


def choose_authors(sources: Iterable[list[str] | str | None], sites: set[str]) -> list[str]:
    """The first source (a list of names, or a byline string) that yields a cleaned name."""
    for source in sources:
        if not source:
            continue
        raw = [source] if isinstance(source, str) else source
        names = clean_names(raw, sites)
        if names:
            return names
    return []


def clean_names(raw: list[str], sites: set[str]) -> list[str]:
    names: list[str] = []
    for item in raw:
        if not item or item.startswith(("http://", "https://")) or "@" in item:
            continue
        for part in _SPLIT.split(_strip(item)):
            name = _clean(part)
            if name and not _is_site(name, sites) and name not in names:
                names.append(name)
    return names


def _strip(text: str) -> str:
    text = " ".join(text.split())
    for _ in range(2):
        text = _GLUED_PREFIX.sub("", _PREFIX.sub("", text)).strip(" ,;:|-–—~·•")
    return text


def _clean(part: str) -> str | None:
    name = _strip(part)
    name = _AGENCY_SUFFIX.sub("", name)
    name = _ROLES.sub("", name).strip(" ,;:|-–—/")
    if not name or len(name) > MAX_NAME or len(name.split()) > 6 or re.search(r"\d|https?:|www\.", name):
        return None
    if _NOT_A_NAME.search(name):
        return None
    return name


def _is_site(name: str, sites: set[str]) -> bool:
    folded = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", name).casefold())
    return any(folded == s or (len(s) >= 6 and folded.startswith(s)) for s in sites)
