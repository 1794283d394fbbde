"""Small archives built without crawling: Article objects saved through the Archiver, plus the
config.yaml that points the CLI at them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.archiver import Archiver
from archive.article import Article
from tests.conftest import write_config

ZH_BODY = (
    "春节至今，DeepSeek热度持续攀升。2月6日最新消息，DeepSeek-R1、V3、Coder等系列模型已登陆国家超算网互联网平台。\n\n"
    "从底层芯片到云服务商，DeepSeek的“朋友圈”不断扩大，激烈的AI大模型竞争似乎在一夜之间从“百模大战”进入“生态协作”新阶段。"
)
ZH_OTHER_BODY = (
    "当前，重庆正在积极推动以场景驱动产业发展战略。**智能网联汽车**与自动驾驶、智能制造与工业互联网等产业发展势头良好。\n\n"
    "![图片](https://example.org/img.png)\n\n更多内容见[原文](https://example.org/more)。"
)
JA_BODY = (
    "東京都は７日、新しい地下鉄路線の開業を発表した。路線は全長１２キロで、カタカナのアナウンスも流れる。"
)
HARBOUR = (
    "The regional council met on Tuesday to discuss the long-delayed plan for the harbour, which has been "
    "debated for more than a decade and divided residents of the old town."
)


def article(url: str, title: str, body: str, *, source: str = "times", published: datetime | None = None,
            timezone: str = "UTC", lang: str | None = "en", authors: list[str] | None = None) -> Article:  # fmt: skip
    fetched = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    return Article(
        url=url, fetched_url=url, source=source, title=title, body=body, fetched=fetched, timezone=timezone,
        published=published, lang=lang, authors=authors or [], thumbnail="https://example.org/t.png",
    )  # fmt: skip


def sample_articles(now: datetime | None = None) -> list[Article]:
    """Chinese, Japanese and English articles; ``now`` puts their dates in the last days."""
    base = now or datetime(2025, 2, 7, 7, 51, 13, tzinfo=UTC)
    return [
        article("https://news.example.cn/a/ai-race", "人工智能真正的竞争，现在才刚刚开始", ZH_BODY, source="qq",
                published=base, timezone="Asia/Shanghai", lang="zh-CN", authors=["杨昕华"]),
        article("https://news.example.cn/a/chongqing", "重庆推动场景驱动产业发展", ZH_OTHER_BODY, source="qq",
                published=base - timedelta(hours=5), timezone="Asia/Shanghai", lang="zh-CN"),
        article("https://nhk.example.jp/news/subway", "東京都で新しい地下鉄路線が開業", JA_BODY, source="nhk",
                published=base - timedelta(days=1), timezone="Asia/Tokyo", lang="ja"),
        article("https://times.example.com/2025/harbour-plan", "Harbour plan approved after a decade of debate",
                HARBOUR, published=base - timedelta(days=2), authors=["Jane Roe"]),
        article("https://times.example.com/2025/budget", "Council budget: schools first",
                "The council said the harbour could wait; it met again on Friday. Schools come first.",
                published=base - timedelta(days=3)),
        article("https://times.example.com/2025/no-date", "Weather satellite launched by students",
                "A shoebox-sized satellite sent its first data from orbit.", published=None, lang="en-GB"),
    ]  # fmt: skip


SOURCES = [
    {"name": "qq", "feeds": ["https://news.example.cn/rss"], "timezone": "Asia/Shanghai", "lang": "zh-CN"},
    {"name": "nhk", "feeds": ["https://nhk.example.jp/rss"], "timezone": "Asia/Tokyo"},
    {"name": "times", "feeds": ["https://times.example.com/rss"]},
]


def build(folder: Path, database_url: str | None = None, articles: list[Article] | None = None) -> Path:
    """An archive in ``folder``/news with its config.yaml; returns the config's path."""
    config = write_config(folder, SOURCES, database=database_url)
    archiver = Archiver.open(folder / "news", database_url or f"sqlite:///{folder / 'news' / 'index.sqlite'}")
    try:
        for item in sample_articles() if articles is None else articles:
            archiver.save(item)
    finally:
        archiver.close()
    return config
