"""A fetched page → an Article: bytes decoded whatever the charset, dates read in the source's zone,
and the title, date, authors, language and URL chosen from what the page says about itself.
Metadata is asserted exactly; bodies by sentences present and absent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pipeline.dates import choose_published, parse_date
from pipeline.decode import decode_html
from pipeline.extract import extract
from pipeline.page import Page, SkipPage
from pipeline.titles import strip_site_name
from tests.conftest import FIXTURES

URL = "https://news.example.com/world/harbour-plan"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CST = timezone(timedelta(hours=8))
EN = [
    "The regional council met on Tuesday to discuss the long-delayed plan for the harbour, which has been "
    "debated for more than a decade.",
    "Residents of the old town have been divided over the plan, with shop owners hoping for more visitors and "
    "neighbours fearing the noise.",
    "The mayor said construction could begin next spring if the final permits are granted by the national "
    "authorities in time.",
    "Opponents announced that they would challenge the decision in court, arguing that the environmental "
    "review was incomplete.",
]
ZH = [
    "春节至今，DeepSeek热度持续攀升。2月6日最新消息，DeepSeek-R1、V3、Coder等系列模型已登陆国家超算网互联网平台。",
    "当天，对外公开的DeepSeek日活跃用户数更是再次引发关注：短短上线20天，DeepSeek日活跃用户数成功突破2000万。",
    "此外，百度智能云、华为云、腾讯云、阿里云、火山引擎等云服务提供商相继宣布接入DeepSeek模型。",
]
KNOWN_REASONS = {"not_html", "unparsable", "empty", "not_article"}


def html(
    *,
    head: str = "",
    title: str = "Harbour plan approved | Test Times",
    h1: str | None = "Harbour plan approved",
    lang: str | None = "en",
    paragraphs: list[str] = EN,
    before: str = "",
) -> str:
    """A small article page: navigation, the article, a footer."""
    lang_attr = f' lang="{lang}"' if lang else ""
    heading = f"<h1>{h1}</h1>" if h1 else ""
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html{lang_attr}><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f'<body><nav><a href="/">Home</a> <a href="/world/">World</a></nav>'
        f"<article>{heading}{before}{text}</article><footer>© Test Times. All rights reserved.</footer></body></html>"
    )


def make_page(
    body: str | bytes,
    *,
    url: str = URL,
    content_type: str | None = "text/html; charset=utf-8",
    timezone: str = "Europe/Berlin",
    lang: str | None = "en",
    hints: dict[str, str] | None = None,
    site_domains: list[str] | None = None,
    via: str = "feed",
) -> Page:
    return Page(
        url=url,
        requested_url=url,
        body=body.encode("utf-8") if isinstance(body, str) else body,
        content_type=content_type,
        source="example",
        timezone=timezone,
        lang=lang,
        fetched=datetime.now(UTC),
        hints=hints or {},
        site_domains=site_domains or [],
        via=via,
    )


def json_ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


# --- decoding ------------------------------------------------------------------------------------

ZH_PAGE = f"<html><head>{{meta}}<title>标题</title></head><body><p>{''.join(ZH)}</p></body></html>"
TW_TEXT = "台灣的新聞報導，今天天氣很好，我們去公園散步。政府宣布新的經濟政策，市民反應熱烈。"
JA_TEXT = (
    "日本のニュース記事です。今日は天気が良いので、公園を散歩しました。政府は新しい経済政策を発表しました。"
)


def test_decode_utf8() -> None:
    assert decode_html(ZH_PAGE.format(meta="").encode("utf-8"), "text/html") == (
        ZH_PAGE.format(meta=""),
        "utf-8",
    )


@pytest.mark.parametrize(
    ("meta", "content_type"),
    [
        ("", "text/html; charset=GBK"),  # header only
        ('<meta charset="gbk">', "text/html"),  # meta only
        ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', None),
        ("", "text/html"),  # neither: detected
        ('<meta charset="gbk">', "text/html; charset=utf-8"),  # the header is wrong
        ('<meta charset="gbk">', "text/html; charset=ISO-8859-1"),  # a server's default in the header
    ],
    ids=["header", "meta", "meta-http-equiv", "detected", "wrong-header", "latin1-server-default"],
)
def test_decode_gbk(meta: str, content_type: str | None) -> None:
    page = ZH_PAGE.format(meta=meta)
    text, encoding = decode_html(page.encode("gbk"), content_type)
    assert text == page
    assert encoding == "gb18030"


@pytest.mark.parametrize("meta", ['<meta charset="utf-8">', ""])
def test_decode_utf8_behind_a_latin1_server_default(meta: str) -> None:
    page = f"<html><head>{meta}<title>Köln</title></head><body><p>Grüße aus Köln, café and naïve — “quoted”.</p></body></html>"
    assert decode_html(page.encode("utf-8"), "text/html; charset=ISO-8859-1")[0] == page


def test_decode_real_latin1_page() -> None:
    page = "<html><head><title>Köln</title></head><body><p>Grüße aus Köln, café.</p></body></html>"
    assert decode_html(page.encode("cp1252"), "text/html; charset=ISO-8859-1") == (page, "cp1252")
    assert decode_html(page.encode("cp1252"), "text/html")[0] == page


def test_decode_big5_from_header() -> None:
    page = f"<html><head><title>新聞</title></head><body><p>{TW_TEXT}</p></body></html>"
    text, _ = decode_html(page.encode("big5"), "text/html; charset=big5")
    assert TW_TEXT in text


def test_decode_shift_jis_from_meta() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
        f"<title>ニュース</title></head><body><p>{JA_TEXT}</p></body></html>"
    )
    text, encoding = decode_html(page.encode("shift_jis"), "text/html")
    assert text == page and encoding in ("shift_jis", "cp932")


@pytest.mark.parametrize(
    ("bom", "codec"), [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]
)
def test_decode_byte_order_mark_wins_over_declarations(bom: bytes, codec: str) -> None:
    page = ZH_PAGE.format(meta='<meta charset="gbk">')
    text, _ = decode_html(bom + page.encode(codec), "text/html; charset=iso-8859-1")
    assert text == page


def test_decode_stray_bad_byte_keeps_declared_charset() -> None:
    page = ZH_PAGE.format(meta="") * 3
    body = page.encode("utf-8")
    body = body[:200] + b"\xff" + body[200:]
    text, encoding = decode_html(body, "text/html; charset=utf-8")
    assert encoding == "utf-8" and ZH[1] in text


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("2025-02-07T15:51:13+08:00", datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST), True),
        ("2025-02-07T15:51:13.250+0800", datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST), True),
        ("2025-02-07T07:51:13Z", datetime(2025, 2, 7, 7, 51, 13, tzinfo=UTC), True),
        ("2025-02-07 15:51", datetime(2025, 2, 7, 15, 51, tzinfo=SHANGHAI), True),  # naive: source zone
        ("2025-02-07", datetime(2025, 2, 7, tzinfo=SHANGHAI), False),
        ("Fri, 07 Feb 2025 15:51:13 +0800", datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST), True),
        ("Fri, 07 Feb 2025 07:51:13 GMT", datetime(2025, 2, 7, 7, 51, 13, tzinfo=UTC), True),
        ("2025年02月07日 15:51", datetime(2025, 2, 7, 15, 51, tzinfo=SHANGHAI), True),
        ("2025年2月7日", datetime(2025, 2, 7, tzinfo=SHANGHAI), False),
        ("07.02.2025, 15:51 Uhr", datetime(2025, 2, 7, 15, 51, tzinfo=SHANGHAI), True),
    ],
)
def test_parse_date(text: str, expected: datetime, has_time: bool) -> None:
    parsed = parse_date(text, "Asia/Shanghai")
    assert parsed is not None
    moment, with_time = parsed
    assert moment == expected and moment.utcoffset() == expected.utcoffset()
    assert with_time is has_time


@pytest.mark.parametrize("text", ["garbage", "", None, "yesterday", "2025-13-45", "Published 3 hours ago"])
def test_parse_date_not_a_date(text: str | None) -> None:
    assert parse_date(text, "Asia/Shanghai") is None


def test_naive_date_read_in_the_source_zone() -> None:
    berlin, _ = parse_date("2025-07-01 12:00", "Europe/Berlin")
    shanghai, _ = parse_date("2025-07-01 12:00", "Asia/Shanghai")
    assert berlin - shanghai == timedelta(hours=6)


# --- the seed page -------------------------------------------------------------------------------


def test_seed_page() -> None:
    page = make_page(
        (FIXTURES / "pages" / "seed_qq.html").read_bytes(),
        url="https://new.qq.com/rain/a/20250207A05OGB00",
        content_type="text/html",
        timezone="Asia/Shanghai",
        lang="zh-CN",
    )
    article = extract(page)
    assert article.title == "上游观察·科技｜人工智能真正的竞争，现在才刚刚开始"
    assert article.published == datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST)
    assert article.lang == "zh-CN"
    assert article.authors == ["上游新闻"]
    assert article.url == "https://new.qq.com/rain/a/20250207A05OGB00"
    assert article.sitename == "腾讯新闻"
    assert (
        article.thumbnail
        == "https://inews.gtimg.com/om_ls/OLmIKsuAVHyWX_GQG4OOCFs0qK6nkv3FYcNy1IhY_nNvAAA_640360/0"
    )
    for sentence in [
        "春节至今，DeepSeek热度持续攀升。",
        "崔伟认为，人工智能真正的竞争，现在才刚刚开始。",
        "**新常态**",
    ]:
        assert sentence in article.body
    for clutter in [
        "查看更多评论",
        "春运返程高峰来临",
        "Copyright",
        "关于腾讯",
        "DeepSeek日活突破2000万，成全球增速最快AI应用",
    ]:
        assert clutter not in article.body


# --- title ---------------------------------------------------------------------------------------


def test_og_title_preferred_over_title_tag() -> None:
    head = '<meta property="og:title" content="Council approves harbour plan"><meta property="og:site_name" content="Test Times">'
    assert extract(make_page(html(head=head, h1=None))).title == "Council approves harbour plan"


@pytest.mark.parametrize(
    "title", ["Harbour plan approved | Test Times", "Test Times - Harbour plan approved"]
)
def test_site_name_stripped_from_title_tag(title: str) -> None:
    head = '<meta property="og:site_name" content="Test Times">'
    assert extract(make_page(html(head=head, title=title, h1=None))).title == "Harbour plan approved"


@pytest.mark.parametrize(
    ("title", "site"),
    [
        ("上游观察·科技｜人工智能真正的竞争，现在才刚刚开始_腾讯新闻", "腾讯新闻"),
        ("上游观察·科技｜人工智能真正的竞争，现在才刚刚开始", None),
    ],
)
def test_internal_separators_kept(title: str, site: str | None) -> None:
    head = f'<meta property="og:site_name" content="{site}">' if site else ""
    page = make_page(html(head=head, title=title, h1=None, lang="zh-CN", paragraphs=ZH), lang="zh-CN")
    assert extract(page).title == "上游观察·科技｜人工智能真正的竞争，现在才刚刚开始"


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="og:title" content="Harbour plan approved - Regional news - Anything">',
        '<meta property="og:title" content="Harbour plan approved | Local">',
        "",
    ],
)
def test_h1_preferred_when_title_is_h1_plus_anything(head: str) -> None:
    page = make_page(html(head=head, title="Harbour plan approved – Regional news – Anything"))
    assert extract(page).title == "Harbour plan approved"


def test_feed_title_used_when_page_has_no_better_one() -> None:
    page = make_page(html(title="", h1=None), hints={"title": "Harbour plan approved"})
    assert extract(page).title == "Harbour plan approved"


# --- dates on the page ---------------------------------------------------------------------------


def test_date_from_json_ld_graph() -> None:
    graph = json_ld({"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Test Times"},
        {"@type": "WebPage", "datePublished": "2020-01-01T00:00:00Z"},
        {"@type": "NewsArticle", "headline": "Harbour plan approved", "datePublished": "2025-02-07T15:51:13+08:00",
         "dateModified": "2025-02-07T18:00:00+08:00"},
    ]})  # fmt: skip
    article = extract(make_page(html(head=graph)))
    assert (article.published, article.date_source) == (
        datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST),
        "json-ld",
    )
    assert article.modified == datetime(2025, 2, 7, 18, 0, tzinfo=CST)


def test_date_from_article_published_time() -> None:
    head = '<meta property="article:published_time" content="2025-02-07T15:51:13+08:00">'
    article = extract(make_page(html(head=head)))
    assert (article.published, article.date_source) == (datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST), "meta")


def test_date_from_time_element() -> None:
    byline = '<p class="meta">Published <time datetime="2025-02-07T07:51:13Z" itemprop="datePublished">7 Feb</time></p>'
    article = extract(make_page(html(before=byline)))
    assert (article.published, article.date_source) == (datetime(2025, 2, 7, 7, 51, 13, tzinfo=UTC), "time")


def test_feed_date_used_when_page_has_none() -> None:
    article = extract(make_page(html(), hints={"published": "Fri, 07 Feb 2025 15:51:13 +0800"}))
    assert (article.published, article.date_source) == (datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST), "feed")


def test_time_of_day_from_a_less_trusted_source_on_the_same_day() -> None:
    head = json_ld({"@type": "NewsArticle", "datePublished": "2025-02-07"})
    same_day = extract(make_page(html(head=head), hints={"published": "2025-02-07T15:51:13+08:00"}))
    assert (same_day.published, same_day.date_source) == (
        datetime(2025, 2, 7, 15, 51, 13, tzinfo=CST),
        "feed",
    )
    other_day = extract(make_page(html(head=head), hints={"published": "2025-02-09T10:00:00Z"}))
    assert other_day.published.date().isoformat() == "2025-02-07" and other_day.date_source == "json-ld"


def test_no_date_from_numbers_in_the_text() -> None:
    # "突破2000万" (20 million) and "© 2024" are not publication dates.
    page = make_page(
        html(lang="zh-CN", paragraphs=ZH, h1="人工智能", title="人工智能"), timezone="Asia/Shanghai"
    )
    assert extract(page).published is None


def test_future_date_is_not_believed() -> None:
    head = '<meta property="article:published_time" content="2099-01-01T10:00:00Z">'
    assert extract(make_page(html(head=head))).published is None


# --- authors -------------------------------------------------------------------------------------


def test_authors_from_json_ld_persons() -> None:
    head = json_ld({"@type": "NewsArticle", "author": [
        {"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "John Doe"},
        {"@type": "Person", "name": "https://news.example.com/staff/x"},
    ]})  # fmt: skip
    head += '<meta name="author" content="Editorial desk">'
    assert extract(make_page(html(head=head))).authors == ["Jane Roe", "John Doe"]


@pytest.mark.parametrize(
    ("content", "authors"),
    [
        ("By Jane Roe and John Doe", ["Jane Roe", "John Doe"]),
        ("Jane Roe, John Doe; Max Mustermann", ["Jane Roe", "John Doe", "Max Mustermann"]),
        ("https://www.facebook.com/janeroe", []),
    ],
)
def test_authors_from_meta(content: str, authors: list[str]) -> None:
    head = f'<meta name="author" content="{content}">'
    assert extract(make_page(html(head=head))).authors == authors


def test_lone_surrogate_in_json_ld_is_dropped() -> None:
    # A JSON "\ud83d" escape decodes to half an emoji, which UTF-8 (files, database) cannot store.
    script = '{"@type": "NewsArticle", "headline": "Harbour plan \\ud83d approved", "author": {"name": "Jane \\udc00Roe"}}'
    article = extract(make_page(html(head=f'<script type="application/ld+json">{script}</script>')))
    assert (article.title, article.authors) == ("Harbour plan approved", ["Jane Roe"])
    assert article.content_hash  # computable: the text encodes as UTF-8


# --- language ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "head", "default", "expected"),
    [
        ("zh-cn", "", "en", "zh-CN"),
        ("EN_us", "", None, "en-US"),
        (None, '<meta property="og:locale" content="de_DE">', "en", "de-DE"),
        (None, '<meta http-equiv="Content-Language" content="fr-CA, en">', "en", "fr-CA"),
        (None, "", "fr", "fr"),
        (None, "", None, None),
    ],
)
def test_language(lang: str | None, head: str, default: str | None, expected: str | None) -> None:
    assert extract(make_page(html(lang=lang, head=head), lang=default)).lang == expected


# --- URL -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("canonical", "fetched", "site_domains", "expected"),
    [
        ("/world/harbour-plan?utm_source=x", URL, [], URL),
        ("/content/harbour-plan", URL, [], URL),  # relative, another path: resolved against a mirror's layout
        ("https://news.example.com/world/harbour-plan-approved", URL, [], "https://news.example.com/world/harbour-plan-approved"),
        ("https://www.news.example.com/world/harbour", "https://m.news.example.com/world/harbour?from=app",
         [], "https://www.news.example.com/world/harbour"),
        ("https://aggregator.example.org/story/1", URL, [], URL),
        ("https://partner.example.org/story/1", URL, ["news.example.com", "example.org"], "https://partner.example.org/story/1"),
        ("http://news.example.com:99999/world/x", URL, [], URL),
        ("javascript:void(0)", URL, [], URL),
    ],
    ids=["relative-same-path", "relative-other-path", "absolute-same-site", "www-vs-mobile", "other-site",
         "allowed-domain", "bad-port", "not-http"],
)  # fmt: skip
def test_canonical_url(canonical: str, fetched: str, site_domains: list[str], expected: str) -> None:
    head = f'<link rel="canonical" href="{canonical}">'
    article = extract(make_page(html(head=head), url=fetched, site_domains=site_domains))
    assert article.url == expected


def test_relative_canonical_believed_when_og_url_agrees() -> None:
    head = '<link rel="canonical" href="/world/harbour-plan-approved"><meta property="og:url" content="https://news.example.com/world/harbour-plan-approved">'
    assert extract(make_page(html(head=head))).url == "https://news.example.com/world/harbour-plan-approved"


def test_fetched_url_is_cleaned() -> None:
    article = extract(make_page(html(), url=URL + "?utm_source=rss&id=3#top"))
    assert (article.url, article.fetched_url) == (URL + "?id=3", URL + "?id=3")


# --- pages that are not articles -----------------------------------------------------------------


def test_page_not_found_is_skipped() -> None:
    page = make_page(
        html(title="404 Not Found", h1="Page not found", paragraphs=["Sorry, this page does not exist."]),
        via="section",
    )
    with pytest.raises(SkipPage) as caught:
        extract(page)
    assert caught.value.reason in ("not_article", "empty")


def test_tag_listing_is_skipped() -> None:
    items = "".join(
        f'<li><a href="/world/2025/02/0{i}/story-{i}.html">City Council Approves Plan Number {i}</a></li>'
        for i in range(3)
    )
    listing = html(
        title="Transport | Test Times",
        h1="Stories tagged: Transport",
        paragraphs=[],
        before=f"<ul>{items}</ul>",
    )
    with pytest.raises(SkipPage) as caught:
        extract(make_page(listing, via="section"))
    assert caught.value.reason in ("not_article", "empty")


def test_short_article_listed_by_the_publisher_is_kept() -> None:
    """A feed or sitemap entry is an article by the publisher's word: kept however short."""
    page = html(
        title="Video: the launch", h1="Video: the launch", paragraphs=["Watch the rocket lift off at dawn."]
    )
    assert "Watch the rocket lift off" in extract(make_page(page, via="sitemap")).body
    with pytest.raises(SkipPage) as caught:
        extract(make_page(page, via="section"))
    assert caught.value.reason == "not_article"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (PNG, "image/png", "not_html"),
        (PNG, None, "not_html"),
        (b"%PDF-1.7\n" + bytes(range(256)), "application/pdf", "not_html"),
        (html().encode(), "application/json", "not_html"),
    ],
)
def test_not_html_is_skipped(body: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(SkipPage) as caught:
        extract(make_page(body, content_type=content_type))
    assert caught.value.reason == reason


@pytest.mark.parametrize("body", [PNG, b"", b"\x00" * 100, b"   "], ids=["png", "empty", "nul", "blank"])
def test_binary_served_as_html_is_skipped_not_crashing(body: bytes) -> None:
    with pytest.raises(SkipPage) as caught:
        extract(make_page(body, content_type="text/html"))
    assert caught.value.reason in KNOWN_REASONS


def test_html_without_content_type_is_sniffed() -> None:
    assert extract(make_page(html(), content_type=None)).title == "Harbour plan approved"


# --- golden pages: one stored page per tricky case (tests/fixtures/pages/tricky/) ----------------

TRICKY = FIXTURES / "pages" / "tricky"
ZH_CITY = [
    "滨江市今日召开新闻发布会，介绍城市更新计划的最新进展。",
    "据介绍，改造工程包括道路拓宽、管网更新和公共空间建设，总投资超过十亿元。",
    "专家认为，城市更新不仅要改善居住条件，",
]
GOLDEN = {
    "byline_date_zh.html": dict(
        page=dict(url="https://news.example.cn/2025/0207/a1.html", timezone="Asia/Shanghai", lang=None),
        title="滨江市城市更新计划公布", published=datetime(2025, 2, 7, 15, 51, tzinfo=SHANGHAI),
        authors=["王小明"], lang="zh-CN", present=ZH_CITY, absent=["相关新闻", "财政预算", "京ICP备", "关于我们"],
    ),
    "gbk_undeclared.html": dict(
        page=dict(url="https://news.example.cn/a/2.html", content_type="text/html", timezone="Asia/Shanghai", lang=None),
        title="老城区改造明年春天启动", published=datetime(2025, 2, 7, 8, 30, tzinfo=SHANGHAI),
        authors=[], lang="zh-CN", present=ZH_CITY, absent=["热门新闻", "今日天气晴好", "京ICP备"],
    ),
    "big5_meta.html": dict(  # declared in <meta> only; the server's header says ISO-8859-1
        page=dict(url="https://news.example.tw/a/3.html", content_type="text/html; charset=ISO-8859-1",
                  timezone="Asia/Taipei", lang=None),
        title="捷運新路線明年通車", published=datetime(2025, 2, 7, 9, 30, tzinfo=CST), date_source="meta",
        authors=[], lang="zh-Hant", present=["台北市政府今天宣布，捷運新路線將於明年年底通車", "交通局指出，新路線全長十五公里"],
        absent=["版權所有"],
    ),
    "jsonld_timezone.html": dict(
        page=dict(url="https://gazette.example.com/news/harbour", timezone="America/New_York", lang="en"),
        title="Harbour plan approved after decade of debate",
        published=datetime(2025, 3, 9, 23, 30, tzinfo=timezone(timedelta(hours=-5))), date_source="json-ld",
        modified=datetime(2025, 3, 10, 8, 15, tzinfo=timezone(timedelta(hours=-4))),
        authors=["Jane Roe", "John Doe"], lang="en", present=EN[:3], absent=["Reader comment", "Staff Writer"],
    ),
    "title_site_suffix.html": dict(
        page=dict(url="https://battery-news.de/2025/02/07/harbour-plan/", timezone="Europe/Berlin", lang="de"),
        title="Harbour plan approved in Tennessee", date_source="byline",
        published=datetime(2025, 2, 7, 15, 51, tzinfo=ZoneInfo("Europe/Berlin")),
        authors=[], lang="en", present=EN[:3], absent=["Battery-News.de", "Posted on"],
    ),
    "title_og_differs.html": dict(
        page=dict(url="https://zeitung.example.de/lokales/hafenplan", timezone="Europe/Berlin", lang="de"),
        title="Stadtrat beschließt den neuen Hafenplan", date_source="byline",
        published=datetime(2025, 2, 7, 15, 51, tzinfo=ZoneInfo("Europe/Berlin")),
        authors=["Max Mustermann"], lang="de-DE",
        present=["Der Stadtrat hat am Dienstag nach jahrelanger Debatte den neuen Hafenplan beschlossen."],
        absent=["Lokales", "Beispielzeitung", "Redakteur"],
    ),
    "lazy_images.html": dict(
        page=dict(url="https://news.example.com/gallery/harbour", lang="en"),
        title="The harbour in pictures", published=None, authors=[], lang="en",
        present=[
            # a figure's caption is its image's title, not a paragraph of the article
            '![The harbour at dawn](https://news.example.com/media/harbour-dawn.jpg "Fishing boats leave the harbour at dawn.")',
            '![A crane on the quay](https://cdn.example.net/pics/crane/640 "The old crane will be restored.")',
            "![The fish market](https://news.example.com/media/market-800.jpg)",
            EN[2],
        ],
        absent=["pixel.gif", "blank.gif", "placeholder", "data:image"],
    ),
    "figures_and_teasers.html": dict(  # images go where their text goes; captions stay with their image
        page=dict(url="https://news.example.com/coast/ferry", lang="en"),
        title="Ferry service returns to the old harbour", published=None, authors=[], lang="en",
        present=[
            '![A ferry at the quay](https://cdn.example.com/photos/ferry-lead/1200 "The first ferry in twenty years'
            ' docked on Monday morning. (Photo: Jane Roe)")\n\n' + EN[0],
            EN[1] + '\n\n![](https://news.example.com/media/quay-night.jpg "The new quay, lit at night.")\n\n' + EN[2],
            EN[3],
        ],
        absent=["logo", "teasers/", "Lighthouse", "\nThe new quay", "\nThe first ferry", "12:02"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_page(name: str) -> None:
    expected = GOLDEN[name]
    article = extract(make_page((TRICKY / name).read_bytes(), **expected["page"]))
    assert article.title == expected["title"]
    assert article.published == expected["published"]
    if expected["published"] is not None:
        assert article.published.utcoffset() == expected["published"].utcoffset()
    if "date_source" in expected:
        assert article.date_source == expected["date_source"]
    assert article.modified == expected.get("modified")
    assert article.authors == expected["authors"]
    assert article.lang == expected["lang"]
    for sentence in expected["present"]:
        assert sentence in article.body
    for clutter in expected["absent"]:
        assert clutter not in article.body
    assert "\ufffd" not in article.body + article.title


def test_golden_pages_are_stored_in_their_charsets() -> None:
    """The charset cases only test something while the stored bytes are not UTF-8."""
    for name, codec in [("gbk_undeclared.html", "gbk"), ("big5_meta.html", "big5")]:
        body = (TRICKY / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        body.decode(codec)
    assert b"charset" not in (TRICKY / "gbk_undeclared.html").read_bytes()


# --- golden pages for the metadata choices (tests/fixtures/pages/tricky/) -------------------------

BERLIN = ZoneInfo("Europe/Berlin")
EST = timezone(timedelta(hours=-5))
DE_SENTENCE = "Der Stadtrat hat am Dienstag nach jahrelanger Debatte den neuen Hafenplan beschlossen."
METADATA_GOLDEN = {
    # The JSON-LD date is the day the CMS entry was made; article:published_time and the byline agree on another.
    "date_byline_outvotes_jsonld.html": dict(
        page=dict(url="https://zeitung.example.de/lokales/hafenplan", timezone="Europe/Berlin"),
        title="Neuer Hafenplan beschlossen", published=datetime(2022, 1, 12, 9, 30, tzinfo=BERLIN),
        front_date="2022-01-12 09:30:00",
    ),
    # The JSON-LD says 02:25 UTC, the byline 9:25pm: the publisher's clock is five hours behind UTC, and the
    # file shows its day and time (with the offset, as the source's zone is UTC).
    "date_offset_from_byline.html": dict(
        page=dict(url="https://nightpost.example.com/2020/harbour", timezone="UTC"),
        title="Harbour plan approved late at night", published=datetime(2020, 2, 24, 21, 25, 54, tzinfo=EST),
        front_date="2020-02-24T21:25:54-05:00",
    ),
    # "Updated March 12, 2020" is when the page changed, not when it was published.
    "date_updated_byline.html": dict(
        page=dict(url="https://news.example.com/world/harbour-plan", timezone="UTC"),
        title="Harbour plan approved", published=datetime(2019, 10, 15, 16, 59, 59, tzinfo=UTC),
        front_date="2019-10-15 16:59:59",
    ),
    # A kicker above the headline is not part of the title the publisher gives in og:title ...
    "title_kicker.html": dict(
        page=dict(url="https://zeitung.example.de/digital/hafenamt", timezone="Europe/Berlin"),
        title="Daten des Hafenamts gehackt", published=None,
    ),
    # ... unless og:title has it too.
    "title_kicker_kept.html": dict(
        page=dict(url="https://zeitung.example.de/politik/hafenplan", timezone="Europe/Berlin"),
        title="Hafenplan: Ein bisschen Fortschritt", published=None,
    ),
    # A blog whose <h1> is its own name (also the start of <title>): the post's <h2> is the title.
    "title_blog_site_heading.html": dict(
        page=dict(url="https://fourwinds.example.org/2020/05/interning/", timezone="UTC"),
        title="Interning of small integers", published=None,
    ),
    # JSON-LD text with HTML entities ("&#8211;") is read as text: it agrees with the <h1>, whose dash is kept.
    "title_entities.html": dict(
        page=dict(url="https://wirtschaftswelt.example.de/firmen/hafenfirma", timezone="Europe/Berlin"),
        title="Hafenfirma in Sorge – Finanzdaten und Berater", published=None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(METADATA_GOLDEN))
def test_golden_metadata_page(name: str) -> None:
    from archive.render import parse, render

    expected = METADATA_GOLDEN[name]
    article = extract(make_page((TRICKY / name).read_bytes(), **expected["page"]))
    assert article.title == expected["title"]
    if expected["published"] is None:
        return
    assert article.published == expected["published"]
    assert parse(render(article))[0]["date"] == expected["front_date"]
    assert EN[0] in article.body or DE_SENTENCE in article.body


def test_site_name_in_the_middle_of_a_title_is_cut() -> None:
    sites = {"krimiarchiv"}
    assert strip_site_name("Das Musikvideo der Woche : Krimi-Archiv | Ermittlungen | Seit 2005", sites) == (
        "Das Musikvideo der Woche"
    )
    assert (
        strip_site_name("Krimi-Archiv » Blog » Das Musikvideo der Woche", sites)
        == "Blog » Das Musikvideo der Woche"
    )


@pytest.mark.parametrize(
    ("h1", "title"),
    [
        ('<h1 class="entry-title">Council says yes to the new quay</h1>', "Council says yes to the new quay"),
        ('<h1 itemprop="headline">Council says yes to the new quay</h1>', "Council says yes to the new quay"),
        ("<h1>Council says yes to the new quay</h1>", "Harbour plan approved"),  # unmarked: could be anything
    ],
)
def test_heading_marked_as_headline_beats_an_seo_title(h1: str, title: str) -> None:
    """An <h1> marked up as the article's headline is the title even when og:title, written for search
    engines, shares few words with it."""
    head = '<meta property="og:title" content="Harbour plan approved">'
    assert (
        extract(
            make_page(html(head=head, title="Harbour plan approved | Test Times", h1=None, before=h1))
        ).title
        == title
    )


def test_date_sources_vote_for_the_day() -> None:
    """One source against two that agree loses; the most trusted source of the winning day gives the time."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    lone = [
        ("json-ld", "2021-11-29T14:13:37+00:00"),
        ("byline", "12.01.2022, 09:30 Uhr"),
        ("meta-weak", "2022-01-12"),
    ]
    assert choose_published(lone, "Europe/Berlin", now) == (
        datetime(2022, 1, 12, 9, 30, tzinfo=BERLIN),
        "byline",
    )
    echoed = [("json-ld", "2022-01-12T08:00:00Z"), ("meta", "2022-01-10T08:00:00Z"), ("time", "2022-01-12"),
              ("trafilatura", "2022-01-10T08:00:00+0000")]  # fmt: skip
    # htmldate repeating the meta's instant adds little to it
    assert choose_published(echoed, "UTC", now) == (datetime(2022, 1, 12, 8, tzinfo=UTC), "json-ld")


# --- dates written out, URL dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("7. Februar 2025", datetime(2025, 2, 7, tzinfo=SHANGHAI), False),
        ("7. Februar 2025 um 10:30 Uhr", datetime(2025, 2, 7, 10, 30, tzinfo=SHANGHAI), True),
        ("07.02.2025, 15.51 Uhr", datetime(2025, 2, 7, 15, 51, tzinfo=SHANGHAI), True),
        ("February 7, 2025 3:51 PM EST", datetime(2025, 2, 7, 15, 51, tzinfo=timezone(timedelta(hours=-5))), True),
        ("Feb. 7, 2025", datetime(2025, 2, 7, tzinfo=SHANGHAI), False),
        ("3 mars 2021 à 14h05", datetime(2021, 3, 3, 14, 5, tzinfo=SHANGHAI), True),
        ("Publicado el 12 de marzo de 2021", datetime(2021, 3, 12, tzinfo=SHANGHAI), False),
        ("2025年2月7日 15時51分", datetime(2025, 2, 7, 15, 51, tzinfo=SHANGHAI), True),
        ("2025년 2월 7일 15시 51분", datetime(2025, 2, 7, 15, 51, tzinfo=SHANGHAI), True),
        ("2005-04-27 14:32更新 来源：千龙新闻网", datetime(2005, 4, 27, 14, 32, tzinfo=SHANGHAI), True),
        ("2005年3月11日12:12", datetime(2005, 3, 11, 12, 12, tzinfo=SHANGHAI), True),
        ("13/02/2025", datetime(2025, 2, 13, tzinfo=SHANGHAI), False),
    ],
)  # fmt: skip
def test_parse_written_dates(text: str, expected: datetime, has_time: bool) -> None:
    moment, with_time = parse_date(text, "Asia/Shanghai")
    assert moment == expected and moment.utcoffset() == expected.utcoffset()
    assert with_time is has_time


@pytest.mark.parametrize("text", ["07/02/2025", "Omar 12, 2020", "10:30 Uhr", "Seite 2 von 2025"])
def test_ambiguous_or_partial_dates_are_not_read(text: str) -> None:
    assert parse_date(text, "UTC") is None


def test_date_from_url_is_the_last_resort() -> None:
    url = "https://news.example.com/2025/02/07/harbour-plan"
    article = extract(make_page(html(), url=url))
    assert article.published == datetime(2025, 2, 7, tzinfo=ZoneInfo("Europe/Berlin"))
    assert article.date_source in ("url", "trafilatura")  # htmldate reads URLs too
    head = '<meta property="article:published_time" content="2025-02-09T10:00:00Z">'
    assert extract(make_page(html(head=head), url=url)).date_source == "meta"


def test_byline_gives_the_time_of_day_to_a_day_found_elsewhere() -> None:
    head = json_ld({"@type": "NewsArticle", "datePublished": "2025-02-07"})
    byline = '<p class="article-meta">Stand: 07.02.2025, 15:51 Uhr</p>'
    article = extract(make_page(html(head=head, before=byline)))
    assert article.published == datetime(2025, 2, 7, 15, 51, tzinfo=ZoneInfo("Europe/Berlin"))
    assert article.date_source == "byline"


# --- authors and titles, more cases --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "authors"),
    [
        ("Von Max Mustermann, Redakteur", ["Max Mustermann"]),
        ("Felix Schröder und Jörg Soldwisch, dpa", ["Felix Schröder", "Jörg Soldwisch", "dpa"]),
        ("Jane Roe (AFP)", ["Jane Roe"]),
        ("Test Times", []),  # the site's own name is not an author
        ("记者 王小明", ["王小明"]),
        ("Veröffentlicht vonChris Jung", ["Chris Jung"]),  # the prefix glued to the name by the markup
        ("View all posts by Daniel Lemire", ["Daniel Lemire"]),
        ("~ Cem Basman", ["Cem Basman"]),
        ("Posted on", []),  # a label, not a name
        ("Art Edwards says", []),  # a comment's author line
        ("Redaktion", ["Redaktion"]),
    ],
)
def test_author_cleaning(content: str, authors: list[str]) -> None:
    head = f'<meta name="author" content="{content}"><meta property="og:site_name" content="Test Times">'
    assert extract(make_page(html(head=head))).authors == authors


def test_logo_h1_is_not_the_title() -> None:
    page = html(title="Harbour plan approved - Test Times", h1="Test Times",
                before="<h2>Harbour plan approved</h2>")  # fmt: skip
    assert extract(make_page(page)).title == "Harbour plan approved"


def test_visible_headline_preferred_over_a_shorter_seo_title() -> None:
    head = '<meta property="og:title" content="Harbour plan approved - Test Times">'
    page = html(
        head=head, title="Harbour plan approved - Test Times", h1="Harbour plan approved by the council"
    )
    assert extract(make_page(page)).title == "Harbour plan approved by the council"


def test_page_without_any_title_is_named_by_its_first_sentence() -> None:
    page = f"<html><body><table><tr><td>{''.join(f'<p>{p}</p>' for p in EN)}</td></tr></table></body></html>"
    assert (
        extract(make_page(page)).title
        == "The regional council met on Tuesday to discuss the long-delayed plan for the…"
    )
    zh = f"<html><body><div>{''.join(f'<p>{p}</p>' for p in ZH)}</div></body></html>"
    assert extract(make_page(zh, lang="zh-CN")).title == "春节至今，DeepSeek热度持续攀升。"


# --- decoding, more cases ------------------------------------------------------------------------


def test_utf8_page_with_stray_windows_1252_bytes_behind_a_latin1_header() -> None:
    text = '<html><head><meta charset="utf-8"><title>Grüße</title></head><body><p>Grüße aus Köln, schön.</p>'
    body = text.encode("utf-8") + "<p>It’s a stray quote.</p></body></html>".encode("cp1252")
    decoded, encoding = decode_html(body, "text/html; charset=windows-1252")
    assert encoding == "utf-8" and "Grüße aus Köln, schön." in decoded and "It’s a stray quote." in decoded


def test_text_double_encoded_upstream_is_repaired() -> None:
    page = '<html><head><meta charset="utf-8"></head><body><p>Ewald Ferlemann und sein Leben fÃ¼r die VÃ¶gel.</p></body></html>'
    assert "für die Vögel" in decode_html(page.encode("utf-8"), "text/html")[0]


@pytest.mark.parametrize("lang", ["de", "de-AT", None])
def test_textual_date_read_by_dateparser_in_the_page_language(lang: str | None) -> None:
    """htmldate's last resort (dateparser) reads a date written out in words; it is told the page's
    language instead of trying every locale, and htmldate is left as it was."""
    from htmldate import extractors
    from trafilatura.utils import load_html

    from pipeline.engine_metadata import EngineMetadata
    from pipeline.extract import DATE_PARAMS

    own = extractors.get_external_parser
    page = "<html><body><h1>Titel</h1><p class='date'>Dienstag, 3. Mai 2024</p><p>" + "Text. " * 100
    engine = EngineMetadata(load_html(page + "</p></body></html>"), "http://127.0.0.1/a", DATE_PARAMS)
    engine.date_language = lang
    assert engine.date == "2024-05-03T00:00:00"
    assert extractors.get_external_parser is own
