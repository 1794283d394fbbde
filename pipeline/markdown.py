"""Render trafilatura's XML article body as the archive's Markdown body (the style of seed-example.md)."""

from __future__ import annotations

import re
from urllib.parse import quote

from lxml import etree

TRAFILATURA_OPTIONS: dict = {
    "output_format": "python",  # a Document: metadata attributes plus .body, the XML tree rendered here
    # trafilatura's metadata is read separately and only where needed (pipeline.engine_metadata)
    "with_metadata": False,
    "include_formatting": True,  # bold/italic: news sites write sub-headings as <p><strong>
    # Without images: with them trafilatura keeps more clutter (see pipeline.images, which puts the
    # article's images back). Measured on the shared corpus: body F1 fundus 0.963 → 0.967, snippet F1
    # 0.924 → 0.931.
    "include_images": False,
    "include_comments": False,  # reader comments are not the article
    "include_tables": True,
    "include_links": False,  # the body carries no links; the source link is appended below it
    # Balanced mode (neither favor_precision nor favor_recall). Measured with this converter on the shared
    # corpus: body token F1 fundus 0.958 / cwce 0.875, snippet F1 0.922 on trafilatura's set.
    # favor_precision scores a little higher on bodies (0.960 / 0.889) but lost 60 more must-have snippets
    # (0.919), emptied a whole article, and dropped real article images; favor_recall is worse everywhere
    # (0.953 / 0.869 / 0.914: teasers and "read more" lists). An archive should not lose text.
    "favor_precision": False,
    "favor_recall": False,
    # deduplicate=True uses a process-wide LRU cache and drops paragraphs seen twice in *earlier* documents,
    # so a body would depend on what the crawl met before ("图片" captions, datelines, standard closing
    # lines would vanish at random). Extraction must be a pure function of the page.
    "deduplicate": False,
}

_LB, _IMG_OPEN, _IMG_CLOSE = "\x00", "\x01", "\x02"
# emphasis as (open, close) sentinels, so that "close + open" of the same kind can be merged before they
# become asterisks: "**a****b**" does not parse in CommonMark (rule of 3), "**ab**" does.
_EMPHASIS = {"#b": ("\x03", "\x04"), "#i": ("\x05", "\x06"), "del": ("\x0e", "\x0f")}
_SENTINELS = str.maketrans({"\x03": "**", "\x04": "**", "\x05": "*", "\x06": "*", "\x0e": "~~", "\x0f": "~~"})
_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
)
_CJK_WRAP = re.compile(rf"([{_CJK}][\x03-\x06\x0e\x0f`]*)[^\S\n]*\n\s*(?=[\x03-\x06\x0e\x0f`]*[{_CJK}])")
_PARAGRAPH_CUT = re.compile(rf"({_IMG_OPEN}\d+{_IMG_CLOSE}|{_LB}(?:\s*{_LB})+)")  # image or blank line
_EMPHASIS_CUT = re.compile(rf"({_IMG_OPEN}\d+{_IMG_CLOSE}|{_LB}+)")
_BLOCK_TAGS = {"p", "head", "list", "item", "table", "row", "cell", "div", "section", "body"}  # and quote
_TEXT_ESCAPES = [
    (re.compile(r"[\\*`]"), r"\\\g<0>"),
    (re.compile(r"(?<![^\W_])_|_(?![^\W_])"), r"\\_"),  # intraword snake_case stays as is
    (re.compile(r"~~"), r"\\~\\~"),
    (re.compile(r"<(?=[A-Za-z/!?]|$)"), r"\\<"),  # would open raw HTML (with the next node's text)
    (re.compile(r"&(?=#?\w+;)"), r"\\&"),  # would be read as an entity
    (re.compile(r"\](?=\(|$)"), r"\\]"),  # would close a link
]
_LINE_START = re.compile(  # a line starting so would be a heading, list, quote, rule or link definition
    r"^(?=#{1,6}(?:\s|$)|[-+*](?:\s|$)|>|(?:[-=][ \t]*){3,}$|=+[ \t]*$|\[[^\]]*\]:)"
)
_SPECIAL = re.compile(r"[\\*`_~<&\]]")  # characters some of _TEXT_ESCAPES apply to
_LINE_START_CHARACTERS = frozenset("#-+*>=[0123456789")  # what _LINE_START and _ORDERED can match first
_ADJACENT = re.compile("\x04\x03|\x06\x05|\x0f\x0e")  # **a****b** -> **ab**
_SPACES = re.compile(r"\s+")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_NESTED_LIST = re.compile(r"^(?:- |\d+\. )")  # a paragraph never starts so: it would be escaped
_IMAGE = re.compile(r'!\[(?:[^\\\]]|\\.)*\]\([^\s()]*(?: "(?:[^"\\]|\\.)*")?\)')  # in text, "](" is escaped


