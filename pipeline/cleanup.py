"""Page structure the extractor misreads, fixed around it: tables used for layout (old portals put the whole
page in nested tables, which trafilatura keeps as one big data table) are turned into plain blocks before
extraction; lists of teasers (picture, headline, time: "related articles") are dropped after it."""

from __future__ import annotations

from lxml import etree

_BLOCKS = {"p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4", "br", "form", "iframe"}
LONG_CELL = 150  # characters of text no data table puts in one cell along with other blocks


def unwrap_layout_tables(tree: etree._Element) -> int:
    """Rename layout tables (nested tables, or a cell holding long text over several blocks) and their rows
    and cells to <div>s. Returns how many tables were unwrapped."""
    layout = [t for t in tree.iter("table") if _is_layout(t)]
    for table in layout:
        for elem in table.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th"):
            if elem.tag == "table" and elem is not table and not _is_layout(elem) and _is_data(elem):
                continue
            elem.tag = "div"
            for attr in ("colspan", "rowspan"):
                elem.attrib.pop(attr, None)
    return len(layout)


def _is_layout(table: etree._Element) -> bool:
    if table.find(".//table") is not None:
        return True
    for cell in table.iter("td", "th"):
        text = "".join(cell.itertext()).strip()
        if len(text) > LONG_CELL and sum(1 for c in cell.iter() if c.tag in _BLOCKS) >= 2:
            return True
    return False


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
