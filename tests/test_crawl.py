"""End to end: a local news site on 127.0.0.1, a config, `newsarchive crawl` in its own process,
then the Markdown files and index rows it left."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import frontmatter
import pytest

from archive.index import ArchiveIndex
from crawler.localsite import LocalSite
from tests.conftest import FIXTURES, html_page, newsarchive, write_config

SEED = Path(__file__).parents[2] / "shared" / "seed-example.md"
PARAGRAPH = (
    "The regional council met on Tuesday to discuss the long-delayed plan for the harbour, which has been "
    "debated for more than a decade and divided residents of the old town. "
)


def article(
    title: str, published: str = "2025-03-01T08:15:00+00:00", extra_head: str = "", paragraphs: int = 4
) -> str:
    body = "".join(f"<p>{PARAGRAPH}Paragraph {i} of {title}.</p>" for i in range(paragraphs))
    head = f'<meta property="article:published_time" content="{published}">{extra_head}'
    return html_page(title, f'<p class="byline">By Jane Roe</p>{body}', head=head)


def rss(site: LocalSite, paths: list[str]) -> str:
    items = "".join(
        f"<item><title>Item {p}</title><link>{site.url(p)}</link>"
        f"<pubDate>Sat, 01 Mar 2025 08:15:00 +0000</pubDate></item>"
        for p in paths
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'


def atom(site: LocalSite, paths: list[str]) -> str:
    entries = "".join(
        f'<entry><title>E</title><link rel="alternate" href="{site.url(p)}"/><id>{p}</id>'
        f"<updated>2025-03-01T08:15:00Z</updated></entry>"
        for p in paths
    )
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>{entries}</feed>'


def urlset(site: LocalSite, paths: list[str], news: bool = False) -> str:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    extra = (
        "<news:news><news:publication><news:name>T</news:name><news:language>en</news:language></news:publication>"
        "<news:publication_date>2025-03-01T08:15:00Z</news:publication_date><news:title>x</news:title></news:news>"
    )
    urls = "".join(f"<url><loc>{site.url(p)}</loc>{extra if news else ''}</url>" for p in paths)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>{urls}</urlset>'


def archived(folder: Path) -> dict[str, frontmatter.Post]:
    """Every Markdown file below folder/news, keyed by the URL of its last line."""
    posts = {}
    for path in sorted((folder / "news").rglob("*.md")):
        post = frontmatter.load(path)
        last = post.content.strip().splitlines()[-1]
        posts[last[last.index("](") + 2 : -1]] = post
    return posts


def crawl(folder: Path, *args: str) -> str:
    result = newsarchive("crawl", "--quiet", *args, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_seed_golden(site: LocalSite, tmp_path: Path) -> None:
    """A page carrying the seed article's content, with all its clutter, becomes the seed file."""
    site.add("/rain/a/20250207A05OGB00", (FIXTURES / "pages" / "seed_qq.html").read_bytes())
    site.add("/feed.xml", rss(site, ["/rain/a/20250207A05OGB00"]), content_type="application/rss+xml")
    write_config(tmp_path, [{
        "name": "qq", "feeds": [site.url("/feed.xml")], "lang": "zh-CN", "timezone": "Asia/Shanghai",
        "allowed_domains": ["127.0.0.1", "new.qq.com"],
    }])  # fmt: skip
    crawl(tmp_path)
    files = list((tmp_path / "news").rglob("*.md"))
    assert len(files) == 1
    assert files[0].read_text(encoding="utf-8") == SEED.read_text(encoding="utf-8")
    assert files[0].relative_to(tmp_path / "news").as_posix().startswith("qq/2025/02/20250207a05ogb00-")


