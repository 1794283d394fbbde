"""What a page's byline says when its metadata does not: the visible date line ("2005-04-27 14:32 来源：…",
"07.02.2025, 15:51 Uhr") and the author line ("By Jane Roe", "记者 张三"). Plain functions over an lxml
tree; they return raw strings, read by ``dates`` and ``authors``."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from pipeline.dates import find_date, first_date_at

_DATE_MARK = re.compile(
    r"date|time|publi|posted|byline|dateline|meta|info|fecha|datum|zeit|stamp|author|source|post-?head|article-?head",
    re.IGNORECASE,
)
_AUTHOR_MARK = re.compile(
    r"author|byline|writer|reporter|autor|auteur|verfasser|journalist|by-?line", re.IGNORECASE
)
_SKIP = {"script", "style", "noscript", "option", "select", "textarea", "button", "nav", "footer", "aside"}
_CJK_AUTHOR = re.compile(
    r"(?:作者|记者|撰文|文|编辑|責任編集|記者|기자)\s*[:：/／|]?\s*([\u4e00-\u9fff·]{2,4}(?:[、，,\s]+[\u4e00-\u9fff·]{2,4}){0,3})"
)
# A date line that says the page was changed ("Updated 20:49, 5 Aug 2024", "Aktualisiert am …", "last edited"):
# a modification date, not the publication date.
_MODIFIED = re.compile(
    r"updated|update:|aktualisiert|geändert|letzte änderung|last (?:modified|edited|updated)|edited|editiert|"
    r"modifié|mis à jour|actualizado|actualización|aggiornato",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
MAX_LINE = 200
MAX_ELEMENTS = 4000


def byline_date(tree: lxml_html.HtmlElement, zone: str) -> str | None:
    """The page's date line: a short text in an element marked as a date/byline (else any short text that
    reads as a date with a time of day), looked for from the headline on. None when nothing reads as a date."""
    start = _headline(tree)
    marked: str | None = None
    timed: str | None = None
    changed: str | None = None
    for count, elem in enumerate(_after(tree, start)):
        if count > MAX_ELEMENTS:
            break
        marks = " ".join(filter(None, (elem.get("class"), elem.get("id"), elem.get("itemprop"))))
        if marked is None and marks and _DATE_MARK.search(marks):
            text = _line(elem.text_content())
            found = text and _DIGIT.search(text) and _published_date(text, zone)
            if found is None and text and changed is None and find_date(text, zone):
                changed = text  # "Updated May 6, 2019": the only date line may still be the best there is
            if found:
                if found[1]:
                    return text
                marked = text
        if timed is None:
            for text in (elem.text, elem.tail):
                if not (text and _DIGIT.search(text)):
                    continue
                text = _line(text)
                found = text and _published_date(text, zone)
                if found and found[1] and elem.tag != "a":
                    timed = text
                    break
        if timed and marked:
            break
    if not (timed or marked):
        return changed
    return timed if timed and (not marked or _same_day(timed, marked, zone)) else marked or timed


def _published_date(text: str, zone: str) -> tuple | None:
    """The date in a date line; None when the line says before it that it is when the page was changed."""
    found = find_date(text, zone)
    if found:
        changed = _MODIFIED.search(text)
        if changed and changed.start() < (first_date_at(text) or 0):
            return None
    return found


def byline_authors(tree: lxml_html.HtmlElement) -> list[str]:
    """The text of the first element marked as the author or byline (rel=author, itemprop=author,
    class="byline"), outside comments and forms; else a CJK author line ("记者 张三")."""
    for elem in _MARKED(tree):  # only elements with one of the attributes looked at: most have none
        if elem.tag in _SKIP or elem.tag in ("label", "input", "form"):
            continue
        rel, prop = (elem.get("rel") or "").lower(), (elem.get("itemprop") or "").lower()
        marks = " ".join(filter(None, (elem.get("class"), elem.get("id"))))
        if not ("author" in rel.split() or prop == "author" or (marks and _AUTHOR_MARK.search(marks))):
            continue
        if _COMMENT.search(marks) or _inside_skipped(elem) or _in_comments(elem):
            continue
        if elem.tag == "meta":
            text = elem.get("content") or ""
        else:
            name = elem.find(".//*[@itemprop='name']")
            text = (name.get("content") or name.text_content()) if name is not None else elem.text_content()
        text = _line(text, 120)
        if text and not _NOT_A_NAME.search(text):
            return [text]
    for text in tree.itertext():
        match = _CJK_AUTHOR.search(text[:200]) if len(text) <= 200 else None
        if match:
            return re.split(r"[、，,\s]+", match.group(1))
    return []


_MARKED = etree.XPath("//*[@rel or @itemprop or @class or @id]")
_COMMENT = re.compile(
    r"comment|respond|reply|discussion|kommentar|sidebar|widget|related|teaser", re.IGNORECASE
)
_NOT_A_NAME = re.compile(r"(?:says|said|sagt|schreibt|écrit|dice)\s*:?$|^name\s*\*?$", re.IGNORECASE)


def _in_comments(elem: lxml_html.HtmlElement) -> bool:
    for ancestor in elem.iterancestors():
        marks = " ".join(filter(None, (ancestor.get("class"), ancestor.get("id"))))
        if ancestor.tag in ("form", "footer", "aside") or (marks and _COMMENT.search(marks)):
            return True
    return False


def _headline(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    for h1 in tree.iter("h1"):
        if h1.text_content().strip():
            return h1
    return None


def _after(tree: lxml_html.HtmlElement, start: lxml_html.HtmlElement | None):
    """Elements from ``start`` on (itself included) in document order, then those before it."""
    elements = _visible(tree)
    index = elements.index(start) if start is not None and start in elements else 0
    yield from elements[index:]
    yield from elements[:index]


def _visible(tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The tree's elements in document order, less scripts, navigation and the like and all inside them:
    one walk that does not enter those subtrees (asking every element for its ancestors cost more than
    the rest of the byline search)."""
    elements = []
    stack = [tree] if isinstance(tree.tag, str) and tree.tag not in _SKIP else []
    while stack:
        elem = stack.pop()
        elements.append(elem)
        children = [c for c in elem if isinstance(c.tag, str) and c.tag not in _SKIP]
        children.reverse()
        stack.extend(children)
    return elements


def _inside_skipped(elem: lxml_html.HtmlElement) -> bool:
    return any(a.tag in _SKIP for a in elem.iterancestors())


def _line(text: str, limit: int = MAX_LINE) -> str | None:
    text = " ".join(text.split())
    return text if text and len(text) <= limit else None


def _same_day(a: str, b: str, zone: str) -> bool:
    found_a, found_b = find_date(a, zone), find_date(b, zone)
    return bool(found_a and found_b and found_a[0].date() == found_b[0].date())
