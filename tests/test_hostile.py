"""Hostile and broken pages, feeds and sitemaps crawled together with good articles: every good
article is archived, each hostile page ends as a skip or failure with its reason, nothing crashes,
nothing leaves the source's lane."""

from __future__ import annotations

import gzip
from pathlib import Path

import frontmatter

from crawler.localsite import LocalSite
from tests.conftest import newsarchive, write_config
from tests.test_crawl import archived, article, rss

GOOD = [f"/good/2025/03/01/story-{n}.html" for n in range(3)]
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>{link}</link></item></channel></rss>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{link}&xxe;</loc></url></urlset>"""


def hostile_site(site: LocalSite) -> dict[str, str]:
    """Adds the hostile pages; returns path → the reason the summary must give."""
    for n, path in enumerate(GOOD):
        site.add(path, article(f"Good story {n}"))
    site.add("/h/2025/gone.html", "gone", status=410)
    site.add("/h/2025/broken.html", "oops", status=500)
    site.add_redirect("/h/2025/loop-a.html", "/h/2025/loop-b.html")
    site.add_redirect("/h/2025/loop-b.html", "/h/2025/loop-a.html")
    for n in range(15):
        site.add_redirect(f"/h/2025/chain-{n}.html", f"/h/2025/chain-{n + 1}.html")
    site.add("/h/2025/slow.html", article("Slow story"), delay=4)
    site.add(
        "/h/2025/huge.html",
        article("Huge story", paragraphs=1).replace("</article>", "x" * 3_000_000 + "</article>"),
    )
    bomb = gzip.compress(b"<html><body><p>" + b"A" * 60_000_000 + b"</p></body></html>")
    site.add("/h/2025/bomb.html", bomb, headers={"Content-Encoding": "gzip"})
    site.add("/h/2025/binary.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    site.add("/h/2025/empty.html", "<html><body></body></html>")
    expected = {
        "/h/2025/missing.html": "failed/http_404",
        "/h/2025/gone.html": "failed/http_410",
        "/h/2025/broken.html": "failed/http_500",
        "/h/2025/loop-a.html": "failed/too_many_redirects",
        "/h/2025/chain-0.html": "failed/too_many_redirects",
        "/h/2025/slow.html": "failed/timeout",
        "/h/2025/huge.html": "failed/too_large",
        "/h/2025/bomb.html": "failed/too_large",
        "/h/2025/binary.html": "skipped/not_html",
        "/h/2025/empty.html": "skipped/empty",
    }
    # Damaged but real articles: archived, with clean text.
    truncated = article("Truncated story")
    site.add("/bad/2025/truncated.html", truncated[: truncated.index("Paragraph 3")])
    dirty = (
        article("Dirty story").replace("Paragraph 1", "Para\x00graph 1").encode() + b"\xff\xfe broken bytes"
    )
    site.add("/bad/2025/dirty.html", dirty)
    links = GOOD + list(expected) + ["/bad/2025/truncated.html", "/bad/2025/dirty.html"]
    feed = rss(site, links).replace("</channel>", "".join(
        f"<item><title>x</title><link>{bad}</link></item>"
        for bad in ("javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "mailto:a@b.c",
                    "https://elsewhere.example/2025/03/01/offsite.html")
    ) + "</channel>")  # fmt: skip
    site.add("/rss.xml", feed, content_type="application/rss+xml")
    site.add("/lol.xml", BILLION_LAUGHS.format(link=site.url(GOOD[0])), content_type="application/rss+xml")
    site.add("/xxe.xml", EXTERNAL_ENTITY.format(link=site.url("/good/")), content_type="application/xml")
    site.add("/sitemap.xml", (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/sitemap.xml')}</loc></sitemap><sitemap><loc>{site.url('/xxe.xml')}</loc></sitemap>"
        "</sitemapindex>"), content_type="application/xml")  # fmt: skip
    return expected


def test_hostile_pages_are_skipped_with_reasons(site: LocalSite, tmp_path: Path) -> None:
    expected = hostile_site(site)
    write_config(
        tmp_path,
        [
            {
                "name": "wild",
                "feeds": [site.url("/rss.xml"), site.url("/lol.xml")],
                "sitemaps": [site.url("/sitemap.xml")],
            }
        ],
        crawl={"download_timeout": 2, "max_page_size": "1MB"},
    )
    result = newsarchive("crawl", "--quiet", cwd=tmp_path, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    posts = archived(tmp_path)
    titles = sorted(p["title"] for p in posts.values())
    assert titles == ["Dirty story", "Good story 0", "Good story 1", "Good story 2", "Truncated story"]
    for post in posts.values():
        assert "\x00" not in post.content and "\ufffd\ufffd" not in post.content
    dirty = posts[site.url("/bad/2025/dirty.html")]
    assert "Paragraph 1" in dirty.content
    reasons = result.stdout
    for reason in set(expected.values()):
        assert reason in reasons, (reason, reasons)
    assert "skipped/offsite×1" in reasons
    assert site.hits("/sitemap.xml") == 1
    for path in ("/etc/passwd",):
        assert all(path not in f.read_text(encoding="utf-8") for f in (tmp_path / "news").rglob("*.md"))
    assert all(frontmatter.load(f) for f in (tmp_path / "news").rglob("*.md"))
    assert not list((tmp_path / "news").rglob(".tmp-*"))
    for path, reason in expected.items():  # the summary names each hostile page with its reason
        line = next(line for line in reasons.splitlines() if line.strip().startswith(f"{reason}: "))
        assert site.url(path) in line.split(), (path, line)


def test_private_addresses_are_blocked_by_default(site: LocalSite, tmp_path: Path) -> None:
    """A real deployment never connects to loopback/private addresses, whatever a feed says."""
    site.add(GOOD[0], article("Good story 0"))
    site.add("/rss.xml", rss(site, GOOD[:1]), content_type="application/rss+xml")
    write_config(
        tmp_path,
        [{"name": "lan", "feeds": [site.url("/rss.xml")]}],
        crawl={"blocked_addresses": ["loopback"]},
    )
    result = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert result.returncode == 1
    assert "seed_failed/blocked_address×1" in result.stdout
    assert site.hits("/rss.xml") == 0 and site.hits("/robots.txt") == 0


def test_robots_txt_that_cannot_be_read(site: LocalSite, tmp_path: Path) -> None:
    """RFC 9309: robots.txt answering 5xx means 'crawl nothing'; a 4xx means 'no rules'."""
    site.add(GOOD[0], article("Good story 0"))
    site.add("/rss.xml", rss(site, GOOD[:1]), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "r", "feeds": [site.url("/rss.xml")]}])
    site.add("/robots.txt", "down for maintenance", status=503, content_type="text/plain")
    result = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert site.hits(GOOD[0]) == 0 and not archived(tmp_path)
    assert "robots_txt" in result.stdout
    site.remove("/robots.txt")  # now a 404: no rules
    result = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert result.returncode == 0 and [p["title"] for p in archived(tmp_path).values()] == ["Good story 0"]


def test_crawl_trap_is_bounded_by_depth(site: LocalSite, tmp_path: Path) -> None:
    """An endless calendar: every day's page links the next day. Following stops at max_depth."""
    for day in range(40):
        links = f'<a href="/cal/?d={day + 1}">next day</a> <a href="/a/2025/03/{day:02d}/day-{day}.html">story</a>'
        site.add(f"/cal/?d={day}", f"<html><body>{links}</body></html>")
        site.add(f"/a/2025/03/{day:02d}/day-{day}.html", article(f"Story of day {day}"))
    write_config(
        tmp_path,
        [{"name": "cal", "start_urls": [site.url("/cal/?d=0")], "follow": [r"/cal/\?d="], "allow": ["/a/"]}],
        crawl={"max_depth": 2},
    )
    result = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [site.hits(f"/cal/?d={day}") for day in range(5)] == [1, 1, 1, 0, 0]
    assert sorted(p["title"] for p in archived(tmp_path).values()) == [f"Story of day {d}" for d in range(3)]