def test_feeds_rss_and_atom(site: LocalSite, tmp_path: Path) -> None:
    for n in range(3):
        site.add(f"/world/2025/03/01/story-{n}.html", article(f"Harbour story number {n}"))
    site.add("/rss.xml", rss(site, ["/world/2025/03/01/story-0.html", "/world/2025/03/01/story-1.html"]),
             content_type="application/rss+xml")  # fmt: skip
    site.add("/atom.xml", atom(site, ["/world/2025/03/01/story-2.html"]), content_type="application/atom+xml")
    write_config(tmp_path, [{"name": "times", "feeds": [site.url("/rss.xml"), site.url("/atom.xml")]}])
    out = crawl(tmp_path)
    posts = archived(tmp_path)
    assert sorted(p["title"] for p in posts.values()) == [f"Harbour story number {n}" for n in range(3)]
    post = posts[site.url("/world/2025/03/01/story-0.html")]
    assert post["date"] == "2025-03-01 08:15:00"
    assert post["categories"] == ["times"] and post["tags"] == ["times"]
    assert "Reader comment" not in post.content and "All rights reserved" not in post.content
    assert PARAGRAPH.strip() in post.content
    assert "times" in out and "3" in out


def test_sitemap_index_gzip_and_news(site: LocalSite, tmp_path: Path) -> None:
    plain = ["/a/2025/03/01/plain-one.html", "/a/2025/03/01/plain-two.html"]
    news = ["/a/2025/03/01/news-one.html"]
    for p in plain + news:
        site.add(p, article("Story at " + p.rsplit("/", 1)[1].removesuffix(".html").replace("-", " ")))
    site.add("/sitemaps/plain.xml", urlset(site, plain), content_type="application/xml")
    site.add("/sitemaps/news.xml.gz", gzip.compress(urlset(site, news, news=True).encode()),
             content_type="application/gzip")  # fmt: skip
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/sitemaps/plain.xml')}</loc></sitemap>"
        f"<sitemap><loc>{site.url('/sitemaps/news.xml.gz')}</loc></sitemap>"
        f"<sitemap><loc>{site.url('/sitemap.xml')}</loc></sitemap></sitemapindex>"  # itself: no loop
    )
    site.add("/sitemap.xml", index, content_type="application/xml")
    write_config(tmp_path, [{"name": "maps", "sitemaps": [site.url("/sitemap.xml")]}])
    crawl(tmp_path)
    assert set(archived(tmp_path)) == {site.url(p) for p in plain + news}
    assert site.hits("/sitemap.xml") == 1


def test_section_page_discovery(site: LocalSite, tmp_path: Path) -> None:
    site.add("/world/", html_page("World", (
        '<a href="/world/2025/03/01/first-story.html">First</a> <a href="/tag/harbour/">Tag</a>'
        '<a href="/about.html">About</a> <a href="/world/?page=2">Next page</a>'
        '<a href="https://elsewhere.example/2025/03/01/offsite-story.html">Offsite</a>'
    )))  # fmt: skip
    site.add(
        "/world/?page=2", html_page("World p2", '<a href="/world/2025/02/28/second-story.html">Second</a>')
    )
    site.add("/world/2025/03/01/first-story.html", article("First story"))
    site.add("/world/2025/02/28/second-story.html", article("Second story"))
    site.add("/about.html", article("About us"))
    write_config(tmp_path, [{
        "name": "sec", "start_urls": [site.url("/world/")], "allow": [r"/world/\d{4}/"], "follow": [r"\?page="],
    }])  # fmt: skip
    crawl(tmp_path)
    assert sorted(p["title"] for p in archived(tmp_path).values()) == ["First story", "Second story"]
    assert site.hits("/about.html") == 0 and site.hits("/tag/harbour/") == 0


