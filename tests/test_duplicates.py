"""Duplicates across URLs and sources: tracking-parameter, AMP and mobile variants of an article
become one file with the other URLs as aliases (Hugo redirects from their paths); another
source's copy of the same wire text is linked, kept or skipped as ``crawl.syndicated`` says; two
different articles on one topic are not taken for copies."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import frontmatter
import pytest
from sqlalchemy import select

from archive.archiver import Archiver
from archive.frontextras import Extras, apply, carry
from archive.identity import url_key
from archive.index import ArchiveIndex
from archive.models import ArticleFingerprint, ArticleURL, SyndicatedCopy
from archive.rebuild import reindex, verify
from archive.similarity import THRESHOLD, signature
from archive.variants import alias_paths, main_candidates
from crawler.config import ConfigError, load_config
from crawler.localsite import LocalSite
from pipeline.extract import extract
from tests.archives import article
from tests.conftest import newsarchive, write_config
from tests.test_crawl import archived, crawl, rss
from tests.test_extract import make_page

# -- texts of our own making -------------------------------------------------------------------------

VOCABULARY = (
    "council harbour minister budget vote residents port ferry shipping union strike tariff court ruling "
    "election mayor river bridge storm flood rescue hospital school teachers farmers drought prices energy "
    "grid wind solar company shares market bank rates inflation exports police inquiry report museum festival"
).split()
GLUE = "the a of to in on and for with after before while as said that was were has had will would".split()
BOILERPLATE = (
    "This story was distributed by the Northern Wire Service under licence. Reproduction of this material "
    "without written permission of the agency is prohibited. Readers with information about this story can "
    "contact the newsroom through the secure tip line listed on the agency website at any time of day."
)


def paragraphs(seed: int, count: int = 10) -> list[str]:
    """``count`` paragraphs of distinct sentences (about 400 words), the same for the same seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        sentences = []
        for _ in range(3):
            words = [rng.choice(VOCABULARY if i % 2 else GLUE) for i in range(rng.randint(10, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


WIRE = paragraphs(1)
EDITED = [
    *WIRE[:4],
    WIRE[4].replace(WIRE[4].split(". ")[1], "The second outlet wrote this sentence itself"),
    *WIRE[5:],
]
TOPIC_A = [*paragraphs(2), BOILERPLATE]
TOPIC_B = [*paragraphs(3), BOILERPLATE]


def md(paras: list[str]) -> str:
    return "\n\n".join(paras)


def test_fingerprint_tells_copies_from_other_articles() -> None:
    wire, edited = signature(md(WIRE)), signature(md(EDITED))
    assert wire is not None and edited is not None
    assert wire.similarity(edited) >= THRESHOLD  # one sentence changed
    a, b = signature(md(TOPIC_A)), signature(md(TOPIC_B))
    assert a is not None and b is not None and a.similarity(b) < 0.3  # same topic words, shared boilerplate
    assert signature("Too short to judge: a caption of a dozen words or so.") is None
    rng = random.Random(7)
    phrases = [
        "春节至今",
        "人工智能",
        "模型热度",
        "持续攀升",
        "底层芯片",
        "云服务商",
        "不断扩大",
        "竞争激烈",
        "生态协作",
        "新阶段",
    ]
    zh = "，".join(rng.choice(phrases) for _ in range(60)) + "。"
    zh_sig = signature(zh)
    assert zh_sig is not None
    assert zh_sig.similarity(signature(zh.replace("芯片", "晶片", 1))) >= THRESHOLD


# -- URL variants -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "main"),
    [
        ("https://www.x.com/amp/world/story", "https://www.x.com/world/story"),
        ("https://www.x.com/world/story/amp", "https://www.x.com/world/story"),
        ("https://www.x.com/world/story.amp.html", "https://www.x.com/world/story.html"),
        ("https://www.x.com/world/story?amp=1", "https://www.x.com/world/story"),
        ("https://www.x.com/world/story?id=3&outputType=amp", "https://www.x.com/world/story?id=3"),
        ("https://m.x.com/world/story", "https://www.x.com/world/story"),
        ("https://amp.x.com/world/story", "https://x.com/world/story"),
    ],
)
def test_variant_urls_name_their_main_page(url: str, main: str) -> None:
    assert main in main_candidates(url)


def test_plain_urls_are_no_variants() -> None:
    assert main_candidates("https://www.x.com/world/story") == []
    assert main_candidates("https://www.x.com/amp") == []  # a section called amp
    assert main_candidates("https://www.x.com/world/example-story") == []


def test_alias_paths_are_other_paths_on_the_same_site() -> None:
    own = "https://www.x.com/world/story"
    others = [own + "?amp=1", "https://m.x.com/world/story", "https://www.x.com/amp/world/story",
              "https://wire.example.org/a/story", "https://www.x.com/", "https://www.x.com/article.php?id=7",
              "https://www.x.com/amp/world/story?utm_source=x"]  # fmt: skip
    assert alias_paths(own, others) == ["/amp/world/story"]


def test_extract_records_amp_and_mobile_pages_and_believes_an_amp_pages_relative_canonical() -> None:
    head = ('<link rel="canonical" href="https://www.news.example.com/world/harbour-plan">'
            '<link rel="amphtml" href="/amp/world/harbour-plan">'
            '<link rel="alternate" media="only screen and (max-width: 640px)" href="https://m.news.example.com/world/harbour-plan">'
            '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
            '<link rel="amphtml" href="https://elsewhere.example.org/amp/harbour-plan">')  # fmt: skip
    found = extract(make_page(_page(head), url="https://www.news.example.com/world/harbour-plan"))
    assert found.aliases == [
        "https://www.news.example.com/amp/world/harbour-plan",
        "https://m.news.example.com/world/harbour-plan",
    ]
    amp = extract(make_page(_page('<link rel="canonical" href="/world/harbour-plan">'),
                            url="https://www.news.example.com/world/harbour-plan/amp"))  # fmt: skip
    assert amp.url == "https://www.news.example.com/world/harbour-plan"
    other = extract(make_page(_page('<link rel="canonical" href="/world/other-story">'),
                              url="https://www.news.example.com/world/harbour-plan/amp"))  # fmt: skip
    assert (
        other.url == "https://www.news.example.com/world/harbour-plan/amp"
    )  # not its main page: not believed


def _page(head: str) -> str:
    return page("Harbour plan", WIRE[:4], head)


def page(title: str, paras: list[str], head: str = "", chrome: str = "Test Times") -> str:
    """An article page; ``chrome`` names the outlet in its navigation, sidebar and footer."""
    body = "".join(f"<p>{p}</p>" for p in paras)
    return textwrap.dedent(f"""\
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {chrome}</title>
        <meta property="article:published_time" content="2025-03-01T08:15:00+00:00">{head}</head>
        <body><nav><a href="/">{chrome} home</a> <a href="/world/">World</a></nav>
        <article><h1>{title}</h1>{body}</article>
        <aside><h3>More from {chrome}</h3><ul><li><a href="/other">Other story</a></li></ul></aside>
        <footer>© {chrome}. All rights reserved.</footer></body></html>""")


NO_REVISITS = {"revisit": {"every_run_for": 0, "at": []}, "concurrent_requests": 1}
MAIN = "/world/2025/03/01/harbour-plan.html"


def article_urls(database_url: str, url: str) -> set[str]:
    index = ArchiveIndex(database_url)
    try:
        row = index.find(url)
        assert row is not None, url
        with index.session() as session:
            return set(session.scalars(select(ArticleURL.url).where(ArticleURL.article_id == row.id)))
    finally:
        index.close()


def test_url_variants_become_one_article_with_aliases(
    site: LocalSite, tmp_path: Path, database_url: str
) -> None:
    amp_prefix, amp_suffix, amp_query = "/amp" + MAIN, MAIN + "/amp", MAIN + "?outputType=amp"
    title = "Harbour plan approved"
    site.add(
        MAIN,
        page(
            title,
            WIRE,
            f'<link rel="canonical" href="{site.url(MAIN)}"><link rel="amphtml" href="{amp_prefix}">',
        ),
    )
    site.add(amp_prefix, page(title, WIRE, f'<link rel="canonical" href="{MAIN}">', chrome="Test Times AMP"))
    site.add(amp_suffix, page(title, WIRE, f'<link rel="canonical" href="{site.url(MAIN)}">'))
    site.add(amp_query, page(title, WIRE, chrome="Test Times AMP"))  # names no canonical at all
    site.add_redirect("/s/4711", MAIN)  # a short link
    # Another article whose AMP page names no canonical: the URLs match, the texts do not.
    budget = "/world/2025/03/01/budget-vote.html"
    site.add(budget, page("Budget vote", TOPIC_A))
    site.add("/amp" + budget, page("Budget vote: what it means", TOPIC_B))
    links = [
        MAIN + "?utm_source=rss&utm_medium=feed",
        amp_suffix,
        amp_query,
        "/s/4711",
        budget,
        "/amp" + budget,
    ]
    site.add("/rss.xml", rss(site, links), content_type="application/rss+xml")
    site.add("/sitemap.xml", _urlset(site, [MAIN, amp_prefix]), content_type="application/xml")
    source = {"name": "t", "feeds": [site.url("/rss.xml")], "sitemaps": [site.url("/sitemap.xml")]}
    write_config(tmp_path, [source], database=database_url, crawl=NO_REVISITS)
    crawl(tmp_path)
    posts = archived(tmp_path)
    assert sorted(p["title"] for p in posts.values()) == ["Budget vote", "Budget vote: what it means", title]
    post = next(p for p in posts.values() if p["title"] == title)
    assert (
        {amp_prefix, amp_suffix, "/s/4711"}
        <= set(post["aliases"])
        <= {amp_prefix, amp_suffix, "/s/4711", MAIN}
    )
    urls = article_urls(database_url, site.url(MAIN))
    assert {site.url(u) for u in (MAIN, amp_prefix, amp_suffix, amp_query, "/s/4711")} <= urls
    verified = newsarchive("verify", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    site.requests.clear()
    crawl(tmp_path)  # every URL of the article is known: nothing is fetched again
    assert [
        r.path for r in site.requests if r.status == 200 and r.path not in ("/rss.xml", "/sitemap.xml")
    ] == []


def _urlset(site: LocalSite, paths: list[str]) -> str:
    urls = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in paths)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


# -- front matter: aliases found later, revisions, reindex, Hugo ----------------------------------------

CANONICAL = "https://www.news.example.com/world/harbour-plan"


def test_front_matter_extras_are_replaced_and_carried_over() -> None:
    text = '---\ntitle: "T"\nwidgets:\n  - "search"\n---\n\nBody.\n\n[t](https://x.org/a)\n'
    with_extras = apply(text, Extras(aliases=["/amp/a"], syndicated_from="https://y.org/b"))
    assert with_extras == (
        '---\ntitle: "T"\nwidgets:\n  - "search"\naliases:\n  - "/amp/a"\nsyndicated_from: "https://y.org/b"'
        "\n---\n\nBody.\n\n[t](https://x.org/a)\n"
    )
    assert apply(with_extras, Extras()) == text
    assert carry(with_extras, text.replace("Body.", "New body.")) == with_extras.replace("Body.", "New body.")


def test_an_alias_found_later_rewrites_the_front_matter(tmp_path: Path, database_url: str) -> None:
    news = tmp_path / "news"
    archiver = Archiver.open(news, database_url)
    try:
        first = archiver.save(article(CANONICAL, "Harbour plan approved", md(WIRE)))
        path = news / first.path
        before = path.read_text(encoding="utf-8")
        assert "aliases" not in frontmatter.loads(before).metadata  # one URL: the layout's keys only
        variant = article(CANONICAL, "Harbour plan approved", md(WIRE))
        variant.fetched_url = "https://amp.news.example.com/amp/world/harbour-plan?amp=1"
        variant.aliases = ["https://m.news.example.com/world/harbour-plan"]
        assert archiver.save(variant).status == "duplicate"
        after = frontmatter.loads(path.read_text(encoding="utf-8"))
        assert after["aliases"] == ["/amp/world/harbour-plan"]
        assert after.content == frontmatter.loads(before).content  # not a revision: same text
        assert not list(news.rglob(".revisions"))
        # an AMP page that named no canonical, of the same source with the same text: an alias too
        bare = article(
            "https://www.news.example.com/world/harbour-plan/amp", "Harbour plan approved", md(WIRE)
        )
        assert archiver.save(bare).status == "duplicate"
        assert frontmatter.load(path)["aliases"] == ["/amp/world/harbour-plan", "/world/harbour-plan/amp"]
        # the reverse: a bare AMP page archived first, then its main page (another title): one article
        amp_first = archiver.save(
            article("https://www.news.example.com/world/strike.amp.html", "Strike", md(TOPIC_B))
        )
        main = archiver.save(
            article("https://www.news.example.com/world/strike.html", "Port strike ends", md(TOPIC_B))
        )
        assert main.status == "duplicate" and main.path == amp_first.path
        assert frontmatter.load(news / main.path)["aliases"] == ["/world/strike.html"]
        other = article("https://www.news.example.com/amp/world/budget", "Budget vote", md(TOPIC_A))
        archiver.save(article("https://www.news.example.com/world/budget", "Budget", md(WIRE[::-1])))
        assert archiver.save(other).status == "new"  # a variant URL, but another text: another article
        assert verify(archiver.index, archiver.store, lambda _: "UTC").ok
    finally:
        archiver.close()
    # a rebuilt index (a new database) gets the aliases back from the files
    rebuilt = Archiver.open(news, f"sqlite:///{tmp_path / 'rebuilt.sqlite'}")
    try:
        report = reindex(rebuilt.index, rebuilt.store, lambda _: "UTC")
        assert report.added == 4 and not report.problems
        row = rebuilt.index.find("https://www.news.example.com/amp/world/harbour-plan")
        assert row is not None and row.url == CANONICAL
        with rebuilt.index.session() as session:
            assert session.scalar(select(ArticleFingerprint).where(ArticleFingerprint.article_id == row.id))
    finally:
        rebuilt.close()


def test_a_revisit_that_finds_a_new_amp_page_records_it(tmp_path: Path) -> None:
    from archive.fetchstate import FetchInfo

    news = tmp_path / "news"
    archiver = Archiver.open(news, f"sqlite:///{news / 'index.sqlite'}")
    try:
        saved = archiver.save(article(CANONICAL, "Harbour plan approved", md(WIRE)))
        again = article(CANONICAL, "Harbour plan approved", md(WIRE))
        again.aliases = ["https://www.news.example.com/amp/world/harbour-plan"]
        assert archiver.save(again, FetchInfo(revisit_of=saved.article_id)).status == "unchanged"
        assert frontmatter.load(news / saved.path)["aliases"] == ["/amp/world/harbour-plan"]
        assert archiver.index.find(again.aliases[0]).id == saved.article_id
        assert verify(archiver.index, archiver.store, lambda _: "UTC").ok
    finally:
        archiver.close()


def test_hugo_redirects_an_alias_to_the_article(tmp_path: Path) -> None:
    from tests.test_hugo import build_site, init

    news = tmp_path / "news"
    config = write_config(tmp_path, [{"name": "times", "feeds": ["https://www.news.example.com/rss"]}])
    archiver = Archiver.open(news, f"sqlite:///{news / 'index.sqlite'}")
    try:
        item = article(CANONICAL, "Harbour plan approved", md(WIRE))
        item.aliases = ["https://www.news.example.com/amp/world/harbour-plan.html", CANONICAL + "/amp"]
        saved = archiver.save(item)
    finally:
        archiver.close()
    assert init(config, str(tmp_path / "site")).exit_code == 0
    public = build_site(tmp_path / "site", tmp_path)
    target = "/" + Path(saved.path).with_suffix("").as_posix() + "/"
    for alias in ("amp/world/harbour-plan.html", "world/harbour-plan/amp/index.html"):
        redirect = (public / alias).read_text(encoding="utf-8")
        assert 'http-equiv="refresh"' in redirect and target in redirect, redirect


# -- syndicated copies -----------------------------------------------------------------------------------

WIRE_URL = "https://wire.example.org/2025/03/01/harbour-plan"
COPY_URL = "https://gazette.example.com/news/harbour-plan-approved"


@pytest.mark.parametrize("mode", ["link", "keep", "skip"])
def test_syndicated_copy_modes(tmp_path: Path, database_url: str, mode: str) -> None:
    news = tmp_path / "news"
    archiver = Archiver.open(news, database_url, syndicated=mode)
    try:
        first = archiver.save(article(WIRE_URL, "Harbour plan approved", md(WIRE), source="wire"))
        assert (
            archiver.save(
                article(WIRE_URL + "-2", "Harbour plan approved (update)", md(EDITED), source="wire")
            ).status
            == "new"
        )  # fmt: skip  (same source: left alone)
        copy = archiver.save(article(COPY_URL, "Council approves harbour plan", md(EDITED), source="gazette"))
        other = archiver.save(article("https://gazette.example.com/news/budget", "Budget", md(TOPIC_A),
                                      source="gazette"))  # fmt: skip
        also = archiver.save(article("https://wire.example.org/budget", "Budget", md(TOPIC_B), source="wire"))
        assert other.status == also.status == "new"  # same topic, shared boilerplate: not copies
        assert copy.copy_of == WIRE_URL
        files = sorted(p.relative_to(news).as_posix() for p in news.rglob("*.md"))
        first_post = frontmatter.load(news / first.path)
        with archiver.index.session() as session:
            copies = session.scalars(select(SyndicatedCopy)).all()
            assert [(c.article_id, c.url, c.source, c.mode) for c in copies] == [
                (first.article_id, COPY_URL, "gazette", mode)
            ]
            seen = session.get(ArticleURL, url_key(COPY_URL))
            assert seen is not None  # a later crawl does not fetch it again
        if mode == "keep":
            assert copy.status == "new" and len(files) == 5
            assert frontmatter.load(news / copy.path)["syndicated_from"] == WIRE_URL
            assert copies[0].copy_id == copy.article_id and seen.article_id == copy.article_id
            assert "syndicated_copies" not in first_post.metadata
        else:
            assert copy.status == "syndicated" and copy.article_id == first.article_id and len(files) == 4
            assert seen.article_id == first.article_id and copies[0].copy_id is None
            expected = [{"source": "gazette", "url": COPY_URL}] if mode == "link" else None
            assert first_post.get("syndicated_copies") == expected
        assert verify(archiver.index, archiver.store, lambda _: "UTC").ok
    finally:
        archiver.close()
    # a rebuilt index (a new database) gets the copies back from the front matter (skip wrote none)
    rebuilt = Archiver.open(news, f"sqlite:///{tmp_path / 'rebuilt.sqlite'}")
    try:
        assert not reindex(rebuilt.index, rebuilt.store, lambda _: "UTC").problems
        with rebuilt.index.session() as session:
            restored = [
                (c.url, c.source, c.mode, c.copy_id is not None)
                for c in session.scalars(select(SyndicatedCopy))
            ]
            seen = session.get(ArticleURL, url_key(COPY_URL))
        assert restored == ([] if mode == "skip" else [(COPY_URL, "gazette", mode, mode == "keep")])
        first_row = rebuilt.index.find(WIRE_URL)
        assert (seen is None) if mode == "skip" else (seen.article_id != first_row.id) == (mode == "keep")
    finally:
        rebuilt.close()


def test_syndicated_setting_is_checked(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"name": "t", "feeds": ["https://x.example.org/rss"]}],
                          crawl={"syndicated": "merge"})  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert (
        str(caught.value)
        == f"{config}: crawl.syndicated: must be 'link', 'keep' or 'skip', got 'merge'"
    )
    assert (
        load_config(
            write_config(tmp_path, [{"name": "t", "feeds": ["https://x.example.org/rss"]}])
        ).crawl.syndicated
        == "link"
    )