def body_markdown(body: etree._Element, *, title: str | None = None) -> str:
    """Markdown for an article body: blocks separated by one blank line, a leading title heading dropped."""
    blocks: list[str] = []
    children = list(body)
    if title and children and children[0].tag == "head" and _norm(_text(children[0])) == _norm(title):
        children = children[1:]
    for block in _blocks(body, children):
        block = "\n".join(line.rstrip() for line in block.strip("\n").split("\n"))
        if block.strip() and not (blocks and blocks[-1] == block and _IMAGE.fullmatch(block)):
            blocks.append(block)
    return "\n\n".join(blocks)


def _blocks(elem: etree._Element, children: list[etree._Element] | None = None) -> list[str]:
    """Blocks of a container: runs of text and inline elements become paragraphs, block children follow."""
    out: list[str] = []
    images: list[str] = []
    run = [_escape(elem.text)]
    for child in elem if children is None else children:
        if _is_block(child):
            out += _paragraphs("".join(run), images) + _block(child)
            run = []
        else:
            run.append(_inline(child, images, frozenset()))
        run.append(_escape(child.tail))
    return out + _paragraphs("".join(run), images)


def _is_block(elem: etree._Element) -> bool:
    if elem.tag == "code":
        return "\n" in _raw(elem).strip("\n")
    if next(elem.iterdescendants(*_BLOCK_TAGS), None) is not None:  # e.g. <hi> wrapping paragraphs
        return True
    if elem.tag == "quote":  # <q> inside a sentence is a quotation, not a block quote
        parent = elem.getparent()
        return parent is None or parent.tag not in ("p", "hi", "ref", "del", "cell", "head", "item")
    return elem.tag in _BLOCK_TAGS


def _block(elem: etree._Element) -> list[str]:
    if elem.tag == "head":
        parts = _blocks(elem)
        text = " ".join(p.replace("\\\n", " ") for p in parts if not _IMAGE.fullmatch(p))
        text = re.sub(r"(\s)(#+)$", r"\1\\\2", text)  # would be read as a closing sequence
        level = int(m.group(1)) if (m := re.fullmatch(r"h([1-6])", elem.get("rend", ""))) else 3
        return [f"{'#' * max(2, level)} {text}" if text else ""] + [p for p in parts if _IMAGE.fullmatch(p)]
    if elem.tag == "list":
        return [_list(elem)]
    if elem.tag == "quote":
        lines = "\n\n".join(_blocks(elem)).split("\n")
        return ["\n".join(f"> {line}" if line else ">" for line in lines)]
    if elem.tag == "table":
        return [_table(elem)]
    if elem.tag == "code":
        code = "\n".join(line.rstrip() for line in _raw(elem).strip("\n").split("\n"))
        fence = "`" * max(3, 1 + max(map(len, re.findall(r"`+", code)), default=0))
        return [f"{fence}\n{code}\n{fence}"] if code.strip() else []
    return _blocks(elem)


def _inline(elem: etree._Element, images: list[str], active: frozenset[str]) -> str:
    """Inline Markdown of an element without its tail; images become placeholders that cut paragraphs."""
    if elem.tag == "lb":
        return _LB
    if elem.tag == "graphic":
        if not elem.get("src"):
            return ""
        alt = _norm(elem.get("alt") or "")
        title = _norm(elem.get("title") or "")
        title = (
            ' "' + re.sub(r'([\\"])', r"\\\1", title) + '"' if title and _fold(title) != _fold(alt) else ""
        )
        alt = re.sub(r"([\\\[\]])", r"\\\1", alt)
        images.append(f"![{alt}]({_url(elem.get('src'))}{title})")
        return f"{_IMG_OPEN}{len(images) - 1}{_IMG_CLOSE}"
    if elem.tag == "code" or (elem.tag == "hi" and elem.get("rend") == "#t"):
        code = _norm(_raw(elem))
        ticks = "`" * (1 + max(map(len, re.findall(r"`+", code)), default=0))
        pad = " " if code[:1] == "`" or code[-1:] == "`" else ""
        return f"{ticks}{pad}{code}{pad}{ticks}" if code else ""
    kind = elem.get("rend", "") if elem.tag == "hi" else elem.tag
    kind = kind if kind in _EMPHASIS and kind not in active else ""
    inner = _escape(elem.text)
    for child in elem:
        inner += _inline(child, images, active | {kind}) + _escape(child.tail)
    if elem.tag == "quote":
        inner = f'"{inner.strip()}"'
    elif elem.tag == "ref" and elem.get("target") and inner.strip():
        inner = f"[{inner.strip()}]({_url(elem.get('target'))})"
    return _wrap(inner, *_EMPHASIS[kind]) if kind else inner