def test_same_article_under_two_urls_archived_once(site: LocalSite, tmp_path: Path) -> None:
    canonical = "/news/2025/03/01/one-story.html"
    head = f'<link rel="canonical" href="{site.url(canonical)}">'
    site.add(canonical, article("The one story", extra_head=head))
    site.add("/amp/2025/03/01/one-story.html", article("The one story", extra_head=head))
    site.add("/rss.xml", rss(site, [canonical + "?utm_source=rss&utm_medium=feed", "/amp/2025/03/01/one-story.html"]),
             content_type="application/rss+xml")  # fmt: skip
    site.add("/sitemap.xml", urlset(site, [canonical]), content_type="application/xml")
    write_config(
        tmp_path, [{"name": "dup", "feeds": [site.url("/rss.xml")], "sitemaps": [site.url("/sitemap.xml")]}]
    )
    crawl(tmp_path)
    assert list(archived(tmp_path)) == [site.url(canonical)]
    assert site.hits(canonical) == 1  # the utm_ variant and the sitemap entry are one request
    index = ArchiveIndex(f"sqlite:///{tmp_path / 'news' / 'index.sqlite'}")
    try:
        row = index.find(site.url("/amp/2025/03/01/one-story.html"))
        assert row is not None and row.url == site.url(canonical)
    finally:
        index.close()


def test_second_crawl_archives_nothing_new(site: LocalSite, tmp_path: Path) -> None:
    paths = [f"/n/2025/03/01/story-{n}.html" for n in range(3)]
    for n, p in enumerate(paths):
        site.add(p, article(f"Story {n} of the day"))
    site.add("/rss.xml", rss(site, paths), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "again", "feeds": [site.url("/rss.xml")]}])
    crawl(tmp_path)
    first = {p: f.read_bytes() for p, f in ((f, f) for f in (tmp_path / "news").rglob("*.md"))}
    out = crawl(tmp_path)
    assert {p: p.read_bytes() for p in (tmp_path / "news").rglob("*.md")} == first
    # archived pages are not downloaded again: only revisited (young articles), with conditional GET
    for p in paths:
        assert [r.status for r in site.requests if r.path == p] == [200, 304]
    row = next(line for line in out.splitlines() if line.startswith("again"))
    assert row.split()[1:] == ["ok", "3", "0", "0", "3", "0", "0"]
    db = sqlite3.connect(tmp_path / "news" / "index.sqlite")
    try:
        assert db.execute("select count(*) from articles").fetchone() == (3,)
        runs = db.execute("select status, new, unchanged from crawl_runs order by id").fetchall()
        assert runs == [("ok", 3, 0), ("ok", 0, 3)]
    finally:
        db.close()


@pytest.mark.parametrize("declared", ["header", "meta"])
def test_gbk_page(site: LocalSite, tmp_path: Path, declared: str) -> None:
    text = "滨江市今日召开新闻发布会，介绍城市更新计划的最新进展。" * 12
    meta = '<meta charset="gbk">' if declared == "meta" else ""
    page = (f'<html lang="zh-CN"><head>{meta}<title>城市更新计划公布_演示日报</title>'
            '<meta property="og:site_name" content="演示日报">'
            '<meta property="article:published_time" content="2025-02-07T15:51:13+08:00"></head>'
            f"<body><article><h1>城市更新计划公布</h1><p>{text}</p><p>{text}</p></article></body></html>")  # fmt: skip
    content_type = "text/html; charset=gbk" if declared == "header" else "text/html"
    site.add("/zh/2025/02/07/plan.html", page.encode("gbk"), content_type=content_type)
    site.add("/rss.xml", rss(site, ["/zh/2025/02/07/plan.html"]), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "zh", "feeds": [site.url("/rss.xml")], "timezone": "Asia/Shanghai"}])
    crawl(tmp_path)
    (post,) = archived(tmp_path).values()
    assert post["title"] == "城市更新计划公布"
    assert post["date"] == "2025-02-07 15:51:13"
    assert post["lang"] == ["zh-CN"]
    assert text in post.content


