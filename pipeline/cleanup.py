"""Page structure the extractor misreads, fixed around it: tables used for layout (old portals put the whole
page in nested tables, which trafilatura keeps as one big data table) are turned into plain blocks before
extraction, and text lying loose between blocks is put into paragraphs; lists of teasers (picture,
headline, time: "related articles") are dropped after it."""

from __future__ import annotations

import re

from lxml import etree

_BLOCKS = {"p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4", "br", "form", "iframe"}
_PARTS = ("table", "tbody", "thead", "tfoot", "tr", "td", "th")
LONG_CELL = 150  # characters of text no data table puts in one cell along with other blocks
MAX_LINK_SHARE = 0.3  # of a block's text in links, above which it is navigation rather than text
# Loose text: runs of text and inline elements lying between blocks.
_INLINE = {
    "a", "abbr", "b", "big", "br", "cite", "em", "font", "i", "img", "nobr", "q", "s", "small", "span",
    "strike", "strong", "sub", "sup", "time", "tt", "u", "wbr",
}  # fmt: skip
_FLOW_BLOCKS = {
    "p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "form",
    "center", "hr", "iframe", "section", "article", "header", "footer", "nav", "aside", "figure",
}  # fmt: skip
_HIDDEN = ("script", "style", "noscript", "template")
# elements whose loose text is their own: a paragraph, a heading, a list item, a link, a control, a table
_NOT_CONTAINERS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "a", "pre", "code", "button", "label", "select",
    "option", "textarea", "head", "title", "table", "tbody", "thead", "tfoot", "tr", "ul", "ol", "dl",
    "caption", *_HIDDEN,
}  # fmt: skip
MIN_LOOSE_TEXT = 90  # weight (a CJK character weighs 3) of loose text beside paragraphs made a paragraph
LONG_LOOSE_TEXT = 450  # ... and beside other blocks only (pictures, tables, boxes): a text of its own


def unwrap_layout_tables(tree: etree._Element) -> int:
    """Rename layout tables (nested tables, or a cell holding long text over several blocks) and their rows
    and cells to <div>s, and the tables inside them that hold no data (navigation bars, teasers, calendars,
    spacers). A data table inside a layout stays a table, rows and cells included. Returns how many
    layout tables were unwrapped."""
    layout = {t for t in tree.iter("table") if _is_layout(t)}
    if not layout:
        return 0
    unwrap = layout | {
        t
        for t in tree.iter("table")
        if any(a in layout for a in t.iterancestors("table")) and not _is_nested_data(t)
    }
    # every part goes with the table it belongs to, decided before anything is renamed
    parts = [e for e in tree.iter(*_PARTS) if (e if e.tag == "table" else _owner(e)) in unwrap]
    for elem in parts:
        elem.tag = "div"
        for attr in ("colspan", "rowspan"):
            elem.attrib.pop(attr, None)
    return len(layout)


def _owner(elem: etree._Element) -> etree._Element | None:
    return next(elem.iterancestors("table"), None)


def wrap_loose_text(tree: etree._Element) -> int:
    """Put runs of text lying loose between blocks into paragraphs of their own: text after a paragraph in
    a <font> or a <div> of old Word-made pages, a table cell's text with <br>s beside a data table or a
    picture. trafilatura reads paragraphs, and loses such text when a paragraph before it starts with a
    line break or when it finds the page's text by its paragraphs. Only runs of real text, not mostly
    links: beside paragraphs with text (the same flow) a sentence or two (``MIN_LOOSE_TEXT``), beside
    other blocks only a long text (``LONG_LOOSE_TEXT``), not a caption, a teaser or a reader's reply.
    Returns how many paragraphs were made."""
    made = 0
    parents = {b.getparent(): None for b in tree.iter(*_FLOW_BLOCKS)}  # in order, once each
    for parent in parents:
        if parent is None or parent.tag in _NOT_CONTAINERS:
            continue
        flow: bool | None = None  # whether the parent holds paragraphs with text, found out when needed
        run: list[etree._Element] = []
        lead = parent.text
        for child in [*parent, None]:
            if child is not None and _is_inline(child):
                run.append(child)
                continue
            text = (lead or "") + "".join(_text(e) + (e.tail or "") for e in run) if run else lead
            size = text_weight(text) if text and not text.isspace() else 0
            if size >= MIN_LOOSE_TEXT:
                if flow is None:
                    flow = any(c.tag == "p" and text_weight(_text(c)) >= MIN_LOOSE_TEXT for c in parent)
                if (flow or size >= LONG_LOOSE_TEXT) and _few_links(run, size):
                    _wrap(parent, lead, run, child)
                    made += 1
            run = []
            # the text after a <script> is code a broken page left outside it
            lead = child.tail if child is not None and child.tag not in _HIDDEN else None
    return made


