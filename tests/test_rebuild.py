"""The files are the archive: `reindex` rebuilds rows and search from them, `verify` finds where
files and index disagree."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from archive import search
from archive.archiver import Archiver
from archive.index import ArchiveIndex
from archive.models import ArticleRow, Base
from archive.rebuild import reindex, verify
from archive.store import MarkdownStore
from archive.terms import parse_query
from crawler.cli import main
from crawler.config import FrontMatterConfig
from tests.archives import SOURCES, build, sample_articles
from tests.conftest import write_config

ZONES = {s["name"]: s.get("timezone", "UTC") for s in SOURCES}
# What the default layout gives back. "date" is published, else fetched: a file whose page had no
# publication date carries the fetch time as its date, and without a `fetched` key it cannot say so.
FROM_FILES = ("uid", "url", "source", "title", "date", "lang", "thumbnail", "path", "size", "content_hash")
QUERIES = ["智能", "人工智能", "京都", "harbour", '"council met"', "council -schools", "sat*", "阶"]


def zone_for(source: str) -> str:
    return ZONES.get(source, "UTC")


def rows(database_url: str, fields: tuple[str, ...] = FROM_FILES) -> dict[str, tuple]:
    index = ArchiveIndex(database_url)
    try:
        with index.session() as session:
            return {r.uid: tuple(_field(r, f) for f in fields) for r in session.scalars(select(ArticleRow))}
    finally:
        index.close()


def _field(row: ArticleRow, name: str) -> object:
    return row.published_at or row.fetched_at if name == "date" else getattr(row, name)


def results(database_url: str) -> dict[str, list[str]]:
    index = ArchiveIndex(database_url)
    try:
        with index.session() as session:
            return {q: [h.article.uid for h in search.search(session, parse_query(q))[0]] for q in QUERIES}
    finally:
        index.close()


def delete_index(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        database = Path(database_url.removeprefix("sqlite:///"))
        for file in database.parent.glob(database.name + "*"):
            file.unlink()
        return
    index = ArchiveIndex(database_url)
    try:
        with index.engine.begin() as conn:
            conn.execute(text("DROP TABLE search_docs"))
            Base.metadata.drop_all(conn)
    finally:
        index.close()


def rebuild(folder: Path, database_url: str):
    index = ArchiveIndex(database_url)
    try:
        return reindex(index, MarkdownStore(folder / "news"), zone_for)
    finally:
        index.close()


def test_reindex_after_deleting_the_index_gives_the_same_rows_and_results(
    tmp_path: Path, database_url: str
) -> None:
    build(tmp_path, database_url)
    before, found = rows(database_url), results(database_url)
    assert found["智能"] and found["harbour"] and found['"council met"']
    delete_index(database_url)
    report = rebuild(tmp_path, database_url)
    assert (report.files, report.added, report.updated, report.removed, report.problems) == (6, 6, 0, 0, [])
    assert rows(database_url) == before
    assert results(database_url) == found


def test_a_layout_with_authors_and_fetched_rebuilds_losslessly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'news' / 'index.sqlite'}"
    layout = FrontMatterConfig(add=["authors", "fetched", "lastmod", "description", "source_url"]).layout()
    archiver = Archiver.open(tmp_path / "news", url, layout)
    for article in sample_articles():
        article.description = f"About {article.title}"
        archiver.save(article)
    archiver.close()
    fields = (*FROM_FILES, "published_at", "authors", "fetched_at", "modified_at", "description")
    before = rows(url, fields)
    assert any(row[10] is None for row in before.values())  # the undated article stays undated
    delete_index(url)
    rebuild(tmp_path, url)
    assert rows(url, fields) == before


def test_reindex_keeps_ids_and_what_files_do_not_hold(tmp_path: Path) -> None:
    build(tmp_path)
    url = f"sqlite:///{tmp_path / 'news' / 'index.sqlite'}"
    ids = rows(url, ("id", "authors", "path"))
    news = tmp_path / "news"
    gone = next(path for _, _, path in ids.values() if path.startswith("nhk/"))
    (news / gone).unlink()
    edited = next(path for _, _, path in ids.values() if "budget" in path)
    (news / edited).write_text((news / edited).read_text().replace("Schools come first.", "Parks too."))
    report = rebuild(tmp_path, url)
    assert (report.added, report.updated, report.removed) == (0, 5, 1)
    after = rows(url, ("id", "authors", "path"))
    assert after == {uid: row for uid, row in ids.items() if row[2] != gone}  # ids and authors kept
    assert results(url)["京都"] == []
    index = ArchiveIndex(url)
    with index.session() as session:
        assert [h.article.path for h in search.search(session, parse_query("parks"))[0]] == [edited]
    index.close()


def cli(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [args[0], "--config", str(config), *args[1:]], catch_exceptions=False)


def test_verify_and_reindex_commands(tmp_path: Path) -> None:
    config = build(tmp_path)
    news = tmp_path / "news"
    ok = cli(config, "verify")
    assert (ok.exit_code, ok.stdout) == (0, "ok: 6 files, 6 rows, all consistent\n")
    files = sorted(p.relative_to(news).as_posix() for p in news.rglob("*.md"))
    broken, removed = files[0], files[1]
    removed_id = next(
        i for i, p in rows(f"sqlite:///{news}/index.sqlite", ("id", "path")).values() if p == removed
    )
    (news / broken).write_text('---\ntitle: "unclosed\ndate: 2025\n---\n\nbody\n', encoding="utf-8")
    (news / removed).unlink()
    (news / "times" / "2025" / "02" / "hand-made.md").write_text(
        '---\ntitle: "Written by hand"\ndate: "2025-02-03 10:00:00"\ncategories:\n  - "times"\n---\n\n'
        "A note about the harbour.\n\n[times](https://times.example.com/hand-made)\n",
        encoding="utf-8",
    )
    (news / "qq" / ".tmp-abc123.md").write_text("half", encoding="utf-8")
    result = cli(config, "verify")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"unreadable file: {broken}: front matter is not valid YAML")
    assert lines[1:] == [
        "file without row: times/2025/02/hand-made.md",
        f"row without file: {removed} (id {removed_id})",
        "leftover temporary file: qq/.tmp-abc123.md",
        "6 files, 6 rows: problems found; `newsarchive reindex` rebuilds the index from the files "
        "(fix or remove unreadable files first; temporary files are left by interrupted writes)",
    ]

    result = cli(config, "reindex")
    assert result.exit_code == 1  # the broken file could not be indexed
    assert result.stderr.startswith(f"error: {broken}: front matter is not valid YAML")
    assert result.stdout.startswith("reindexed 6 files in ")
    assert (
        ": 1 row added, 4 updated, 1 removed (no file); search index rebuilt; 1 file not indexed"
        in result.stdout
    )
    found = cli(config, "search", "harbour", "--json").stdout
    assert "Written by hand" in found

    (news / broken).unlink()
    (news / "qq" / ".tmp-abc123.md").unlink()
    assert cli(config, "reindex").exit_code == 0
    assert cli(config, "verify").stdout.startswith("ok: 5 files, 5 rows")


def test_reindex_without_archive_folder(tmp_path: Path) -> None:
    config = write_config(tmp_path, SOURCES)
    result = cli(config, "reindex")
    assert result.exit_code == 1 and result.stderr.startswith("error: no archive folder ")


def test_verify_counts_articles_missing_from_search(tmp_path: Path) -> None:
    config = build(tmp_path)
    url = f"sqlite:///{tmp_path / 'news' / 'index.sqlite'}"
    index = ArchiveIndex(url)
    with index.session.begin() as session:
        search.reset(session)  # as in an index made before search existed
    report = verify(index, MarkdownStore(tmp_path / "news"), zone_for)
    index.close()
    assert report.not_searchable == 6 and not report.ok
    result = cli(config, "search", "harbour")
    first, note = result.stderr.splitlines()
    assert first.startswith("0 results for 'harbour'")
    assert note == "note: 6 articles not in the search index yet: run `newsarchive reindex`"
    assert cli(config, "reindex").exit_code == 0
    assert cli(config, "search", "harbour").stderr.startswith("2 results")


@pytest.mark.parametrize("date", ['"2025-02-07T15:51:13+08:00"', "2025-02-07 15:51:13", '"2025-02-07"'])
def test_front_matter_date_forms(tmp_path: Path, date: str) -> None:
    from archive.readback import read_file

    folder = tmp_path / "news" / "qq"
    folder.mkdir(parents=True)
    (folder / "x.md").write_text(f'---\ntitle: "T"\ndate: {date}\n---\n\nBody\n\n[qq](https://q.example/x)\n')
    article = read_file(MarkdownStore(tmp_path / "news"), "qq/x.md", lambda _: "Asia/Shanghai").article
    assert article.source == "qq" and article.url == "https://q.example/x" and article.body == "Body"
    expected = "2025-02-06 16:00:00" if date == '"2025-02-07"' else "2025-02-07 07:51:13"
    assert f"{article.published:%Y-%m-%d %H:%M:%S}" == expected