def test_robots_txt_respected(site: LocalSite, tmp_path: Path) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.add("/pub/2025/03/01/open-story.html", article("Open story"))
    site.add("/private/2025/03/01/secret-story.html", article("Secret story"))
    site.add("/rss.xml", rss(site, ["/pub/2025/03/01/open-story.html", "/private/2025/03/01/secret-story.html"]),
             content_type="application/rss+xml")  # fmt: skip
    write_config(tmp_path, [{"name": "polite", "feeds": [site.url("/rss.xml")]}])
    out = crawl(tmp_path)
    assert [p["title"] for p in archived(tmp_path).values()] == ["Open story"]
    assert site.hits("/private/2025/03/01/secret-story.html") == 0
    assert "skipped/robots_txt×1" in out


def test_source_failing_entirely_exits_non_zero(site: LocalSite, tmp_path: Path) -> None:
    site.add("/pub/2025/03/01/fine.html", article("Fine story"))
    site.add("/rss.xml", rss(site, ["/pub/2025/03/01/fine.html"]), content_type="application/rss+xml")
    write_config(tmp_path, [
        {"name": "good", "feeds": [site.url("/rss.xml")]},
        {"name": "gone", "feeds": [site.url("/moved.xml")]},
    ])  # fmt: skip
    result = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: no feed, sitemap or section page could be read (http_404×1)" in result.stdout
    assert [p["title"] for p in archived(tmp_path).values()] == ["Fine story"]


def test_limit_and_source_selection(site: LocalSite, tmp_path: Path) -> None:
    paths = [f"/n/2025/03/01/story-{n}.html" for n in range(4)]
    for n, p in enumerate(paths):
        site.add(p, article(f"Limited story {n}"))
    site.add("/rss.xml", rss(site, paths), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "one", "feeds": [site.url("/rss.xml")]},
                            {"name": "two", "feeds": [site.url("/missing.xml")]}])  # fmt: skip
    crawl(tmp_path, "--source", "one", "--limit", "2")
    assert len(archived(tmp_path)) == 2
    result = newsarchive("crawl", "--source", "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: config.yaml: no source named 'nope' (sources: one, two)"


def test_config_error_is_one_line_and_crawls_nothing(site: LocalSite, tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("sources:\n  - name: x\n    feeds: [ftp://example.org/feed]\n")
    result = newsarchive("crawl", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: config.yaml: sources[0].feeds[0]: not an http(s) URL: 'ftp://example.org/feed'"
    ]
    assert not (tmp_path / "news").exists()


@pytest.mark.postgres
def test_crawl_into_postgresql(site: LocalSite, tmp_path: Path, postgres_url: str) -> None:
    paths = [f"/pg/2025/03/01/story-{n}.html" for n in range(2)]
    for n, p in enumerate(paths):
        site.add(p, article(f"Postgres story {n}"))
    site.add("/rss.xml", rss(site, paths), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "pg", "feeds": [site.url("/rss.xml")]}], database=postgres_url)
    crawl(tmp_path)
    crawl(tmp_path)
    index = ArchiveIndex(postgres_url)
    try:
        rows = [index.find(site.url(p)) for p in paths]
        assert all(r is not None for r in rows)
        assert sorted(r.title for r in rows) == ["Postgres story 0", "Postgres story 1"]
        assert all((tmp_path / "news" / r.path).is_file() for r in rows)
    finally:
        index.close()
    assert len(archived(tmp_path)) == 2


def test_meta_refresh_leads_to_the_article(site: LocalSite, tmp_path: Path) -> None:
    """A page that only forwards with <meta http-equiv="refresh"> is followed to the article."""
    target = "/n/2025/03/01/moved-story.html"
    site.add(target, article("Moved story"))
    forward = '<meta http-equiv="Refresh" content="0; url=/n/2025/03/01/moved-story.html">'
    site.add("/n/2025/03/01/old-story.html", html_page("Moved", "<p>This story has moved.</p>", head=forward))
    site.add("/rss.xml", rss(site, ["/n/2025/03/01/old-story.html"]), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "fwd", "feeds": [site.url("/rss.xml")]}])
    crawl(tmp_path)
    assert [p["title"] for p in archived(tmp_path).values()] == ["Moved story"]
    assert site.hits(target) == 1
