"""Tests for crawler.config: loading, defaults, path resolution and one-line error messages."""

import pickle
import textwrap
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import (
    DEFAULT_FIELDS,
    MAINROAD_STATIC,
    Config,
    ConfigError,
    FrontMatterConfig,
    load_config,
    parse_duration,
    parse_schedule,
    parse_size,
)

REPO = Path(__file__).resolve().parents[1]
MINIMAL = """
sources:
  - name: example
    feeds: [https://Example.COM:8443/feed.xml]
"""


def write(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path: Path, monkeypatch, text: str) -> str:
    """Load ``text`` as ./config.yaml and return the error line."""
    write(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config("config.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert info.value.__suppress_context__ or info.value.__context__ is None  # no traceback chain
    return message


def with_source(top: str = "", **keys: str) -> str:
    """``top`` + a config with one valid source; ``keys`` (raw YAML values) override or extend it."""
    fields = {"name": "a", "feeds": "['https://a.example/feed']", **keys}
    return f"{top}\nsources:\n  - {{{', '.join(f'{k}: {v}' for k, v in fields.items())}}}\n"


# --- loading and defaults --------------------------------------------------------------------------


def test_minimal_config_gets_defaults(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert isinstance(config, Config)
    assert config.path == tmp_path / "config.yaml"
    assert config.archive.dir == tmp_path / "news"
    assert config.archive.database == f"sqlite:///{tmp_path}/news/index.sqlite"
    assert config.crawl.user_agent.startswith("newsarchive/0.1")
    assert config.crawl.obey_robots_txt is True
    assert config.crawl.download_timeout == 30.0
    assert config.crawl.max_page_size == 10_000_000
    assert config.crawl.extract_workers is None
    assert config.daemon.default_schedule == "every 1h"
    assert config.daemon.run_timeout == 7200.0
    assert config.daemon.log_file is None
    source = config.source("example")
    assert source.timezone == "UTC" and source.tz.key == "UTC"
    assert source.schedule == "every 1h"
    assert source.max_articles == 500
    assert source.allowed_domains == ["example.com"]
    assert source.enabled is True
    with pytest.raises(KeyError):
        config.source("nope")


def test_source_defaults_come_from_crawl_and_daemon(tmp_path):
    text = """
    crawl: {timezone: Asia/Shanghai, max_articles_per_source: 42}
    daemon: {default_schedule: "0 6 * * *"}
    sources:
      - name: qq
        feeds: [https://news.qq.com/feed]
        sitemaps: [https://www.qq.com/sitemap.xml, https://news.qq.com/sitemap.xml]
        allow: ['/a/\\d+']
        deny: [/video/]
        follow: ['/page/\\d+']
      - {name: own, start_urls: [https://x.example/], timezone: Europe/Paris, schedule: every 15m,
         max_articles: 7, allowed_domains: [X.Example]}
    """
    config = load_config(write(tmp_path, text))
    qq, own = config.sources
    assert (qq.timezone, qq.schedule, qq.max_articles) == ("Asia/Shanghai", "0 6 * * *", 42)
    assert qq.allowed_domains == ["news.qq.com", "www.qq.com"]
    assert [p.pattern for p in qq.allow_re] == [r"/a/\d+"]
    assert qq.deny_re[0].search("https://news.qq.com/video/1")
    assert qq.follow_re[0].search("/page/2")
    assert (own.timezone, own.tz.key, own.schedule, own.max_articles) == (
        "Europe/Paris", "Europe/Paris", "every 15m", 7,
    )  # fmt: skip
    assert own.allowed_domains == ["x.example"]


def test_durations_and_sizes_in_config(tmp_path):
    text = with_source(top="crawl: {download_timeout: 1m, max_page_size: 1MiB, download_delay: 250ms}")
    text += "daemon: {run_timeout: 90m, shutdown_grace: 5, log_max_bytes: 512KB}\n"
    config = load_config(write(tmp_path, text))
    assert (config.crawl.download_timeout, config.crawl.max_page_size) == (60.0, 1024 * 1024)
    assert config.crawl.download_delay == 0.25
    assert (config.daemon.run_timeout, config.daemon.shutdown_grace) == (5400.0, 5.0)
    assert config.daemon.log_max_bytes == 512_000


def test_empty_keys_take_their_defaults(tmp_path):
    text = "archive:\ncrawl:\ndaemon:\nsources:\n  - name: a\n    feeds: [https://a.example/]\n    allow:\n"
    config = load_config(write(tmp_path, text))
    assert config.crawl.concurrent_requests == 16
    assert config.sources[0].allow == []


def test_relative_paths_resolve_against_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "conf"
    folder.mkdir()
    write(
        folder,
        with_source(top="archive: {dir: ./out/md, database: 'sqlite:///db/index.sqlite'}\n")
        + "daemon: {log_file: logs/daemon.log}\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config("../conf/config.yaml")
    assert config.path == folder / "config.yaml"
    assert config.archive.dir == folder / "out" / "md"
    assert config.archive.database == f"sqlite:///{folder}/db/index.sqlite"
    assert config.daemon.log_file == folder / "logs" / "daemon.log"


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///:memory:", "sqlite:////var/lib/news.sqlite", "postgresql+psycopg://u@host/db"],
)
def test_other_database_urls_are_untouched(tmp_path, url):
    config = load_config(write(tmp_path, with_source(top=f"archive: {{database: '{url}'}}")))
    assert config.archive.database == url


def test_database_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWS_DB_URL", "postgresql+psycopg://news:s3cret@db.local/news")
    config = load_config(write(tmp_path, with_source(top="archive: {database: '${NEWS_DB_URL}'}")))
    assert config.archive.database == "postgresql+psycopg://news:s3cret@db.local/news"

    monkeypatch.setenv("NEWS_DB_URL", "not a url s3cret")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "config.yaml")
    assert "s3cret" not in str(info.value)
    assert "archive.database: environment variable NEWS_DB_URL is not a database URL" in str(info.value)


def test_missing_environment_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWS_DB_URL", raising=False)
    message = error_of(tmp_path, monkeypatch, with_source(top="archive: {database: '${NEWS_DB_URL}'}"))
    assert message == "config.yaml: archive.database: environment variable NEWS_DB_URL is not set"


def test_example_config_loads():
    config = load_config(REPO / "config.yaml")
    assert config.archive.dir == REPO / "news"
    assert config.archive.database == f"sqlite:///{REPO}/news/index.sqlite"
    assert len(config.sources) >= 1
    assert all(source.timezone and source.schedule and source.allowed_domains for source in config.sources)


# --- errors ----------------------------------------------------------------------------------------


def test_error_attributes_and_pickle():
    error = ConfigError("config.yaml", "sources[0].name", "bad")
    assert (error.file, error.key, error.problem) == ("config.yaml", "sources[0].name", "bad")
    assert str(error) == "config.yaml: sources[0].name: bad"
    assert str(ConfigError(Path("c.yaml"), "", "file not found")) == "c.yaml: file not found"
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_file_not_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config("config.yaml")
    assert str(info.value) == "config.yaml: file not found"
    assert (info.value.file, info.value.key) == ("config.yaml", "")


def test_yaml_syntax_error_has_line_and_column(tmp_path, monkeypatch):
    text = "sources:\n  - name: a\n   feeds: [https://a.example/]\n"
    message = error_of(tmp_path, monkeypatch, text)
    assert message.startswith("config.yaml:3:4: not valid YAML: ")


def test_duplicate_yaml_key(tmp_path, monkeypatch):
    message = error_of(tmp_path, monkeypatch, with_source() + "sources: []\n")
    assert message == "config.yaml:4:1: not valid YAML: duplicate key 'sources'"


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_mapping(tmp_path, monkeypatch, text):
    assert error_of(tmp_path, monkeypatch, text) == "config.yaml: the top level must be a mapping"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "crawl: {retry_times: 1}\n", "sources: []\n"])
