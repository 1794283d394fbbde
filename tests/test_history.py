"""History: incremental re-crawls with conditional GET, revisits, revisions, deleted articles, and
a killed crawl, on a local site whose pages change between runs."""

from __future__ import annotations

import gzip
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import frontmatter

from archive.revisions import compare
from crawler.localsite import LocalSite
from crawler.revisit import is_due
from tests.conftest import newsarchive, write_config
from tests.test_crawl import archived, article, crawl, rss, urlset

NAMES = ["title", "body", "ads", "gone", "moved", "flaky", "same"]
PATHS = {name: f"/n/2025/03/01/{name}-story.html" for name in NAMES}
REVISIT = {"every_run_for": "1d", "at": [], "confirm_deleted_after": "1s"}


def page(name: str, *, title: str | None = None, extra: str = "", ad: str = "ad-1") -> str:
    head = f'<script>var slot = "{ad}"; var rendered = "{time.time()}";</script>'
    html = article(title or f"The {name} story", extra_head=head)
    return html.replace("Paragraph 0 of", f"{extra}Paragraph 0 of") if extra else html


def db(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "news" / "index.sqlite")


def statuses(site: LocalSite, path: str) -> list[int]:
    return [r.status for r in site.requests if r.path == path]


def test_revisits_revisions_and_deletions(site: LocalSite, tmp_path: Path) -> None:
    site.add("/", "<html><body><h1>Home</h1></body></html>")
    for name, path in PATHS.items():
        site.add(path, page(name))
    site.add("/rss.xml", rss(site, list(PATHS.values())), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "t", "feeds": [site.url("/rss.xml")]}], crawl={"revisit": REVISIT})
    crawl(tmp_path)
    first = archived(tmp_path)
    assert len(first) == len(NAMES)
    assert all("lastmod" not in post.metadata for post in first.values())

    site.requests.clear()
    retitled = page("title").replace("<h1>The title story", "<h1>The corrected title story")
    site.add(PATHS["title"], retitled.replace("<title>The title story", "<title>The corrected title story"))
    site.add(PATHS["body"], page("body", extra="<strong>Correction:</strong> the vote was 7 to 2. "))
    site.add(PATHS["ads"], page("ads", ad="ad-2"))  # new bytes, same text
    site.remove(PATHS["gone"])
    site.add_redirect(PATHS["moved"], "/")
    site.add(PATHS["flaky"], "<h1>Service Unavailable</h1>", status=503)
    out = crawl(tmp_path)

    feed = [r for r in site.requests if r.path == "/rss.xml"]
    assert [r.status for r in feed] == [304] and "if-none-match" in feed[0].headers
    assert statuses(site, PATHS["same"]) == [304]  # no unchanged article downloaded
    posts = archived(tmp_path)
    assert posts[site.url(PATHS["title"])]["title"] == "The corrected title story"
    assert "lastmod" in posts[site.url(PATHS["title"])].metadata
    assert "7 to 2" in posts[site.url(PATHS["body"])].content
    assert "lastmod" in posts[site.url(PATHS["body"])].metadata
    assert "lastmod" not in posts[site.url(PATHS["ads"])].metadata
    assert posts[site.url(PATHS["ads"])].content == first[site.url(PATHS["ads"])].content
    assert "ok" in out.splitlines()[-1] or "ok" in out
    conn = db(tmp_path)
    try:
        changes = dict(
            conn.execute("select a.url, r.changed from revisions r join articles a on a.id = r.article_id")
        )
        assert changes == {site.url(PATHS["title"]): "title", site.url(PATHS["body"]): "body"}
        # seen gone once: not deleted yet; the 503 is not a deletion at all
        assert conn.execute(
            "select count(*) from article_checks where deleted_at is not null"
        ).fetchone() == (0,)
    finally:
        conn.close()
    kept = list((tmp_path / "news").rglob(".revisions/*/1.md"))
    assert len(kept) == 2
    old = {frontmatter.load(p)["title"] for p in kept}
    assert old == {"The title story", "The body story"}

    time.sleep(1.1)
    site.add(PATHS["flaky"], page("flaky"))
    crawl(tmp_path)
    posts = archived(tmp_path)
    for name in ("gone", "moved"):  # seen gone twice, a second apart: deleted; the file stays
        post = posts[site.url(PATHS[name])]
        assert post["title"] == f"The {name} story" and post["deleted_status"] in ("404", "redirect")
    assert "deleted" not in posts[site.url(PATHS["flaky"])].metadata

    listing = newsarchive("list", "--deleted", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert len(listing.stdout.splitlines()) == 2
    assert "The gone story" in listing.stdout and "The moved story" in listing.stdout
    assert "(404)" in listing.stdout and "(redirect)" in listing.stdout
    row_id = next(line.split()[0] for line in newsarchive("list", cwd=tmp_path).stdout.splitlines()
                  if "corrected" in line)  # fmt: skip
    history = newsarchive("history", row_id, cwd=tmp_path)
    assert history.returncode == 0 and len(history.stdout.splitlines()) == 2
    assert "title" in history.stdout.splitlines()[0] and "current" in history.stdout.splitlines()[1]
    diff = newsarchive("diff", site.url(PATHS["body"]), "--from", "1", "--to", "2", cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    assert any(line.startswith("+") and "7 to 2" in line for line in diff.stdout.splitlines())
    verify = newsarchive("verify", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_duplicate_urls_become_aliases(site: LocalSite, tmp_path: Path) -> None:
    canonical = "/n/2025/03/01/one-story.html"
    head = f'<link rel="canonical" href="{site.url(canonical)}">'
    site.add(canonical, article("One story", extra_head=head))
    site.add("/amp/2025/03/01/one-story.html", article("One story", extra_head=head))
    site.add(
        "/rss.xml",
        rss(site, [canonical, "/amp/2025/03/01/one-story.html"]),
        content_type="application/rss+xml",
    )
    write_config(tmp_path, [{"name": "d", "feeds": [site.url("/rss.xml")]}], crawl={"revisit": REVISIT})
    crawl(tmp_path)
    assert list(archived(tmp_path)) == [site.url(canonical)]
    conn = db(tmp_path)
    try:
        urls = sorted(u for (u,) in conn.execute("select url from article_urls"))
    finally:
        conn.close()
    assert urls == sorted([site.url(canonical), site.url("/amp/2025/03/01/one-story.html")])


def test_sitemap_index_children_with_unchanged_lastmod_are_not_fetched(
    site: LocalSite, tmp_path: Path
) -> None:
    a, b = ["/s/2025/03/01/alpha-story.html"], ["/s/2025/03/01/beta-story.html"]
    for p in a + b:
        site.add(p, article("Story " + p.rsplit("/", 1)[1]))
    site.add("/sm/a.xml", urlset(site, a), content_type="application/xml")
    site.add("/sm/b.xml.gz", gzip.compress(urlset(site, b).encode()), content_type="application/gzip")

    def index(lastmod_a: str) -> None:
        site.add("/sm/index.xml", (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{site.url('/sm/a.xml')}</loc><lastmod>{lastmod_a}</lastmod></sitemap>"
            f"<sitemap><loc>{site.url('/sm/b.xml.gz')}</loc><lastmod>2025-03-01</lastmod></sitemap>"
            "</sitemapindex>"), content_type="application/xml")  # fmt: skip

    index("2025-03-01")
    write_config(tmp_path, [{"name": "sm", "sitemaps": [site.url("/sm/index.xml")]}],
                 crawl={"revisit": {"every_run_for": 0, "at": []}})  # fmt: skip
    crawl(tmp_path)
    assert len(archived(tmp_path)) == 2
    site.requests.clear()
    out = crawl(tmp_path)  # nothing changed: one 304, no child, no article
    assert [(r.path, r.status) for r in site.requests if r.path != "/robots.txt"] == [("/sm/index.xml", 304)]
    row = next(line for line in out.splitlines() if line.startswith("sm "))
    assert row.split()[1:4] == ["ok", "2", "0"], out  # its articles still count as discovered

    site.requests.clear()
    a2 = "/s/2025/03/02/gamma-story.html"
    site.add(a2, article("Story gamma"))
    site.add("/sm/a.xml", urlset(site, [*a, a2]), content_type="application/xml")
    index("2025-03-02")
    crawl(tmp_path)
    fetched = [r.path for r in site.requests if r.status == 200]
    assert "/sm/b.xml.gz" not in [r.path for r in site.requests]  # its lastmod did not change
    assert "/sm/a.xml" in fetched and a2 in fetched and a[0] not in fetched
    assert len(archived(tmp_path)) == 3


def test_a_killed_revisit_crawl_then_a_normal_one_leave_a_verified_archive(
    site: LocalSite, tmp_path: Path
) -> None:
    paths = [f"/k/2025/03/01/story-{n}.html" for n in range(6)]
    for n, p in enumerate(paths):
        site.add(p, article(f"Killed story {n}"))
    site.add("/rss.xml", rss(site, paths), content_type="application/rss+xml")
    write_config(tmp_path, [{"name": "k", "feeds": [site.url("/rss.xml")]}],
                 crawl={"revisit": REVISIT, "concurrent_requests": 1})  # fmt: skip
    crawl(tmp_path)
    for n, p in enumerate(paths):  # every article edited; the pages answer slowly
        site.add(p, article(f"Killed story {n}, updated"), delay=0.4)
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--quiet"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((tmp_path / "news").rglob(".revisions/*/1.md")):
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "extraction workers outlived the killed crawl"
    crawl(tmp_path)
    posts = archived(tmp_path)
    assert sorted(p["title"] for p in posts.values()) == [f"Killed story {n}, updated" for n in range(6)]
    assert not list((tmp_path / "news").rglob(".tmp-*"))
    kept = sorted((tmp_path / "news").rglob(".revisions/*/*.md"))
    assert len(kept) == 6 and all(p.name == "1.md" for p in kept)
    assert all(frontmatter.load(p)["title"].startswith("Killed story") and "updated" not in
               frontmatter.load(p)["title"] for p in kept)  # fmt: skip
    conn = db(tmp_path)
    try:
        assert conn.execute("select count(*) from revisions").fetchone() == (6,)
    finally:
        conn.close()
    verify = newsarchive("verify", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


# -- without a network ------------------------------------------------------------------------


def test_revisit_schedule_from_a_fixed_now() -> None:
    first = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    every, at = 3 * 3600, [6 * 3600, 86400, 3 * 86400]
    assert is_due(first, first + timedelta(hours=2), first + timedelta(hours=2, minutes=15), every, at)
    assert not is_due(first, first + timedelta(hours=2, minutes=59), first + timedelta(hours=4), every, at)
    assert is_due(
        first, first + timedelta(hours=2, minutes=59), first + timedelta(hours=6, minutes=1), every, at
    )
    assert not is_due(first, first + timedelta(hours=6, minutes=1), first + timedelta(hours=7), every, at)
    assert is_due(
        first, first + timedelta(hours=7), first + timedelta(days=5), every, at
    )  # missed marks: once
    assert not is_due(
        first, first + timedelta(days=5), first + timedelta(days=60), every, at
    )  # after the last


def test_compare_reading_text_only() -> None:
    assert compare("T", "Some **bold** text.", "T", "Some bold   text.") is None
    change = compare("T", "The vote was close.", "T2", "The vote was 7 to 2.")
    assert change is not None and change.changed == "both" and change.added > 0 and change.removed > 0
