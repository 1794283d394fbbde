"""Page structure fixed before extraction: layout tables unwrapped (data tables inside them kept), loose
text between blocks put into paragraphs. Small pages written here; the last tests run the whole extraction."""

from __future__ import annotations

from lxml import html as lxml_html

from pipeline.cleanup import unwrap_layout_tables, wrap_loose_text
from pipeline.extract import extract
from pipeline.page import Page
from tests.test_extract import EN, make_page

TEXT, OPPONENTS = EN[:3], EN[3]  # the harbour story of test_extract
ROWS = [
    ("North quay", "2027", "14.5 million"),
    ("Ferry terminal", "2028", "22.0 million"),
    ("Old warehouse", "2029", "6.2 million"),
    ("Breakwater", "2030", "31.8 million"),
    ("Fish market", "2031", "3.9 million"),
    ("Marina", "2032", "12.1 million"),
]
DATA_TABLE = (
    '<table id="data" border="1"><tr><th>Project</th><th>Year</th><th>Cost</th></tr>'
    + "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in ROWS)
    + "</table>"
)
NAV = "".join(f'<a href="/s{i}">Section {i}</a> | ' for i in range(8))
LINK_BOX = (
    '<table id="links">'
    + "".join(f'<tr><td>·</td><td><a href="/a{i}">Another story number {i}</a></td></tr>' for i in range(4))
    + "</table>"
)
CALENDAR = (
    '<table id="calendar"><tr><th>Mo</th><th>Tu</th><th>We</th></tr>'
    + "".join(f"<tr><td>{d}</td><td>{d + 1}</td><td>{d + 2}</td></tr>" for d in range(1, 20, 7))
    + "</table>"
)
TEASERS = (
    '<table id="teasers">'
    + "".join(
        f'<tr><td><img src="/t{i}.jpg"></td><td><a href="/t{i}">Headline {i}</a> A line of text about the '
        f"other story number {i} to make you click on it.</td></tr>"
        for i in range(3)
    )
    + "</table>"
)


def tree(body: str) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(f"<html><body>{body}</body></html>")


def layout_page(inner: str) -> str:
    """A page laid out in a table: a navigation row, then a content cell holding ``inner``."""
    return (
        f'<table width="690"><tr><td colspan="2">{NAV}</td></tr><tr><td width="60">&nbsp;</td>'
        f"<td>{inner}</td></tr></table>"
    )


def article_page(body: str) -> Page:
    return make_page(f"<html><head><title>Harbour plan</title></head><body>{body}</body></html>")


# --- layout tables -------------------------------------------------------------------------------


def test_a_data_table_inside_a_layout_table_keeps_its_rows_and_cells() -> None:
    page = tree(layout_page(f"<table><tr><td>{'<br>'.join(TEXT)}</td></tr></table>{DATA_TABLE}"))
    assert unwrap_layout_tables(page) == 2  # the outer table (it holds tables), the cell of text lines
    (data,) = page.xpath("//*[@width='690']//table")
    assert data.get("id") == "data"
    assert (
        len(data.findall(".//tr")) == 7
        and len(data.findall(".//td")) == 18
        and data.find(".//th") is not None
    )
    assert "Residents of the old town" in page.text_content()


def test_link_boxes_calendars_and_teasers_inside_a_layout_table_are_unwrapped() -> None:
    page = tree(layout_page(LINK_BOX + CALENDAR + TEASERS + DATA_TABLE))
    unwrap_layout_tables(page)
    assert [t.get("id") for t in page.xpath("//*[@width='690']//table")] == ["data"]
    assert page.find(".//div[@id='calendar']") is not None and page.find(".//div[@id='links']") is not None
    assert not page.xpath(
        "//tr[not(ancestor::table)] | //td[not(ancestor::table)] | //th[not(ancestor::table)]"
    )


def test_a_table_alone_is_left_as_it_is() -> None:
    page = tree(DATA_TABLE + CALENDAR)
    assert unwrap_layout_tables(page) == 0
    assert len(list(page.iter("table"))) == 2


# --- loose text ----------------------------------------------------------------------------------


def paragraphs(page: lxml_html.HtmlElement) -> list[str]:
    return [" ".join(p.text_content().split()) for p in page.iter("p")]


def test_loose_text_between_paragraphs_becomes_a_paragraph() -> None:
    page = tree(
        f'<div><font color="#000"><p>{TEXT[0]}</p><span>{TEXT[1]}</span> It was the third vote.'
        f"<p>{TEXT[2]}</p></font></div>"
    )
    assert wrap_loose_text(page) == 1
    assert paragraphs(page) == [TEXT[0], TEXT[1] + " It was the third vote.", TEXT[2]]
    assert page.find(".//font/p/span") is not None  # wrapped where it was, inline markup kept


def test_text_before_the_first_block_and_after_the_last_one() -> None:
    page = tree(f"<div>{TEXT[0]}<p>{TEXT[1]}</p>{TEXT[2]}</div>")
    assert wrap_loose_text(page) == 2
    assert paragraphs(page) == TEXT
    assert not (page.find(".//div").text or "").strip()


def test_short_runs_links_and_code_stay_as_they_are() -> None:
    body = (
        f"<div><p>{TEXT[0]}</p>Share this article<p>{TEXT[1]}</p>"
        f"<span>{NAV}</span><p>{TEXT[2]}</p>"
        '<script type="text/javascript"></script>(function() { document.addEventListener("load", function() '
        '{ var metadata = JSON.parse("{}"); window.dataLayer.push(metadata); }); })();</div>'
    )
    page = tree(body)
    assert wrap_loose_text(page) == 0
    assert paragraphs(page) == TEXT


def test_beside_other_blocks_only_a_long_text_becomes_a_paragraph() -> None:
    short = tree('<div><center><img src="/a.jpg"></center>A caption of one sentence, no more.</div>')
    assert wrap_loose_text(short) == 0
    long = tree(f'<div><center><img src="/a.jpg"></center>{"<br>".join(TEXT * 2)}</div>')
    assert wrap_loose_text(long) == 1
    assert long.find(".//div/p/br") is not None


def test_cjk_text_weighs_a_word_a_character() -> None:
    zh = "春节至今，DeepSeek热度持续攀升。当天，对外公开的日活跃用户数更是再次引发关注。"
    page = tree(f"<div><p>{zh}</p>{zh}<p>{zh}</p></div>")
    assert wrap_loose_text(page) == 1


# --- the whole extraction --------------------------------------------------------------------------


def test_layout_page_keeps_its_text_and_its_data_table() -> None:
    """A cell of text lines (<br>s) beside a data table: trafilatura found only one of them."""
    lines = [*TEXT, OPPONENTS, "The projects and what each will cost:"]
    cell = f"<table><tr><td>{'<br>'.join(lines)}<p></p></td></tr></table>"
    body = extract(article_page(layout_page(cell + DATA_TABLE))).body
    assert all(line in body for line in lines)
    assert "| Project | Year | Cost |" in body and "| Marina | 2032 | 12.1 million |" in body


def test_text_after_a_paragraph_that_starts_with_a_line_break_is_kept() -> None:
    """Word-made pages: trafilatura dropped the text following a <p> that starts with a <br>."""
    article = (
        f'<div class="Content"><p><b>Profile:</b></p><span><p><br><font>{TEXT[0]}</font></p></span>'
        f"<font><span>{TEXT[1]}</span></font><p>{TEXT[2]}</p></div>"
    )
    body = extract(article_page(f"<div>{NAV}</div>{article}")).body
    assert all(sentence in body for sentence in TEXT)