def _is_inline(elem: etree._Element) -> bool:
    if not isinstance(elem.tag, str):
        return True  # a comment
    return elem.tag in _INLINE and next(elem.iterdescendants(*_FLOW_BLOCKS, *_HIDDEN), None) is None


def _few_links(run: list[etree._Element], size: int) -> bool:
    links = sum(text_weight(_text(a)) for e in run if isinstance(e.tag, str) for a in e.iter("a"))
    return links <= MAX_LINK_SHARE * size


def _wrap(
    parent: etree._Element, lead: str | None, run: list[etree._Element], after: etree._Element | None
) -> None:
    """Wrap ``lead`` (the text before the run) and the inline elements of ``run`` (with their tails) into a
    <p> where they are."""
    para = etree.Element("p")
    para.text = lead
    if run:
        run[0].addprevious(para)
    elif after is not None:
        after.addprevious(para)
    else:
        parent.append(para)
    before = para.getprevious()  # the lead was its tail, or the parent's text
    if before is not None:
        before.tail = None
    else:
        parent.text = None
    for elem in run:
        para.append(elem)  # moves it, with its tail


def _is_layout(table: etree._Element) -> bool:
    if table.find(".//table") is not None:
        return True
    for cell in table.iter("td", "th"):
        text = "".join(cell.itertext()).strip()
        if len(text) > LONG_CELL and sum(1 for c in cell.iter() if c.tag in _BLOCKS) >= 2:
            return True
    return False


def _is_nested_data(table: etree._Element) -> bool:
    """A data table inside a page laid out in tables: figures or entries in text, not a box of links
    (navigation, "more articles"), of pictures (teasers) or of a few characters (a calendar)."""
    if not _is_data(table):
        return False
    text = _length("".join(table.itertext()))
    links = sum(_length("".join(a.itertext())) for a in table.iter("a"))
    pictures = sum(1 for _ in table.iter("img"))
    return text >= LONG_CELL and links <= MAX_LINK_SHARE * text and 2 * pictures < len(table.findall(".//tr"))


def _is_data(table: etree._Element) -> bool:
    """A table of figures or short entries: several rows of several short cells."""
    rows = [r for r in table.iter("tr")]
    cells = [c for c in table.iter("td", "th")]
    return (
        len(rows) >= 2
        and len(cells) >= 2 * len(rows)
        and all(len("".join(c.itertext()).strip()) <= LONG_CELL for c in cells)
    )


def drop_teaser_lists(body: etree._Element) -> int:
    """Remove lists whose items are mostly a picture and/or a headline over a line of text (links to other
    articles). Returns how many lists were dropped."""
    dropped = 0
    for lst in list(body.iter("list")):
        items = [i for i in lst if i.tag == "item"]
        if len(items) < 3:
            continue
        teasers = sum(1 for i in items if i.find(".//graphic") is not None or i.find(".//head") is not None)
        text = sum(len("".join(i.itertext()).strip()) for i in items) / len(items)
        if teasers * 2 >= len(items) and text < 100:
            parent = lst.getparent()
            if parent is not None:
                _remove(lst)
                dropped += 1
    return dropped


def _remove(elem: etree._Element) -> None:
    parent = elem.getparent()
    if elem.tail and elem.tail.strip():
        previous = elem.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + elem.tail
        else:
            parent.text = (parent.text or "") + elem.tail
    parent.remove(elem)


def _length(text: str) -> int:
    return len("".join(text.split()))


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def text_weight(text: str) -> int:
    """Characters of text, a CJK character counting three (it carries a word's worth)."""
    compact = "".join(text.split())
    return len(compact) + 2 * len(_CJK.findall(compact))


def _text(elem: etree._Element) -> str:
    return "".join(elem.itertext()) if isinstance(elem.tag, str) else ""