def test_sources_required(tmp_path, monkeypatch, text):
    assert error_of(tmp_path, monkeypatch, text) == "config.yaml: sources: at least one source is required"


def test_bad_feed_url(tmp_path, monkeypatch):
    text = with_source() + "  - {name: b, feeds: ['ftp://x']}\n"
    assert (
        error_of(tmp_path, monkeypatch, text)
        == "config.yaml: sources[1].feeds[0]: not an http(s) URL: 'ftp://x'"
    )


def test_cron_field_count(tmp_path, monkeypatch):
    text = with_source() + "  - {name: b, feeds: ['https://b.example/']}\n"
    text += "  - {name: c, feeds: ['https://c.example/'], schedule: '*/30 * * *'}\n"
    assert error_of(tmp_path, monkeypatch, text) == (
        'config.yaml: sources[2].schedule: expected 5 cron fields, got 4 (e.g. "*/30 * * * *")'
    )


def test_not_a_whole_number(tmp_path, monkeypatch):
    text = with_source(top="crawl:\n  max_articles_per_source: lots")
    assert error_of(tmp_path, monkeypatch, text) == (
        "config.yaml: crawl.max_articles_per_source: must be a whole number >= 1, got 'lots'"
    )


def test_unknown_key_suggestion(tmp_path, monkeypatch):
    text = "sources:\n  - name: a\n    fedds: [https://a.example/]\n"
    assert error_of(tmp_path, monkeypatch, text) == (
        "config.yaml: sources[0].fedds: unknown key (did you mean 'feeds'?)"
    )