def _wrap(inner: str, open_: str, close: str) -> str:
    """Emphasis around each piece between images and line breaks, whitespace outside, nothing if empty."""
    pieces = _EMPHASIS_CUT.split(inner)
    for i in range(0, len(pieces), 2):  # odd indexes hold the separators
        if core := pieces[i].strip():
            start = pieces[i].index(core[0])
            pieces[i] = f"{pieces[i][:start]}{open_}{core}{close}{pieces[i][start + len(core) :]}"
    return "".join(pieces)


def _paragraphs(run: str, images: list[str]) -> list[str]:
    """Normalize whitespace in an inline run and cut it into paragraphs at images and blank line breaks."""
    out = []
    for i, piece in enumerate(_PARAGRAPH_CUT.split(run)):
        if i % 2:
            out += [images[int(piece[1:-1])]] if piece.startswith(_IMG_OPEN) else []
            continue
        text = _CJK_WRAP.sub(r"\1", piece) if "\n" in piece else piece
        text = _ADJACENT.sub("", text) if "\x03" in text or "\x05" in text or "\x0e" in text else text
        text = _SPACES.sub(" ", text).strip(" " + _LB)
        lines = (_escape_line(line.strip()) for line in text.split(_LB))
        out.append("\\\n".join(line for line in lines if line).translate(_SENTINELS))
    return [p for p in out if p]


def _list(elem: etree._Element) -> str:
    items = []
    for item in elem:
        blocks = _blocks(item) if item.tag == "item" else _block(item)
        if not blocks:
            continue
        marker = f"{len(items) + 1}. " if elem.get("rend") == "ol" else "- "
        text = blocks[0]
        for block in blocks[1:]:  # a nested list stays tight, other blocks make the item loose
            text += ("\n" if _NESTED_LIST.match(block) else "\n\n") + block
        pad = "\n" + " " * len(marker)
        items.append(marker + re.sub(r"\n(?=.)", pad, text))
    return "\n".join(items)


def _table(elem: etree._Element) -> str:
    """GitHub pipe table; the first row is the header row (GFM requires one)."""
    rows = []
    for row in elem.iter("row"):
        if next(row.iterancestors("table")) is elem:
            cells = (" ".join(_blocks(cell)) for cell in row if cell.tag == "cell")
            rows.append([re.sub(r"\\\n|\n+", " ", c).replace("|", "\\|").strip() for c in cells])
    width = max(map(len, rows), default=0)
    if not width:
        return ""
    lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in rows]
    return re.sub(r"\|  (?=\|)", "| ", "\n".join([lines[0], "|" + " --- |" * width, *lines[1:]]))


def _escape(text: str | None) -> str:
    if not text or not _SPECIAL.search(text):  # most text: nothing to escape
        return text or ""
    # XML text holds no control characters, so the sentinels cannot clash
    for pattern, repl in _TEXT_ESCAPES:
        text = pattern.sub(repl, text)
    return text


def _escape_line(line: str) -> str:
    if line[:1] not in _LINE_START_CHARACTERS:
        return line
    return _ORDERED.sub(r"\1\\\2", _LINE_START.sub("\\\\", line, count=1), count=1)


def _url(url: str) -> str:
    """Spaces, parentheses, angle brackets and non-ASCII characters percent-encoded."""
    return quote(url.strip(), safe="!#$%&'*+,/:;=?@[]~")


def _raw(elem: etree._Element) -> str:
    """Text of an element as it is, <lb/> as a newline (code)."""
    text = elem.text or ""
    for child in elem:
        text += ("\n" if child.tag == "lb" else _raw(child)) + (child.tail or "")
    return text


def _text(elem: etree._Element) -> str:
    return "".join(elem.itertext())


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _fold(text: str) -> str:
    """Letters and digits only, case folded: "The harbour at dusk." and "the harbour at dusk" are one text."""
    return "".join(c for c in text.casefold() if c.isalnum())
