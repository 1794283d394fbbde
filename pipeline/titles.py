"""The article's title: the page's visible headline when it agrees with what the page's metadata calls the
article, else the metadata's title (og:title, JSON-LD headline, <title>), less any site name around it.

Why the headline first: ``og:title`` and ``<title>`` are often an SEO variant ("Labor on track to hit 2030
climate change target") or carry the site's name ("… - Battery-News.de"), while the <h1> is what the reader
sees. But a page's <h1> is just as often the site's logo ("Krimiblog-Archiv"), so a heading is only taken
when it shares most of its words with a metadata title, and never when it names the site; or, when none does,
the <h1> the page marks up as its headline (itemprop="headline", class="entry-title"). A kicker above the
headline ("Dachzeile", overline) is left out unless og:title or the JSON-LD headline include it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pipeline.metadata import PageMetadata

# Separators between a headline and a site name: spaced dashes, bars, colons, guillemets; unspaced bars,
# underscores and full-width separators; a dash between CJK characters ("…城！-新华网").
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff01-\uff5e"
SEPARATORS = re.compile(
    rf"\s+[|\-–—:·•»›~/]\s+|\s*[_｜|︱丨]\s*|\s+::\s+|\s*[：]\s*|(?<=[{_CJK}])\s*[-–—]\s*(?=[{_CJK}])"
)
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_]+")
MIN_AGREEMENT = 0.5  # Dice coefficient of words between a heading and a metadata title
MAX_HEADINGS = 12


def choose_title(
    meta: PageMetadata,
    extracted: str | None,
    sitename: str | None,
    hint: str | None,
    hosts: Iterable[str] = (),
) -> str:
    raw = [meta.meta.get("og:title"), meta.ld_headline, meta.meta.get("twitter:title"), meta.title_tag, hint]
    if sitename and _fold(sitename) in {_fold(t) for t in (extracted, meta.h1) if t}:
        sitename = None  # trafilatura's site name is sometimes the headline itself
    sites = site_names(meta, sitename, hosts)
    titles = [strip_site_name(t, sites, meta.h1) for t in raw if t]
    declared = {_fold(strip_site_name(t, sites)) for t in raw[:3] if t}  # og, JSON-LD, twitter
    heading = agreeing_heading(meta.headings, titles, sites, [t for t in raw if t], declared)
    # The visible headline, unless the publisher's structured data (JSON-LD headline) names another one:
    # then the page's own metadata (og:title first) settles it.
    headline = strip_site_name(meta.ld_headline, sites) if meta.ld_headline else None
    if heading and (not headline or _fold(headline) == _fold(heading)):
        full = meta.heading_kickers.get(heading)  # the heading with its kicker, when the metadata has it
        if full and _fold(full) in declared:
            return strip_site_name(full, sites)
        return strip_site_name(heading, sites)
    marked = meta.marked_headline
    if not heading and marked and not _names_site(marked, sites):  # the reader's title, whatever SEO says
        return strip_site_name(marked, sites)
    for candidate in (*raw, extracted):
        if candidate:
            return strip_site_name(candidate, sites, meta.h1)
    return ""


def site_names(meta: PageMetadata, sitename: str | None, hosts: Iterable[str]) -> set[str]:
    """Names the site goes by: og:site_name, the JSON-LD publisher, application-name, and its host names
    ("helge.at" and "helge"), all folded."""
    names = {meta.meta.get("og:site_name"), meta.ld_publisher, meta.meta.get("application-name"), sitename}
    for host in hosts:
        host = re.sub(r"^(www\d?|m|amp|mobile)\.", "", host.lower())
        if host and not re.fullmatch(r"[\d.]+|localhost", host):
            names |= {host, host.rsplit(".", 1)[0], host.split(".")[0]}
    return {_fold(n) for n in names if n and len(_fold(n)) >= 2}


def agreeing_heading(
    headings: list[tuple[int, str]],
    titles: list[str],
    sites: set[str],
    raw_titles: Iterable[str] = (),
    declared: frozenset[str] | set[str] = frozenset(),  # folded og:title, JSON-LD headline, twitter:title
) -> str | None:
    """The <h1> (else <h2>) whose words agree best with a metadata title, and which is not the site's name:
    neither a known site name nor the shorter end of a '<title>' split at a separator ('Headline - Site')."""
    if not titles:
        return None
    title_tokens = [_tokens(t) for t in titles]
    ends = _short_ends(raw_titles)
    best: tuple[float, str] | None = None
    for level, text in headings[:MAX_HEADINGS]:
        words = _tokens(text)
        if not words or _names_site(text, sites):
            continue
        agreement = max(_dice(words, t) for t in title_tokens)
        if agreement < MIN_AGREEMENT:
            continue
        site_like = _fold(text) in ends and _fold(text) not in declared  # unless og:title etc. say just that
        score = agreement + (0.2 if level == 1 else 0) - (0.6 if site_like else 0)
        if best is None or score > best[0]:
            best = (score, text)
    return best[1] if best else None


def _short_ends(raw_titles: Iterable[str]) -> set[str]:
    """Folded first or last parts of titles that are shorter than the rest of their title."""
    ends = set()
    for title in raw_titles:
        cuts = list(SEPARATORS.finditer(title))
        if not cuts:
            continue
        head, tail = title[: cuts[0].start()], title[cuts[-1].end() :]
        if len(head) < len(title) - len(head) - 3:
            ends.add(_fold(head))
        if len(tail) < len(title) - len(tail) - 3:
            ends.add(_fold(tail))
    return ends


def strip_site_name(title: str, sites: set[str], h1: str | None = None) -> str:
    """Drop a leading or trailing part that names the site ('Headline | Site', 'Site - Headline',
    'Headline_腾讯新闻'), leaving separators inside the headline alone."""
    title = " ".join(title.split())
    if h1 and h1 != title and title.startswith(h1) and SEPARATORS.match(title[len(h1) :]):
        if not _names_site(h1, sites):  # "Headline | Site", not "Site » Blog » Headline"
            return h1
    for _ in range(2):  # "Headline - Section - Site": the site, then a part the site repeats
        cuts = list(SEPARATORS.finditer(title))
        if not cuts:
            break
        for before, after in zip(cuts, cuts[1:], strict=False):  # "Headline : Site | Motto | Since 2005"
            middle, head = title[before.end() : after.start()], title[: before.start()].strip()
            if len(head) > len(middle) and _fold(middle) in sites:
                title = title[: before.start()].strip()
                break
        cuts = list(SEPARATORS.finditer(title))
        if not cuts:
            break
        head, tail = title[: cuts[0].start()], title[cuts[-1].end() :]
        if _names_site(tail, sites) and title[: cuts[-1].start()].strip():
            title = title[: cuts[-1].start()].strip()
        elif _names_site(head, sites) and title[cuts[0].end() :].strip():
            title = title[cuts[0].end() :].strip()
        else:
            break
    return title


def _names_site(part: str, names: set[str]) -> bool:
    """'BBC News' names the site 'BBC'; 'Fake news spreads' does not name the site 'News'."""
    folded = _fold(part)
    return bool(folded) and any(
        folded == n
        or (len(n) >= 3 and n in folded and len(folded) <= len(n) + 6)
        or (len(n) >= 6 and folded.startswith(n) and len(folded) <= 2 * len(n))  # host "fouryears"
        or (len(folded) >= 3 and folded in n)
        for n in names
    )


def _fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def _dice(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(set(a) & set(b))
    return 2 * common / (len(set(a)) + len(set(b)))
