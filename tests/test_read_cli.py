"""The reading commands through the CLI (click's CliRunner): list, show, search, stats, export;
happy paths, an empty archive, unknown articles and bad queries; and one real crawl read back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crawler.cli import main
from crawler.localsite import LocalSite
from tests.archives import SOURCES, build, sample_articles
from tests.conftest import newsarchive, write_config
from tests.test_crawl import article as article_page
from tests.test_crawl import rss

AI_RACE = "人工智能真正的竞争，现在才刚刚开始"


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [args[0], "--config", str(config), *args[1:]], catch_exceptions=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return build(tmp_path)


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    return build(tmp_path, articles=[])


def test_list_newest_first_in_each_source_zone(config: Path) -> None:
    result = run(config, "list")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("2025-03-02 09:00", "times", "Weather satellite launched by students"),  # no date: fetched
        ("2025-02-07 15:51", "qq", AI_RACE),  # 07:51 UTC in Asia/Shanghai
        ("2025-02-07 10:51", "qq", "重庆推动场景驱动产业发展"),
        ("2025-02-06 16:51", "nhk", "東京都で新しい地下鉄路線が開業"),  # Asia/Tokyo
        ("2025-02-05 07:51", "times", "Harbour plan approved after a decade of debate"),
        ("2025-02-04 07:51", "times", "Council budget: schools first"),
    ]
    assert all((config.parent / "news" / r[4]).is_file() for r in rows)


def test_list_filters_limit_and_json(config: Path) -> None:
    def titles(*args: str) -> list[str]:
        result = run(config, "list", "--json", *args)
        assert result.exit_code == 0, result.output
        return [json.loads(line)["title"] for line in result.stdout.splitlines()]

    assert titles("--source", "nhk") == ["東京都で新しい地下鉄路線が開業"]
    assert titles("--lang", "zh") == [AI_RACE, "重庆推动场景驱动产业发展"]
    assert len(titles("--limit", "2")) == 2
    # A day is midnight to midnight in the source's zone: 2025-02-07 in Shanghai holds both qq stories.
    assert titles("--source", "qq", "--since", "2025-02-07", "--until", "2025-02-07") == [
        AI_RACE, "重庆推动场景驱动产业发展",
    ]  # fmt: skip
    assert titles("--until", "2025-02-05T00:00+00:00") == ["Council budget: schools first"]
    first = json.loads(run(config, "list", "--json", "--source", "nhk").stdout)
    assert first["published"] == "2025-02-06T07:51:13+00:00" and first["lang"] == "ja"
    result = run(config, "list", "--since", "yesterday")
    assert result.exit_code == 2 and "'yesterday' is not a date" in result.stderr


def test_list_empty_archive_and_missing_index(empty: Path, tmp_path: Path) -> None:
    result = run(empty, "list")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no articles yet\n")
    bare = tmp_path / "bare"
    bare.mkdir()
    config = write_config(bare, SOURCES)
    result = run(config, "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no index at ") and "newsarchive reindex" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_show_by_id_uid_prefix_url_and_path(config: Path) -> None:
    rows = [json.loads(line) for line in run(config, "list", "--json").stdout.splitlines()]
    ai = next(r for r in rows if r["title"] == AI_RACE)
    text = (config.parent / "news" / ai["path"]).read_text(encoding="utf-8")
    refs = [
        str(ai["id"]),
        ai["uid"],
        ai["uid"][:8],
        ai["url"],
        ai["path"],
        str(config.parent / "news" / ai["path"]),
    ]
    for ref in refs:
        result = run(config, "show", ref)
        assert result.exit_code == 0, (ref, result.output)
        assert result.stdout == text


def test_show_json(config: Path) -> None:
    result = run(config, "show", "https://nhk.example.jp/news/subway", "--json")
    data = json.loads(result.stdout)
    assert data["title"] == "東京都で新しい地下鉄路線が開業"
    assert data["body"].startswith("東京都は７日") and "](" not in data["body"]  # no source link line
    assert data["front_matter"]["date"] == "2025-02-06 16:51:13"
    assert data["front_matter"]["categories"] == ["nhk"]


@pytest.mark.parametrize("ref", ["999", "ffffffffff", "https://nowhere.example/x", "qq/2025/02/nope.md"])
def test_show_unknown_article(config: Path, ref: str) -> None:
    result = run(config, "show", ref)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: no article")


def test_search_text_and_json(config: Path) -> None:
    result = run(config, "search", "智能")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "1. 人工**智能**真正的竞争，现在才刚刚开始"
    assert lines[1].startswith("   qq · 2025-02-07 15:51 · id ")
    assert "**智能**" in result.stdout.split("2. ")[1]  # the body hit's snippet
    assert result.stderr.startswith("2 results for '智能'")
    hits = [json.loads(line) for line in run(config, "search", '"council met"', "--json").stdout.splitlines()]
    assert [(h["rank"], h["title"], h["title_match"]) for h in hits] == [
        (1, "Harbour plan approved after a decade of debate", False)
    ]
    snippet = hits[0]["snippet"]
    assert [snippet[a:b] for a, b in hits[0]["highlights"]] == ["council met"]


def test_search_filters_and_limit(config: Path) -> None:
    result = run(config, "search", "harbour", "--limit", "1")
    assert result.stdout.count("\n1. ") + result.stdout.startswith("1. ") == 1
    assert result.stderr.startswith("1 of 2 results")
    assert run(config, "search", "harbour", "--source", "qq").stderr.startswith("0 results")
    assert run(config, "search", "harbour", "--since", "2025-02-05").stderr.startswith("1 result ")


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            'x"y',
            "error: unbalanced quote in query 'x\"y' — close the quote or search for the words without it",
        ),
        (
            "-harbour",
            "error: nothing to look for in query '-harbour' — add a word to find, e.g. 'harbour -council'",
        ),
    ],
)
def test_search_bad_query(config: Path, query: str, error: str) -> None:
    result = run(config, "search", "--", query)  # '--': a query starting with '-' is not an option
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", error + "\n")


def test_search_empty_archive(empty: Path) -> None:
    result = run(empty, "search", "harbour")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith("0 results for 'harbour'")


def test_stats(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    config = build(tmp_path, articles=sample_articles(now))
    data = json.loads(run(config, "stats", "--json").stdout)
    assert data["articles"] == 6
    assert {name: s["articles"] for name, s in data["sources"].items()} == {"nhk": 1, "qq": 2, "times": 3}
    assert list(data["languages"].items()) == [("en", 2), ("zh-CN", 2), ("en-GB", 1), ("ja", 1)]
    assert data["size"]["files"] == sum(f.stat().st_size for f in (tmp_path / "news").rglob("*.md"))
    assert data["size"]["index"] > 0
    per_day = data["sources"]["qq"]["per_day"]
    assert len(per_day) == 30 and sum(per_day.values()) == 2
    assert sum(data["sources"]["times"]["per_day"].values()) == 2  # the undated one was fetched in March 2025
    text = run(config, "stats", "--chart").stdout
    assert text.splitlines()[0].startswith("6 articles from 3 sources; files ")
    qq_line = next(line for line in text.splitlines() if line.startswith("qq "))
    assert "█" in qq_line and qq_line.rstrip().endswith(" 2")
    assert "languages: en 2, zh-CN 2, en-GB 1, ja 1" in text
    assert "per day" in run(config, "stats", "--no-chart").stdout


def test_stats_empty_archive(empty: Path) -> None:
    result = run(empty, "stats")
    assert result.exit_code == 0 and result.stdout.startswith("0 articles from 0 sources")
    assert json.loads(run(empty, "stats", "--json").stdout)["articles"] == 0


def test_export_jsonl_and_csv(config: Path, tmp_path: Path) -> None:
    result = run(config, "export", "--format", "jsonl", "--source", "qq")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["title"] for r in records] == ["重庆推动场景驱动产业发展", AI_RACE]  # oldest first
    assert records[1]["authors"] == ["杨昕华"] and records[1]["lang"] == "zh-CN"
    assert records[1]["published"] == "2025-02-07T07:51:13+00:00"
    assert records[1]["body"].startswith("春节至今，DeepSeek热度持续攀升。")
    out = tmp_path / "export.csv"
    result = run(config, "export", "--format", "csv", "-o", str(out), "--plain-text")
    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 6 and list(rows[0]) == [
        "uid", "url", "title", "authors", "published", "fetched", "lang", "source", "path", "body",
    ]  # fmt: skip
    chongqing = next(r for r in rows if r["source"] == "qq" and r["title"].startswith("重庆"))
    assert "智能网联汽车与自动驾驶" in chongqing["body"] and "**" not in chongqing["body"]  # plain text


def test_export_empty_archive(empty: Path) -> None:
    result = run(empty, "export", "--format", "csv")
    assert result.stdout == "uid,url,title,authors,published,fetched,lang,source,path,body\n"


def test_crawled_archive_reads_back(site: LocalSite, tmp_path: Path) -> None:
    """Through a real crawl: what `newsarchive crawl` archives is listed, searchable and shown."""
    paths = [f"/n/2025/03/01/story-{n}.html" for n in range(2)]
    site.add(paths[0], article_page("Harbour vote delayed again"))
    site.add(paths[1], article_page("Museum reopens"))
    site.add("/rss.xml", rss(site, paths), content_type="application/rss+xml")
    config = write_config(tmp_path, [{"name": "local", "feeds": [site.url("/rss.xml")]}])
    crawled = newsarchive("crawl", "--quiet", cwd=tmp_path)
    assert crawled.returncode == 0, crawled.stdout + crawled.stderr
    listed = run(config, "list").stdout.splitlines()
    assert sorted(line.split("\t")[3] for line in listed) == ["Harbour vote delayed again", "Museum reopens"]
    found = [json.loads(line) for line in run(config, "search", "vote", "--json").stdout.splitlines()]
    assert [h["title"] for h in found] == ["Harbour vote delayed again"] and found[0]["title_match"]
    assert run(config, "search", '"regional council"').stderr.startswith("2 results")
    shown = run(config, "show", site.url(paths[1]))
    assert shown.exit_code == 0 and 'title: "Museum reopens"' in shown.stdout


DOCS = Path(__file__).parents[1] / "docs" / "reading.md"


@pytest.mark.parametrize(
    "command", ["list", "show", "search", "stats", "export", "reindex", "verify", "site init"]
)
def test_every_reading_command_is_documented(command: str) -> None:
    assert f"newsarchive {command}" in DOCS.read_text(encoding="utf-8")
    names = command.split()
    group = main.get_command(None, names[0])  # type: ignore[arg-type]
    assert group is not None and (len(names) == 1 or group.get_command(None, names[1]) is not None)  # type: ignore[union-attr]
