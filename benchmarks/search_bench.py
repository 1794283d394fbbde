"""Search benchmark: a generated archive of mixed English and Chinese articles (and some Japanese),
indexed by ``reindex`` from its Markdown files; reports reindex time, index size and search latency.

    .venv/bin/python benchmarks/search_bench.py --articles 100000 --dir /tmp/bench
    .venv/bin/python benchmarks/search_bench.py --articles 20000 --database postgresql+psycopg://postgres@127.0.0.1/test

The text is synthetic but shaped like news: Zipf-distributed vocabularies (English words; Chinese
words of two to four characters), sentences with punctuation, one title and ~400 words or ~1,200
characters of body per article. Files are written directly (no fsync), as a crawl would have left them.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive import search  # noqa: E402
from archive.article import Article  # noqa: E402
from archive.index import ArchiveIndex  # noqa: E402
from archive.rebuild import reindex  # noqa: E402
from archive.render import render  # noqa: E402
from archive.store import MarkdownStore, relative_path  # noqa: E402
from archive.terms import parse_query, snippet  # noqa: E402

SEED_TEXT = (Path(__file__).resolve().parents[2] / "shared" / "seed-example.md").read_text(encoding="utf-8")
COMMON_EN = (
    "the of and to in a is that for on was with he it as at by said from his be has have are this but not "
    "were they an which had one their been who its after also two more first new year would will people up "
    "government city council minister police president market school health water plan report week"
).split()


def vocabularies(rng: random.Random) -> tuple[list[str], list[str]]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou", "er")]
    english = list(
        dict.fromkeys(
            COMMON_EN + ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(30000)]
        )
    )
    chars = sorted({ch for ch in SEED_TEXT if "\u4e00" <= ch <= "\u9fff"})
    chars += [chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(2000)]
    chinese = list(
        dict.fromkeys("".join(rng.choices(chars, k=rng.choice((2, 2, 2, 3, 4)))) for _ in range(40000))
    )
    return english, chinese


def zipf_weights(n: int) -> list[float]:
    """Cumulative Zipf weights (rank r has weight 1/r), for random.choices(cum_weights=...)."""
    return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(n)))


def generate(folder: Path, count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    english, chinese = vocabularies(rng)
    en_weights, zh_weights = zipf_weights(len(english)), zipf_weights(len(chinese))
    store = MarkdownStore(folder)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(count):
        moment = start + timedelta(minutes=7 * n)
        if n % 10 < 6:  # 60% English
            words = rng.choices(english, cum_weights=en_weights, k=400)
            sentences = [" ".join(words[i : i + 20]).capitalize() + "." for i in range(0, 400, 20)]
            body = "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, 20, 4))
            title = " ".join(rng.choices(english, cum_weights=en_weights, k=8)).capitalize()
            source, zone, lang = "wire", "Europe/London", "en"
        elif n % 10 < 9:  # 30% Chinese
            words = rng.choices(chinese, cum_weights=zh_weights, k=450)
            sentences = ["".join(words[i : i + 15]) + "。" for i in range(0, 450, 15)]
            body = "\n\n".join("，".join(sentences[i : i + 5]) for i in range(0, 30, 5))
            title = "".join(rng.choices(chinese, cum_weights=zh_weights, k=6))
            source, zone, lang = "xinhua", "Asia/Shanghai", "zh-CN"
        else:  # 10% Japanese-looking (kanji words with kana particles)
            words = rng.choices(chinese, cum_weights=zh_weights, k=300)
            body = "".join(w + rng.choice("のはをにがでと") for w in words) + "。"
            title = "".join(rng.choices(chinese, cum_weights=zh_weights, k=4)) + "について"
            source, zone, lang = "nhk", "Asia/Tokyo", "ja"
        url = f"https://{source}.example/{moment:%Y/%m/%d}/story-{n}.html"
        article = Article(url=url, fetched_url=url, source=source, title=title, body=body, fetched=moment,
                          published=moment, timezone=zone, lang=lang)  # fmt: skip
        path = store.absolute(relative_path(article))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(article), encoding="utf-8")
    return english, chinese


def queries(english: list[str], chinese: list[str]) -> list[str]:
    return [
        english[0], english[60], english[2000], english[25000],  # very common ... rare words
        f'"{english[0]} {english[1]}"', f"{english[61]} {english[62]}", english[300][:3] + "*",
        chinese[0][:2], chinese[50][:2], chinese[3000][:2], chinese[30000],  # 2-char ... rare words
        chinese[10] + chinese[11], chinese[5][:1],  # 4+ characters across words; one character
        f"{chinese[40]} -{chinese[41]}",
    ]  # fmt: skip


def database_size(url: str, index: ArchiveIndex) -> int:
    if url.startswith("sqlite"):
        with index.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        base = url.removeprefix("sqlite:///")
        return sum(os.path.getsize(base + s) for s in ("", "-wal") if os.path.exists(base + s))
    with index.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c WHERE c.relname IN "
            "('articles', 'article_urls', 'search_docs') AND c.relkind = 'r' AND pg_table_is_visible(c.oid)"
        ).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/newsarchive-bench"))
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in --dir)")
    parser.add_argument("--repeat", type=int, default=5, help="Runs of each query.")
    parser.add_argument("--keep", action="store_true", help="Reuse the files of a previous run in --dir.")
    parser.add_argument("--search-only", action="store_true", help="Reuse the files and the index too.")
    args = parser.parse_args()
    news = args.dir / "news"
    url = args.database or f"sqlite:///{news / 'index.sqlite'}"
    if not (args.keep or args.search_only) or not news.is_dir():
        shutil.rmtree(args.dir, ignore_errors=True)
        started = time.perf_counter()
        english, chinese = generate(news, args.articles)
        print(f"generated {args.articles:,} articles in {time.perf_counter() - started:.0f} s")
    else:
        english, chinese = vocabularies(random.Random(7))
    if not args.search_only:
        for suffix in ("", "-wal", "-shm"):
            Path(str(news / "index.sqlite") + suffix).unlink(missing_ok=True)
    files_size = sum(f.stat().st_size for f in news.rglob("*.md"))
    index = ArchiveIndex(url)
    if not args.search_only:
        zones = {"wire": "Europe/London", "xinhua": "Asia/Shanghai", "nhk": "Asia/Tokyo"}
        started = time.perf_counter()
        report = reindex(index, MarkdownStore(news), lambda s: zones.get(s, "UTC"))
        took = time.perf_counter() - started
        rate = report.files / took
        print(
            f"reindex: {report.files:,} files in {took:.0f} s ({rate:,.0f} files/s), {len(report.problems)} problems"
        )
    print(
        f"files: {files_size / 1e6:,.0f} MB; database (rows + search): {database_size(url, index) / 1e6:,.0f} MB"
    )
    latencies: list[float] = []
    print(f"\n{'query':<32} {'matches':>8} {'median ms':>10} {'max ms':>8} {'+snippets ms':>13}")
    store = MarkdownStore(news)
    for text in queries(english, chinese):
        query, runs = parse_query(text), []
        for _ in range(args.repeat):
            with index.session() as session:
                t0 = time.perf_counter()
                hits, total = search.search(session, query, limit=20)
                runs.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        for hit in hits:
            snippet(store.read(hit.article.path), query)
        snip = (time.perf_counter() - t0) * 1000
        latencies += runs
        print(f"{text:<32} {total:>8,} {statistics.median(runs):>10.1f} {max(runs):>8.1f} {snip:>13.1f}")
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        f"\nall queries: median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms ({len(latencies)} runs)"
    )
    index.close()


if __name__ == "__main__":
    main()