def two_outlets(site: LocalSite, tmp_path: Path, mode: str, database_url: str | None = None) -> None:
    """Wire copy on /wire/ (first), the same text with another headline, one changed sentence and
    other page chrome on /gazette/, and a different article on the same topic on each."""
    site.add("/wire/2025/03/01/harbour-plan.html", page("Harbour plan approved", WIRE, chrome="Wire Service"))
    site.add("/wire/2025/03/01/budget.html", page("Budget vote", TOPIC_A, chrome="Wire Service"))
    site.add(
        "/gazette/news/harbour-plan-approved",
        page("Council approves harbour plan", EDITED, chrome="The Gazette"),
    )
    site.add(
        "/gazette/news/budget-vote-analysis", page("Budget vote analysis", TOPIC_B, chrome="The Gazette")
    )
    site.add("/wire.xml", rss(site, ["/wire/2025/03/01/harbour-plan.html", "/wire/2025/03/01/budget.html"]),
             content_type="application/rss+xml")  # fmt: skip
    site.add("/gazette.xml", rss(site, ["/gazette/news/harbour-plan-approved", "/gazette/news/budget-vote-analysis"]),
             content_type="application/rss+xml")  # fmt: skip
    write_config(
        tmp_path,
        [{"name": "wire", "feeds": [site.url("/wire.xml")]}, {"name": "gazette", "feeds": [site.url("/gazette.xml")]}],
        database=database_url, crawl={**NO_REVISITS, "syndicated": mode},
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["link", "keep", "skip"])
def test_syndicated_copies_in_a_crawl(site: LocalSite, tmp_path: Path, mode: str) -> None:
    two_outlets(site, tmp_path, mode)
    crawl(tmp_path, "--source", "wire")
    out = crawl(tmp_path, "--source", "gazette")
    posts = archived(tmp_path)
    copy_url, wire_url = (
        site.url("/gazette/news/harbour-plan-approved"),
        site.url("/wire/2025/03/01/harbour-plan.html"),
    )
    titles = sorted(p["title"] for p in posts.values())
    wire_post = posts[wire_url]
    if mode == "keep":
        assert titles == [
            "Budget vote",
            "Budget vote analysis",
            "Council approves harbour plan",
            "Harbour plan approved",
        ]
        assert posts[copy_url]["syndicated_from"] == wire_url
        assert "syndicated/kept×1" in out
    else:
        assert titles == ["Budget vote", "Budget vote analysis", "Harbour plan approved"]
    if mode == "link":
        assert wire_post["syndicated_copies"] == [{"source": "gazette", "url": copy_url}]
        assert "syndicated/linked×1" in out
        shown = newsarchive("show", copy_url, cwd=tmp_path)  # the copy's URL leads to the first article
        assert shown.returncode == 0 and copy_url in shown.stdout and "Harbour plan approved" in shown.stdout
    if mode == "skip":
        assert "syndicated_copies" not in wire_post.metadata
        row = next(line for line in out.splitlines() if line.startswith("gazette "))
        assert row.split()[1:] == ["ok", "2", "2", "1", "0", "1", "0"], out
        assert f"skipped/syndicated: {copy_url}" in out
    site.requests.clear()
    crawl(tmp_path, "--source", "gazette")
    assert site.hits("/gazette/news/harbour-plan-approved") == 0  # seen: not fetched again
    verified = newsarchive("verify", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.postgres
def test_syndicated_link_in_a_crawl_on_postgresql(site: LocalSite, tmp_path: Path, postgres_url: str) -> None:
    two_outlets(site, tmp_path, "link", postgres_url)
    crawl(tmp_path, "--source", "wire")
    crawl(tmp_path, "--source", "gazette")
    posts = archived(tmp_path)
    assert len(posts) == 3
    copy_url = site.url("/gazette/news/harbour-plan-approved")
    assert posts[site.url("/wire/2025/03/01/harbour-plan.html")]["syndicated_copies"][0]["url"] == copy_url
