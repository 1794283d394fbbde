"""The index on SQLite and PostgreSQL: finding archived articles by any URL that leads to them,
the archiver's file-then-rows save, crawl runs; and the URL identity functions it relies on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from archive.archiver import Archiver
from archive.article import Article
from archive.identity import article_uid, clean_url, is_http_url, url_key
from archive.index import ArchiveIndex
from archive.models import CrawlRun
from archive.render import parse

CANONICAL = "https://news.example.com/world/harbour-plan?id=7&page=2"
FETCHED_URL = "https://m.news.example.com/world/harbour-plan?id=7&page=2&from=rss"
SHANGHAI = timezone(timedelta(hours=8))


def make_article(**values) -> Article:
    defaults = dict(
        url=CANONICAL,
        fetched_url=FETCHED_URL,
        source="example",
        title="Harbour plan approved",
        body="The council approved the harbour plan on Tuesday after a decade of debate.",
        fetched=datetime(2025, 2, 7, 9, 0, 5, tzinfo=UTC),
        timezone="Asia/Shanghai",
        published=datetime(2025, 2, 7, 15, 51, 13, tzinfo=SHANGHAI),
        modified=datetime(2025, 2, 7, 16, 0, tzinfo=SHANGHAI),
        date_source="json-ld",
        lang="en",
        authors=["Jane Roe", "John Doe"],
    )
    return Article(**{**defaults, **values})


@pytest.fixture
def index(database_url: str) -> Iterator[ArchiveIndex]:
    index = ArchiveIndex(database_url)
    yield index
    index.close()


@pytest.fixture
def archiver(tmp_path: Path, database_url: str) -> Iterator[Archiver]:
    archiver = Archiver.open(tmp_path / "news", database_url)
    yield archiver
    archiver.close()


# --- finding articles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        CANONICAL,
        FETCHED_URL,
        "https://news.example.com/world/harbour-plan?page=2&id=7",  # other parameter order
        "https://news.example.com/world/harbour-plan?utm_source=twitter&id=7&utm_medium=social&page=2",
        "HTTPS://News.Example.com:443/world/harbour-plan?id=7&page=2#comments",
    ],
)
def test_article_found_by_any_url_leading_to_it(index: ArchiveIndex, url: str) -> None:
    article = make_article()
    index.add_article(article, "example/2025/02/harbour-plan-x.md", 1234)
    assert index.known([url, "https://news.example.com/world/other-story"]) == {url}
    row = index.find(url)
    assert row is not None
    assert (row.uid, row.title, row.path, row.size) == (
        article.uid,
        "Harbour plan approved",
        "example/2025/02/harbour-plan-x.md",
        1234,
    )


def test_a_sitemap_longer_than_a_statement_takes_parameters(index: ArchiveIndex) -> None:
    # psycopg takes at most 65,535 bound parameters in one statement; a sitemap may list more URLs
    index.add_article(make_article(), "example/a.md", 1)
    listed = [f"https://news.example.com/world/story-{i}" for i in range(70_000)]
    assert index.known([*listed, FETCHED_URL]) == {FETCHED_URL}


def test_unknown_urls(index: ArchiveIndex) -> None:
    index.add_article(make_article(), "example/a.md", 1)
    assert index.known([]) == set()
    assert index.known(["https://news.example.com/world/harbour-plan?id=8&page=2"]) == set()
    assert index.find("https://news.example.com/world/harbour-plan") is None


def test_row_keeps_metadata_and_dates_come_back_aware_utc(index: ArchiveIndex) -> None:
    article = make_article()
    index.add_article(article, "example/a.md", 1)
    row = index.by_uid(article.uid)
    assert row is not None
    assert row.published_at == datetime(2025, 2, 7, 7, 51, 13, tzinfo=UTC)
    assert row.modified_at == datetime(2025, 2, 7, 8, 0, tzinfo=UTC)
    assert row.fetched_at == datetime(2025, 2, 7, 9, 0, 5, tzinfo=UTC)
    for moment in (row.published_at, row.modified_at, row.fetched_at, row.first_seen, row.last_seen):
        assert moment.utcoffset() == timedelta(0)
    assert row.authors == ["Jane Roe", "John Doe"]
    assert (row.source, row.lang, row.date_source, row.url) == ("example", "en", "json-ld", CANONICAL)
    assert row.content_hash == article.content_hash
    assert index.path_taken("example/a.md") and not index.path_taken("example/b.md")


def test_naive_datetime_is_refused(index: ArchiveIndex) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        index.add_article(make_article(published=datetime(2025, 2, 7, 15, 51)), "example/a.md", 1)


def test_aliases_are_recorded(index: ArchiveIndex) -> None:
    row = index.add_article(make_article(), "example/a.md", 1)
    alias = "https://amp.news.example.com/world/harbour-plan.amp"
    index.add_aliases(row.id, [alias, CANONICAL])  # a known URL is not added twice
    assert index.known([alias]) == {alias}
    assert index.find(alias).id == row.id


# --- the archiver --------------------------------------------------------------------------------


def test_save_writes_file_then_second_save_is_duplicate_with_alias(
    archiver: Archiver, tmp_path: Path
) -> None:
    first = archiver.save(make_article())
    assert first.status == "new"
    assert first.path == f"example/2025/02/harbour-plan-{article_uid(CANONICAL)[:10]}.md"
    meta, _ = parse((tmp_path / "news" / first.path).read_text(encoding="utf-8"))
    assert meta["title"] == "Harbour plan approved" and meta["date"] == "2025-02-07 15:51:13"

    again = make_article(fetched_url="https://news.example.com/world/harbour-plan?page=2&id=7&utm_campaign=x",
                         aliases=["https://news.example.com/a/123"])  # fmt: skip
    second = archiver.save(again)
    assert second == type(first)("duplicate", first.path, first.article_id)
    assert archiver.index.known(["https://news.example.com/a/123"]) == {"https://news.example.com/a/123"}
    assert list(archiver.store.files()) == [first.path]


def test_same_fetched_url_other_canonical_is_duplicate(archiver: Archiver) -> None:
    first = archiver.save(make_article())
    second = archiver.save(make_article(url="https://news.example.com/world/harbour-plan-renamed"))
    assert second.status == "duplicate" and second.path == first.path
    assert archiver.index.find("https://news.example.com/world/harbour-plan-renamed").id == first.article_id


def test_distinct_articles_get_distinct_files(archiver: Archiver) -> None:
    one = archiver.save(make_article())
    other = archiver.save(
        make_article(
            url="https://news.example.com/world/other", fetched_url="https://news.example.com/world/other"
        )
    )
    assert other.status == "new" and other.path != one.path and other.article_id != one.article_id


def test_a_batch_with_the_same_article_twice_writes_one_file(archiver: Archiver) -> None:
    other = make_article(
        url="https://news.example.com/world/other", fetched_url="https://news.example.com/world/other"
    )
    again = make_article(fetched_url="https://news.example.com/a/123")  # same canonical URL, other address
    renamed = make_article(url="https://news.example.com/world/renamed")  # same fetched URL, other canonical
    first, second, third, fourth = archiver.save_batch([(make_article(), None), (other, None), (again, None),
                                                        (renamed, None)])  # fmt: skip
    assert (first.status, second.status) == ("new", "new")
    assert third == type(first)("duplicate", first.path, first.article_id)
    assert fourth == type(first)("duplicate", first.path, first.article_id)
    assert sorted(archiver.store.files()) == sorted([first.path, second.path])
    for url in ("https://news.example.com/a/123", "https://news.example.com/world/renamed", FETCHED_URL):
        assert archiver.index.find(url).id == first.article_id
    assert archiver.index.find("https://news.example.com/world/other").id == second.article_id


def test_a_file_that_cannot_be_written_fails_alone(
    archiver: Archiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.store import StoreError

    write = archiver.store.write

    def full_for_other(path: str, text: str) -> int:
        if "other" in path:
            raise StoreError(archiver.store.absolute(path), OSError(28, "No space left on device"))
        return write(path, text)

    monkeypatch.setattr(archiver.store, "write", full_for_other)
    other = make_article(
        url="https://news.example.com/world/other", fetched_url="https://news.example.com/world/other"
    )
    first, second = archiver.save_batch([(make_article(), None), (other, None)])
    assert first.status == "new" and isinstance(second, StoreError)
    assert str(second).endswith(": no space left on device")
    assert list(archiver.store.files()) == [first.path]
    assert archiver.index.known([FETCHED_URL, other.url]) == {FETCHED_URL}


def test_files_of_a_batch_killed_before_its_rows_are_removed_by_the_next_crawl(
    archiver: Archiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> None:
    kept = archiver.save(make_article())

    def killed(*args: object) -> None:
        raise SystemExit("killed")  # not an error the archiver handles: as if the process died here

    monkeypatch.setattr(archiver, "_commit", killed)
    other = make_article(
        url="https://news.example.com/world/other", fetched_url="https://news.example.com/world/other"
    )
    with pytest.raises(SystemExit):
        archiver.save_batch([(other, None)])
    assert len(list(archiver.store.files())) == 2  # the file is there, its row is not
    later = Archiver.open(tmp_path / "news", database_url)
    try:
        assert later.recover("other-source") == 0
        assert later.recover("example") == 1
        assert list(later.store.files()) == [kept.path]
        assert later.recover("example") == 0
    finally:
        later.close()


def test_revisits_answered_304_are_recorded_with_a_batch(archiver: Archiver) -> None:
    from archive.models import ArticleCheck, ArticleRow

    saved = archiver.save(make_article())
    with archiver.index.session() as session:
        before = session.get(ArticleRow, saved.article_id).last_seen
    assert archiver.save_batch([], seen=[saved.article_id, saved.article_id]) == []
    with archiver.index.session() as session:
        check = session.get(ArticleCheck, saved.article_id)
        assert check.checks == 2 and check.checked_at is not None
        assert session.get(ArticleRow, saved.article_id).last_seen > before


# --- crawl runs ----------------------------------------------------------------------------------


def test_crawl_run_start_and_finish(index: ArchiveIndex) -> None:
    before = datetime.now(UTC)
    run_id = index.start_run("example", trigger="scheduled")
    with index.session() as session:
        run = session.get(CrawlRun, run_id)
        assert (run.source, run.trigger, run.status, run.finished_at) == (
            "example",
            "scheduled",
            "running",
            None,
        )
        assert run.started_at >= before - timedelta(seconds=1) and run.started_at.utcoffset() == timedelta(0)

    counts = {"discovered": 12, "fetched": 10, "new": 7, "unchanged": 2, "skipped": 3}
    index.finish_run(run_id, "ok", counts, {"not_article": 2, "empty": 1}, error=None)
    with index.session() as session:
        run = session.get(CrawlRun, run_id)
        assert run.status == "ok" and run.finished_at >= run.started_at
        assert (run.discovered, run.fetched, run.new, run.unchanged, run.skipped, run.failed) == (
            12,
            10,
            7,
            2,
            3,
            0,
        )
        assert run.reasons == {"not_article": 2, "empty": 1}
        assert run.error is None


def test_failed_run_keeps_its_error_and_unknown_run_is_ignored(index: ArchiveIndex) -> None:
    run_id = index.start_run("example")
    index.finish_run(run_id, "failed", {}, {}, error="DNS lookup failed for news.example.com")
    index.finish_run(run_id + 1000, "ok", {}, {})
    with index.session() as session:
        run = session.get(CrawlRun, run_id)
        assert (run.status, run.error, run.trigger) == (
            "failed",
            "DNS lookup failed for news.example.com",
            "manual",
        )


# --- URL identity (pure functions) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "cleaned"),
    [
        ("https://news.example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://news.example.com/a?id=7"),
        ("https://news.example.com/a?fbclid=x&gclid=y&spm=z&b=2&a=1", "https://news.example.com/a?b=2&a=1"),
        ("https://news.example.com/a#comments", "https://news.example.com/a"),
        ("HTTPS://News.Example.COM/Path/Case", "https://news.example.com/Path/Case"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:80/a", "http://news.example.com/a"),
        ("http://news.example.com:8080/a", "http://news.example.com:8080/a"),
        ("https://news.example.com:80/a", "https://news.example.com:80/a"),
        ("https://news.example.com", "https://news.example.com/"),
        ("  https://news.example.com/a  ", "https://news.example.com/a"),
        ("https://news.example.com/a?x=2&x=1&page=", "https://news.example.com/a?x=2&x=1&page="),
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
    ],
)
def test_clean_url(url: str, cleaned: str) -> None:
    assert clean_url(url) == cleaned


def test_url_key_equal_for_same_article() -> None:
    same = [
        "https://news.example.com/a?id=7&page=2",
        "https://news.example.com/a?page=2&id=7",
        "https://NEWS.example.com:443/a?id=7&page=2&utm_source=x#top",
        "https://news.example.com/a?id=%37&page=2",
    ]
    assert len({url_key(u) for u in same}) == 1
    assert len(url_key(same[0])) == 64 and len(article_uid(same[0])) == 16


@pytest.mark.parametrize(
    "other",
    [
        "https://news.example.com/a?id=8&page=2",
        "https://news.example.com/A?id=7&page=2",  # paths are case-sensitive
        "https://other.example.com/a?id=7&page=2",
    ],
)
def test_url_key_differs_for_other_content(other: str) -> None:
    assert url_key(other) != url_key("https://news.example.com/a?id=7&page=2")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://news.example.com/a", True),
        ("http://127.0.0.1:8000/a", True),
        ("ftp://news.example.com/a", False),
        ("mailto:desk@example.com", False),
        ("/relative/path", False),
        ("http:///no-host", False),
        ("http://news.example.com:99999/a", False),  # clean_url() would raise
        ("http://news.example.com:abc/a", False),
        ("http://[::1/a", False),
    ],
)
def test_is_http_url(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok


def test_a_deletion_the_front_matter_missed_is_written_by_the_next_run(archiver: Archiver) -> None:
    """A crawl killed after the index noted a deletion but before the file said so: the next run's
    ``settle_deleted`` writes the flag; the text stays, and a second call changes nothing."""
    saved = archiver.save(make_article())
    archiver.states.gone(saved.article_id, "404", timedelta(0))
    assert archiver.states.gone(saved.article_id, "404", timedelta(0)).deleted  # index only: "killed" here
    path = archiver.store.root / saved.path
    before = path.read_text(encoding="utf-8")
    assert "\ndeleted:" not in before
    assert archiver.settle_deleted("other-source", "UTC") == 0
    assert archiver.settle_deleted(make_article().source, "UTC") == 1
    after = path.read_text(encoding="utf-8")
    assert 'deleted_status: "404"' in after
    assert after.split("\n---", 1)[1] == before.split("\n---", 1)[1]  # the article itself is untouched
    assert archiver.settle_deleted(make_article().source, "UTC") == 0
