"""Article → Markdown file text: the seed's exact look, the summary rule, configured layouts, and
front matter that reads back as written whatever the text holds."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.article import Article
from archive.render import MAINROAD_LAYOUT, FrontMatterError, parse, render, summary

SEED = Path(__file__).parents[2] / "shared" / "seed-example.md"
SEED_URL = "https://new.qq.com/rain/a/20250207A05OGB00"
FETCHED = datetime(2025, 2, 8, 1, 2, 3, tzinfo=UTC)


def make_article(**values) -> Article:
    defaults = dict(
        url="https://news.example.com/world/harbour-plan",
        fetched_url="https://news.example.com/world/harbour-plan",
        source="example",
        title="Harbour plan approved",
        body="The council approved the harbour plan on Tuesday.",
        fetched=FETCHED,
        timezone="Europe/Berlin",
        published=datetime(2025, 3, 1, 8, 15, tzinfo=UTC),
        lang="en",
    )
    return Article(**{**defaults, **values})


# --- the seed ------------------------------------------------------------------------------------


def test_seed_reproduced_exactly() -> None:
    seed = SEED.read_text(encoding="utf-8")
    _head, _, rest = seed.partition("\n---\n\n")
    body, _, link = rest.rstrip("\n").rpartition("\n\n")
    assert link == f"[qq]({SEED_URL})"
    article = Article(
        url=SEED_URL,
        fetched_url=SEED_URL,
        source="qq",
        title="上游观察·科技｜人工智能真正的竞争，现在才刚刚开始",
        body=body,
        fetched=FETCHED,
        timezone="Asia/Shanghai",
        published=datetime.fromisoformat("2025-02-07T15:51:13+08:00"),
        lang="zh-CN",
        thumbnail="https://inews.gtimg.com/om_ls/OLmIKsuAVHyWX_GQG4OOCFs0qK6nkv3FYcNy1IhY_nNvAAA_640360/0",
    )
    assert render(article) == seed


def test_date_written_in_source_zone() -> None:
    article = make_article(published=datetime(2025, 1, 31, 23, 30, tzinfo=UTC), timezone="Asia/Shanghai")
    assert parse(render(article))[0]["date"] == "2025-02-01 07:30:00"


def test_date_falls_back_to_fetched() -> None:
    article = make_article(
        published=None, fetched=datetime(2025, 2, 7, 7, 51, 13, tzinfo=UTC), timezone="Asia/Shanghai"
    )
    assert parse(render(article))[0]["date"] == "2025-02-07 15:51:13"


@pytest.mark.parametrize(
    ("stated", "zone", "written"),
    [
        ("2025-02-07T15:51:13+08:00", "Asia/Shanghai", "2025-02-07 15:51:13"),  # the page's offset is the zone's
        ("2025-02-07T23:30:00-05:00", "UTC", "2025-02-07T23:30:00-05:00"),  # the publisher's day, not UTC's
        ("2025-07-01T00:30:00+02:00", "Europe/Berlin", "2025-07-01 00:30:00"),  # summer time
        ("2025-02-07T23:30:00Z", "Asia/Shanghai", "2025-02-08 07:30:00"),  # UTC: the source's zone
    ],
)
def test_date_written_in_the_pages_own_offset(stated: str, zone: str, written: str, tmp_path: Path) -> None:
    from archive.readback import read_file
    from archive.store import MarkdownStore

    moment = datetime.fromisoformat(stated.replace("Z", "+00:00"))
    if stated.endswith("Z"):
        moment = moment.astimezone(UTC)
    text = render(make_article(published=moment, timezone=zone))
    assert parse(text)[0]["date"] == written
    (tmp_path / "a.md").write_text(text, encoding="utf-8")
    back = read_file(MarkdownStore(tmp_path), "a.md", lambda _: zone).article
    assert back.published == moment  # the file still names the exact instant


def test_source_link_is_last_line_and_body_without_trailing_blank() -> None:
    text = render(make_article(body="\n\nFirst paragraph.\n\nSecond paragraph.\n\n"))
    assert text.endswith(
        "---\n\nFirst paragraph.\n\nSecond paragraph.\n\n[example](https://news.example.com/world/harbour-plan)\n"
    )


def test_empty_body_still_has_the_source_link() -> None:
    text = render(make_article(body="   "))
    assert text.endswith("---\n\n[example](https://news.example.com/world/harbour-plan)\n")


# --- summary -------------------------------------------------------------------------------------


def test_summary_cuts_at_fifty_characters_with_ellipsis() -> None:
    body = "春节至今，DeepSeek热度持续攀升。2月6日最新消息，DeepSeek-R1、V3、Coder等系列模型已登陆国家超算网互联网平台。"
    assert summary(body) == "春节至今，DeepSeek热度持续攀升。2月6日最新消息，DeepSeek-R1、V3、Coder等..."


@pytest.mark.parametrize("body", ["Short body.", "x" * 50, ""])
def test_summary_of_short_body_has_no_ellipsis(body: str) -> None:
    assert summary(body) == body


def test_summary_does_not_count_markdown_syntax() -> None:
    body = (
        "## Sub\n\n**Forty-two** words of [text](https://example.com/a-very-long-url-that-must-not-count) here, "
        "and more text after it to exceed fifty.\n\n![photo](https://example.com/p.png)"
    )
    assert summary(body) == "Sub Forty-two words of text here, and more text af..."


def test_summary_of_text_with_only_markup_overhead_is_not_cut() -> None:
    body = "**A short line** with a [link](https://example.com/" + "x" * 80 + ")."
    assert summary(body) == "A short line with a link."


# --- layouts -------------------------------------------------------------------------------------


def test_custom_layout_keys_in_order() -> None:
    layout = [
        (key, "left" if key == "sidebar" else value) for key, value in MAINROAD_LAYOUT if key != "mathjax"
    ]
    layout += [("source_url", None), ("authors", None)]
    article = make_article(authors=["Jane Roe", "John Doe"], thumbnail=None, lang=None)
    head = render(article, layout).split("\n---\n", 1)[0] + "\n"
    assert head == textwrap.dedent("""\
        ---
        title: "Harbour plan approved"
        date: "2025-03-01 09:15:00"
        summary: "The council approved the harbour plan on Tuesday."
        categories:
          - "example"
        tags:
          - "example"
        menu: ""
        thumbnail: ""
        lead: ""
        comments: false
        authorbox: false
        pager: true
        toc: false
        sidebar: "left"
        widgets:
          - "search"
          - "recent"
          - "taglist"
        source_url: "https://news.example.com/world/harbour-plan"
        authors:
          - "Jane Roe"
          - "John Doe"
        """)
    assert list(parse(render(article, layout))[0]) == [
        key for key, _ in layout if key not in ("lang", "translations", "lastmod")
    ]  # lastmod: only once a revisit found the text changed


def test_keys_without_a_value_are_left_out() -> None:
    layout = [
        ("title", None),
        ("authors", None),
        ("description", None),
        ("lastmod", None),
        ("sitename", None),
    ]
    meta, _ = parse(render(make_article(), layout))
    assert meta == {"title": "Harbour plan approved"}


def test_lastmod_and_id_fields() -> None:
    layout = [("id", None), ("lastmod", None), ("fetched", None)]
    article = make_article(modified=datetime(2025, 3, 2, 10, 0, tzinfo=UTC))
    meta, _ = parse(render(article, layout))
    assert meta == {"id": article.uid, "lastmod": "2025-03-02 11:00:00", "fetched": "2025-02-08 02:02:03"}


# --- any text round-trips --------------------------------------------------------------------------


def without_surrogates(text: str) -> str:
    return "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)


HOSTILE = [
    '"', "'", ":", ": ", "- ", "#", "---", "\n---\n", "...", "\n", "\r\n", "\t", "\0", "\x85", "\u2028",
    "\u2029", "\ufeff", "\u200f", "\u202e", "😀", "\ud83d", "\udc00", "\\", "\\n", "{", "[", "&a", "*b",
    "!tag", "%", "@", "`", "|", ">", "null", "true", "1e3", "0x1F", "~", "\x7f", "\x1b", "\ufffe",
]  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())  # surrogates included
TEXT = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(ANY_CHAR, max_size=8)), max_size=8).map("".join)
# An Article's URL always comes from clean_url() over a URL Scrapy or lxml produced, so it parses as a URL
# and holds no lone surrogate (the article id is derived from it); anything may follow the host.
URL = TEXT.map(lambda text: "https://news.example.com/" + without_surrogates(text))
ROUND_TRIP_LAYOUT = [("title", None), ("source_url", None), ("authors", None), ("description", None)]


@settings(max_examples=300, deadline=None)
@given(title=TEXT, url=URL, authors=st.lists(TEXT, min_size=1, max_size=3), description=TEXT)
def test_any_text_round_trips_through_front_matter(
    title: str, url: str, authors: list[str], description: str
) -> None:
    article = make_article(title=title, url=url, authors=authors, description=description)
    text = render(article, ROUND_TRIP_LAYOUT)
    text.encode("utf-8")  # writable as a file
    meta, _ = parse(text)
    assert meta == {
        "title": without_surrogates(title),
        "source_url": url,
        "authors": [without_surrogates(a) for a in authors],
        "description": without_surrogates(description),
    }


@settings(max_examples=100, deadline=None)
@given(title=TEXT)
def test_seed_layout_round_trips_any_title(title: str) -> None:
    text = render(make_article(title=title))
    text.encode("utf-8")
    meta, _ = parse(text)
    assert meta["title"] == without_surrogates(title)
    assert meta["sidebar"] == "right" and meta["widgets"] == ["search", "recent", "taglist"]


def test_lone_surrogate_is_dropped_not_written() -> None:
    # json.loads turns a JSON-LD "\\ud83d" escape into a lone surrogate: UTF-8 cannot encode it and YAML
    # readers reject its escape, so the file would not be readable again.
    text = render(make_article(title="Emoji \ud83d cut in half"), [("title", None)])
    assert text.encode("utf-8")
    assert parse(text)[0] == {"title": "Emoji  cut in half"}


def test_body_with_rule_lines_survives_parse() -> None:
    body = 'Intro paragraph.\n\n---\n\nAfter a rule.\n\n---\ntitle: "not front matter"\n---\n\nEnd.'
    meta, content = parse(render(make_article(body=body)))
    assert meta["title"] == "Harbour plan approved"
    assert content == body + "\n\n[example](https://news.example.com/world/harbour-plan)"


@pytest.mark.parametrize(
    "text",
    [
        "no front matter\n",
        "---\n---\n\nbody\n",
        "---\ntitle: [unclosed\n---\n\nbody\n",
        "---\n- a list\n---\n",
    ],
)
def test_unreadable_front_matter_raises(text: str) -> None:
    with pytest.raises(FrontMatterError):
        parse(text)
