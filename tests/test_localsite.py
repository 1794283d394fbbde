"""The loopback test server: routing, caching headers, gzip, directories and the bundled demo site."""

import gzip
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from crawler.localsite import DEMO_DIR, LocalSite, demo_config, demo_site

BIG_PAGE = "<html><body>" + "<p>A paragraph of news text.</p>" * 100 + "</body></html>"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """(status, headers, body) for url; HTTP errors and redirects are answers, not exceptions."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


@pytest.fixture
def site():
    with LocalSite() as running:
        yield running


def test_start_stop_and_context_manager():
    server = LocalSite().start()
    url = server.url("/")
    assert url.startswith("http://127.0.0.1:") and server.base_url == url.rstrip("/")
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_stop_is_fast_with_an_idle_keep_alive_connection():
    server = LocalSite().start()
    server.add("/", "hello")
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    with sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        server.stop()  # the connection is still open and idle
        assert time.monotonic() - started < 2


def test_page_404_and_request_log(site):
    site.add("/a.html", "<p>café</p>")
    status, headers, body = fetch(site.url("/a.html"), {"User-Agent": "tester"})
    assert (status, body.decode()) == (200, "<p>café</p>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))
    status, headers, body = fetch(site.url("/missing"))
    assert status == 404 and b"Not Found" in body and headers["Content-Length"] == str(len(body))
    assert site.hits("/a.html") == 1 and site.hits("/missing") == 1
    log = site.requests[0]
    assert (log.method, log.path, log.status) == ("GET", "/a.html", 200)
    assert log.headers["user-agent"] == "tester"


def test_query_strings_replace_remove_and_encoding(site):
    site.add("/list?page=2", "second")
    site.add("/gbk", "中文", content_type="text/html; charset=gbk", encoding="gbk")
    assert fetch(site.url("/list?page=2"))[2] == b"second"
    assert fetch(site.url("/list?page=3"))[0] == 404
    assert site.hits("/list?page=2") == 1 and site.hits("/list") == 0
    assert fetch(site.url("/gbk"))[2] == "中文".encode("gbk")
    site.add("/list?page=2", "changed")
    assert fetch(site.url("/list?page=2"))[2] == b"changed"
    site.remove("/list?page=2")
    assert fetch(site.url("/list?page=2"))[0] == 404


def test_head_has_headers_but_no_body(site):
    site.add("/x", "body text")
    status, headers, body = fetch(site.url("/x"), method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", "9")
    assert site.hits("/x") == 0 and site.requests[-1].method == "HEAD"


def test_redirect_and_status(site):
    site.add_redirect("/old", "/new")
    site.add_redirect("/tmp", site.url("/new"), status=302)
    site.add("/gone", "gone", status=410)
    status, headers, _ = fetch(site.url("/old"))
    assert (status, headers["Location"]) == (301, "/new")
    assert fetch(site.url("/tmp"))[1]["Location"] == site.url("/new")
    assert fetch(site.url("/gone"))[0] == 410


def test_conditional_get(site):
    site.add("/p", "version 1")
    _, headers, _ = fetch(site.url("/p"))
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('"')
    assert fetch(site.url("/p"), {"If-None-Match": etag})[0] == 304
    assert fetch(site.url("/p"), {"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert fetch(site.url("/p"), {"If-Modified-Since": modified})[0] == 304
    assert fetch(site.url("/p"), {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    status, headers, body = fetch(site.url("/p"), {"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)
    site.add("/p", "version 2")  # a changed page is never "not modified"
    status, headers, body = fetch(site.url("/p"), {"If-None-Match": etag, "If-Modified-Since": modified})
    assert (status, body) == (200, b"version 2") and headers["ETag"] != etag
    assert fetch(site.url("/p"), {"If-Modified-Since": modified})[0] == 200
    assert site.hits("/p") == 8


def test_headers_override_validators(site):
    site.add("/h", "x", headers={"last-modified": "Wed, 05 Feb 2025 10:00:00 GMT", "X-Extra": "1"})
    _, headers, _ = fetch(site.url("/h"))
    assert headers["Last-Modified"] == "Wed, 05 Feb 2025 10:00:00 GMT" and headers["X-Extra"] == "1"
    assert fetch(site.url("/h"), {"If-Modified-Since": "Thu, 06 Feb 2025 00:00:00 GMT"})[0] == 304


def test_gzip_only_when_accepted_for_large_text(site):
    site.add("/big", BIG_PAGE)
    site.add("/small", "<p>short</p>")
    site.add("/big.png", b"\x89PNG" + bytes(5000), content_type="image/png")
    status, headers, body = fetch(site.url("/big"), {"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Length"] == str(len(body))
    assert gzip.decompress(body).decode() == BIG_PAGE
    assert "Content-Encoding" not in fetch(site.url("/big"))[1]
    assert "Content-Encoding" not in fetch(site.url("/small"), {"Accept-Encoding": "gzip"})[1]
    assert "Content-Encoding" not in fetch(site.url("/big.png"), {"Accept-Encoding": "gzip"})[1]


def test_add_directory_content_types_and_index(site, tmp_path: Path):
    files = {
        "index.html": b"<h1>home</h1>",
        "section/world/index.html": b"<h1>world</h1>",
        "feed.rss": b"<rss/>",
        "feed.atom": b"<feed/>",
        "map.xml": b"<urlset/>",
        "map.xml.gz": gzip.compress(b"<urlset/>"),
        "robots.txt": b"User-agent: *",
        "img/a.png": b"\x89PNG",
        "img/b.jpg": b"\xff\xd8",
        "img/c.svg": b"<svg/>",
        "zh/page.html": "中文".encode("gbk"),
    }
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    site.add_directory(tmp_path, content_types={"zh/page.html": "text/html; charset=gbk"})
    expected = {
        "/section/world/index.html": "text/html; charset=utf-8",
        "/feed.rss": "application/rss+xml",
        "/feed.atom": "application/atom+xml",
        "/map.xml": "application/xml",
        "/map.xml.gz": "application/gzip",
        "/robots.txt": "text/plain; charset=utf-8",
        "/img/a.png": "image/png",
        "/img/b.jpg": "image/jpeg",
        "/img/c.svg": "image/svg+xml",
        "/zh/page.html": "text/html; charset=gbk",
    }
    for path, content_type in expected.items():
        status, headers, body = fetch(site.url(path))
        assert (status, headers["Content-Type"]) == (200, content_type), path
        assert body == files[path.lstrip("/")]
    assert fetch(site.url("/"))[2] == b"<h1>home</h1>"
    assert fetch(site.url("/section/world/"))[2] == b"<h1>world</h1>"
    status, headers, _ = fetch(site.url("/section/world"))
    assert (status, headers["Location"]) == (301, "/section/world/")


@pytest.fixture(scope="module")
def demo():
    running = demo_site()
    yield running
    running.stop()


def test_demo_gbk_pages(demo):
    status, headers, body = fetch(demo.url("/zh/2025/02/06/wetland-migratory-birds.html"))
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=gbk")
    text = body.decode("gbk")
    assert "江心洲湿地迎来越冬候鸟观测高峰" in text and "charset" not in text.lower()
    assert f'content="{demo.base_url}/images/logo.png"' in text and "{{base}}" not in text

    status, headers, body = fetch(demo.url("/zh/2025/02/07/metro-line-9-opens.html"))
    assert (status, headers["Content-Type"]) == (200, "text/html")
    text = body.decode("gbk")
    assert '<meta charset="gbk">' in text and "滨江地铁9号线今日全线开通运营 | 演示日报" in text
    assert f'<link rel="canonical" href="{demo.base_url}/zh/2025/02/07/metro-line-9-opens.html">' in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_demo_discovery_files_carry_the_real_base_url(demo):
    base = demo.base_url
    for path in ("/feeds/all.rss", "/feeds/zh.atom", "/sitemap.xml", "/sitemaps/articles.xml"):
        status, _, body = fetch(demo.url(path))
        assert status == 200 and f"{base}/".encode() in body and b"{{base}}" not in body, path
    status, headers, body = fetch(demo.url("/sitemaps/news.xml.gz"))
    assert (status, headers["Content-Type"]) == (200, "application/gzip")
    news = gzip.decompress(body).decode()
    assert f"<loc>{base}/zh/2025/02/07/metro-line-9-opens.html</loc>" in news
    assert "<news:name>演示日报</news:name>" in news and "{{base}}" not in news
    status, headers, body = fetch(demo.url("/robots.txt"))
    assert (status, headers["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert "Disallow: /private/" in body.decode() and f"Sitemap: {base}/sitemap.xml" in body.decode()


def test_demo_pages_and_images(demo):
    assert b"Demo Daily" in fetch(demo.url("/"))[2]
    section = fetch(demo.url("/section/world/"))[2].decode()
    assert "/private/2025/02/07/secret.html" in section and "/about.html" in section
    page = fetch(demo.url("/world/2025/02/07/bike-lanes-approved.html"))[2].decode()
    assert "<title>City Council Approves Riverside Bike-Lane Plan | Demo Daily</title>" in page
    assert 'content="2025-02-07T09:30:00+00:00"' in page
    status, headers, body = fetch(demo.url("/images/satellite.png"))
    assert (status, headers["Content-Type"], body[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")


def test_demo_config_renders_with_the_base_url():
    text = demo_config("http://127.0.0.1:8123/")
    assert "http://127.0.0.1:8123/feeds/all.rss" in text and "{{base}}" not in text
    assert (DEMO_DIR / "README.md").is_file()