def test_duplicate_source_name(tmp_path, monkeypatch):
    text = "sources:\n  - {name: qq, feeds: [https://a.example/]}\n  - {name: qq, sitemaps: [https://b.example/s.xml]}\n"
    assert error_of(tmp_path, monkeypatch, text) == (
        "config.yaml: sources[1].name: 'qq' is used twice; source names must be unique"
    )


def test_bad_regex(tmp_path, monkeypatch):
    message = error_of(tmp_path, monkeypatch, with_source(allow="['ok', '(unclosed']"))
    assert message.startswith("config.yaml: sources[0].allow[1]: not a valid regular expression: ")
    assert "missing )" in message


def test_unknown_time_zone(tmp_path, monkeypatch):
    message = error_of(tmp_path, monkeypatch, with_source(timezone="Asia/Shanghi"))
    assert message == "config.yaml: sources[0].timezone: unknown time zone 'Asia/Shanghi'"


def test_source_without_entry_points(tmp_path, monkeypatch):
    message = error_of(tmp_path, monkeypatch, "sources:\n  - {name: a, allow: [x]}\n")
    assert message == "config.yaml: sources[0]: needs at least one of feeds, sitemaps, start_urls"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("crwl: {}\n" + with_source(), "crwl: unknown key (did you mean 'crawl'?)"),
        (with_source(zzz="1"), "sources[0].zzz: unknown key (known keys: name, feeds, "),
        ("path: /x\n" + with_source(), "path: unknown key"),
        (
            with_source(top="archive: {front_matter: {statik: {}}}"),
            "archive.front_matter.statik: unknown key",
        ),
        (with_source(top="archive: {front_matter: {add: [foo]}}"), "archive.front_matter.add[0]: unknown "),
        (with_source(name="Foo Bar"), "sources[0].name: 'Foo Bar' is not a valid name: use 1-64 lowercase"),
        ("sources:\n  - {feeds: [https://a.example/]}\n", "sources[0].name: missing (this key is required)"),
        (with_source(lang="english"), "sources[0].lang: 'english' is not a language tag"),
        (with_source(lang="no"), "sources[0].lang: must be text, got False (put it in quotes"),
        (
            with_source(feeds="https://a.example/"),
            "sources[0].feeds: must be a list, got 'https://a.example/'",
        ),
        (with_source(start_urls="['https:///path']"), "sources[0].start_urls[0]: not an http(s) URL"),
        (with_source(schedule="'every 0m'"), "sources[0].schedule: not a valid interval 'every 0m'"),
        (
            with_source(schedule="'61 * * * *'"),
            "sources[0].schedule: not a valid cron expression '61 * * * *'",
        ),
        (with_source(max_articles="0"), "sources[0].max_articles: must be a whole number >= 1, got 0"),
        (with_source(allowed_domains="['https://a.example']"), "allowed_domains[0]: must be a bare domain"),
        (with_source(enabled="maybe"), "sources[0].enabled: must be true or false, got 'maybe'"),
        ("sources: [hello]\n", "sources[0]: must be a mapping (key: value), got 'hello'"),
        (with_source(top="crawl: [1]"), "crawl: must be a mapping (key: value), got [1]"),
        (with_source(top="crawl: {download_timeout: soon}"), "crawl.download_timeout: must be a duration"),
        (with_source(top="crawl: {download_timeout: 0}"), "crawl.download_timeout: must be > 0, got 0"),
        (with_source(top="crawl: {max_page_size: huge}"), "crawl.max_page_size: must be a size such as"),
        (
            with_source(top="crawl: {extract_workers: -1}"),
            "crawl.extract_workers: must be a whole number >= 0",
        ),
        (with_source(top="daemon: {timezone: Mars/Base}"), "daemon.timezone: unknown time zone 'Mars/Base'"),
        (
            with_source(top="daemon: {default_schedule: daily}"),
            "daemon.default_schedule: expected 5 cron fields",
        ),
        (
            with_source(top="archive: {database: nonsense}"),
            "archive.database: 'nonsense' is not a database URL",
        ),
        (
            with_source(top="archive: {front_matter: {static: {x: {a: 1}}}}"),
            "archive.front_matter.static.x: must be text, a number, true/false or a list of text",
        ),
    ],
)
def test_error_messages(tmp_path, monkeypatch, text, expected):
    message = error_of(tmp_path, monkeypatch, text)
    assert message.startswith("config.yaml: ")
    assert expected in message


