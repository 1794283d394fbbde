"""Feeds → entries: RSS 2.0, Atom and RSS 1.0, anything else refused, and hostile XML neither
expanded nor fetched."""

from __future__ import annotations

import time

import pytest

from crawler.feeds import FeedEntry, NotAFeed, parse_feed

FEED_URL = "https://news.example.com/feeds/world.xml"


def test_rss2_link_and_guid_fallback() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <rss version="2.0"><channel><title>World</title><link>https://news.example.com/</link>
      <item><title>Harbour plan approved</title>
        <link> https://news.example.com/world/harbour-plan </link>
        <guid isPermaLink="false">tag:news.example.com,2025:1</guid>
        <pubDate>Sat, 01 Mar 2025 08:15:00 +0000</pubDate></item>
      <item><title>Only a guid</title><guid>https://news.example.com/world/only-guid</guid></item>
      <item><title>Guid that is not a link</title><guid isPermaLink="false">https://news.example.com/x</guid></item>
      <item><title>No link at all</title><description>teaser</description></item>
    </channel></rss>"""
    assert parse_feed(body, FEED_URL) == [
        FeedEntry(
            "https://news.example.com/world/harbour-plan",
            "Harbour plan approved",
            "Sat, 01 Mar 2025 08:15:00 +0000",
        ),
        FeedEntry("https://news.example.com/world/only-guid", "Only a guid", None),
    ]


@pytest.mark.parametrize("start", ["\n\n  ", "\ufeff"], ids=["leading-blank-lines", "bom"])
def test_rss2_relative_link_and_cdata_title(start: str) -> None:
    body = f"{start}<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><item>" \
           "<title><![CDATA[Räte & <b>Bürger</b>]]></title><link>/world/relative</link></item></channel></rss>"  # fmt: skip
    assert parse_feed(body.encode("utf-8"), FEED_URL) == [
        FeedEntry("https://news.example.com/world/relative", "Räte & <b>Bürger</b>", None)
    ]


def test_atom_alternate_link_resolved_against_feed_url() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>Tech</title>
      <link rel="self" href="https://news.example.com/feeds/world.xml"/>
      <entry><title type="html">Launch &amp; landing</title>
        <link rel="self" href="https://api.example.com/entries/1"/>
        <link rel="enclosure" href="https://cdn.example.com/launch.mp3"/>
        <link rel="alternate" type="text/html" href="../tech/launch.html"/>
        <id>urn:uuid:1</id><published>2025-02-07T15:51:13+08:00</published>
        <updated>2025-02-08T10:00:00+08:00</updated></entry>
      <entry><title>Implicit alternate</title><link href="/tech/satellite"/>
        <updated>2025-02-09T10:00:00Z</updated></entry>
      <entry><title>Only an enclosure</title><link rel="enclosure" href="/media/x.mp3"/></entry>
    </feed>"""
    assert parse_feed(body, FEED_URL) == [
        FeedEntry(
            "https://news.example.com/tech/launch.html", "Launch & landing", "2025-02-07T15:51:13+08:00"
        ),
        FeedEntry("https://news.example.com/tech/satellite", "Implicit alternate", "2025-02-09T10:00:00Z"),
    ]


def test_rss1_rdf() -> None:
    body = b"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
             xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://news.example.com/"><title>Old school</title>
        <items><rdf:Seq><rdf:li rdf:resource="https://news.example.com/a"/></rdf:Seq></items></channel>
      <item rdf:about="https://news.example.com/a"><title>With link</title>
        <link>https://news.example.com/a</link><dc:date>2025-02-07T15:51:13+08:00</dc:date></item>
      <item rdf:about="https://news.example.com/b"><title>About only</title></item>
    </rdf:RDF>"""
    assert parse_feed(body, FEED_URL) == [
        FeedEntry("https://news.example.com/a", "With link", "2025-02-07T15:51:13+08:00"),
        FeedEntry("https://news.example.com/b", "About only", None),
    ]


def test_feed_encoded_in_gbk() -> None:
    body = '<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><item><title>人工智能</title>' \
           "<link>https://news.example.cn/ai</link></item></channel></rss>"  # fmt: skip
    assert parse_feed(body.encode("gbk"), FEED_URL) == [
        FeedEntry("https://news.example.cn/ai", "人工智能", None)
    ]


def test_empty_feed_has_no_entries() -> None:
    assert parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', FEED_URL) == []


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>Not found</title></head><body><p>Sorry</p></body></html>",
        b"<html><body><rss><item><link>https://x.test/</link></item></rss></body></html>",
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>',
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b'{"items": []}',
        b"",
        b"   \n",
    ],
    ids=["html", "html-with-rss-tag", "sitemap", "png", "json", "empty", "blank"],
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(NotAFeed):
        parse_feed(body, FEED_URL)


# --- hostile XML ---------------------------------------------------------------------------------


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{chr(10).join(entities)}\n]>\n'
        f'<rss version="2.0"><channel><item><title>&lol{levels - 1};</title>'
        "<link>https://news.example.com/a</link></item></channel></rss>"
    ).encode()


def test_billion_laughs_is_not_expanded() -> None:
    start = time.monotonic()
    try:
        entries = parse_feed(billion_laughs(), FEED_URL)
    except NotAFeed:
        entries = []
    assert time.monotonic() - start < 2
    assert all("lollol" not in (e.title or "") + e.url for e in entries)


def test_external_entity_is_not_fetched() -> None:
    body = b"""<?xml version="1.0"?>
    <!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY remote SYSTEM "http://127.0.0.1:9/evil">]>
    <rss version="2.0"><channel>
      <item><title>Before &x;</title><link>https://news.example.com/a</link></item>
      <item><title>&remote;</title><link>&x;</link><guid>&x;</guid></item>
      <item><title>After</title><link>https://news.example.com/b?&x;</link></item>
    </channel></rss>"""
    start = time.monotonic()
    entries = parse_feed(body, FEED_URL)
    assert time.monotonic() - start < 2
    text = " ".join(f"{e.url} {e.title} {e.published}" for e in entries)
    assert "root:" not in text and "/bin/" not in text
    assert [e.url for e in entries] == ["https://news.example.com/a", "https://news.example.com/b"]