def test_front_matter_unknown_field_message(tmp_path, monkeypatch):
    message = error_of(tmp_path, monkeypatch, with_source(top="archive: {front_matter: {add: [foo]}}"))
    assert message.startswith(
        "config.yaml: archive.front_matter.add[0]: unknown front-matter field 'foo' (known: "
    )
    assert "source_url" in message and "widgets" in message


# --- front matter ----------------------------------------------------------------------------------


def test_default_front_matter_layout():
    layout = FrontMatterConfig().layout()
    assert [key for key, _ in layout] == DEFAULT_FIELDS
    values = dict(layout)
    assert values["title"] is None and values["tags"] is None
    assert {key: values[key] for key in MAINROAD_STATIC} == MAINROAD_STATIC
    values["widgets"].append("mutated")
    assert MAINROAD_STATIC["widgets"] == ["search", "recent", "taglist"]


def test_front_matter_add_drop_static(tmp_path):
    text = with_source(
        top="""archive:
  front_matter:
    add: [source_url, authors, title]
    drop: [mathjax, toc, comments]
    static: {sidebar: left, author: Desk, comments: true, weight: 3}"""
    )
    layout = load_config(write(tmp_path, text)).archive.front_matter.layout()
    assert [key for key, _ in layout] == [
        "title", "date", "lastmod", "summary", "categories", "lang", "translations", "tags", "menu",
        "thumbnail", "lead", "authorbox", "pager", "sidebar", "widgets", "source_url", "authors", "author", "weight",
    ]  # fmt: skip
    values = dict(layout)
    assert values["sidebar"] == "left" and values["author"] == "Desk" and values["weight"] == 3
    assert values["source_url"] is None and values["pager"] is True


def test_front_matter_explicit_fields():
    layout = FrontMatterConfig(
        fields=["title", "date", "source_url", "menu"], static={"menu": "main"}
    ).layout()
    assert layout == [("title", None), ("date", None), ("source_url", None), ("menu", "main")]


# --- parsers ---------------------------------------------------------------------------------------


def test_parse_schedule_cron_and_interval():
    cron = parse_schedule("*/30 * * * *", "Europe/Berlin")
    assert isinstance(cron, CronTrigger) and str(cron.timezone) == "Europe/Berlin"
    assert isinstance(parse_schedule("0 6 * * mon-fri", "UTC"), CronTrigger)
    for text, seconds in [("every 30s", 30), ("every 15m", 900), ("every 2h", 7200), ("every 1d", 86400)]:
        trigger = parse_schedule(text, "UTC")
        assert isinstance(trigger, IntervalTrigger)
        assert trigger.interval.total_seconds() == seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*/30 * * *", 'expected 5 cron fields, got 4 (e.g. "*/30 * * * *")'),
        ("* * * * * *", "expected 5 cron fields, got 6"),
        ("61 * * * *", "not a valid cron expression '61 * * * *'"),
        ("every 0m", "not a valid interval 'every 0m'"),
        ("every 5 weeks", "not a valid interval"),
        ("", "empty schedule"),
    ],
)
def test_parse_schedule_errors(text, expected):
    with pytest.raises(ValueError) as info:
        parse_schedule(text, "UTC")
    assert expected in str(info.value)


def test_parse_duration_and_size():
    assert parse_duration(30) == 30.0
    assert parse_duration("30s") == 30.0
    assert parse_duration("1.5h") == 5400.0
    assert parse_duration("250ms") == 0.25
    assert parse_duration(" 2 d ") == 172800.0
    assert parse_size(10_000_000) == 10_000_000
    assert parse_size("10MB") == 10_000_000
    assert parse_size("512KB") == 512_000
    assert parse_size("1MiB") == 1_048_576
    assert parse_size("2048") == 2048
    for bad in ["-1s", "soon", True, None, float("nan")]:
        with pytest.raises(ValueError):
            parse_duration(bad)
    for bad in ["10XB", "-5", True, 1.5]:
        with pytest.raises(ValueError):
            parse_size(bad)
