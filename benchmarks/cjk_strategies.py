"""Why CJK bigrams: the three ways considered to make SQLite FTS5 find Chinese and Japanese text by
any substring of two or more characters, measured on the same articles.

    .venv/bin/python benchmarks/cjk_strategies.py /tmp/newsarchive-bench/news --articles 20000

- bigram:  (what archive/terms.py does) each CJK run indexed as its overlapping bigrams plus its last
           character; a query is the phrase of its bigrams. ``ascii`` tokenizer on our tokens.
- unigram: each CJK character one token; a query is the phrase of its characters.
- trigram: FTS5's ``trigram`` tokenizer on the raw text; a two-character term cannot use the index
           (trigram needs three characters), so it falls back to ``LIKE '%xy%'``, a full scan.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.article import plain_text  # noqa: E402
from archive.render import parse  # noqa: E402
from archive.terms import _pieces, document, parse_query  # noqa: E402
from benchmarks.search_bench import vocabularies  # noqa: E402


def unigram_document(text: str) -> str:
    out: list[str] = []
    for is_cjk, piece in _pieces(text):
        out.extend(piece if is_cjk else [piece])
    return " ".join(out)


def load(news: Path, count: int) -> list[tuple[str, str]]:
    docs = []
    for path in sorted(news.rglob("*.md"))[:count]:
        meta, body = parse(path.read_text(encoding="utf-8"))
        docs.append((meta["title"], plain_text(body)))
    return docs


def build(kind: str, docs: list[tuple[str, str]], folder: str) -> tuple[sqlite3.Connection, float, int]:
    file = os.path.join(folder, f"{kind}.sqlite")
    db = sqlite3.connect(file)
    tokenizer, content = ("trigram", "") if kind == "trigram" else ("ascii", ", content=''")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='{tokenizer}'{content})")
    convert = {"bigram": document, "unigram": unigram_document, "trigram": str}[kind]
    started = time.perf_counter()
    db.executemany("INSERT INTO t(title, body) VALUES (?, ?)", ((convert(a), convert(b)) for a, b in docs))
    db.execute("INSERT INTO t(t) VALUES ('optimize')")
    db.commit()
    return db, time.perf_counter() - started, os.path.getsize(file)


def match(kind: str, text: str) -> tuple[str, tuple]:
    if kind == "bigram":
        query = parse_query(text)
        expr = " AND ".join(
            '"' + " ".join(t.tokens) + '"' + (" *" if t.prefix else "") for t in query.positive
        )
        return "SELECT count(*) FROM t WHERE t MATCH ?", (expr,)
    if kind == "unigram":
        return "SELECT count(*) FROM t WHERE t MATCH ?", ('"' + unigram_document(text) + '"',)
    if len(text) < 3:
        return "SELECT count(*) FROM t WHERE title LIKE ? OR body LIKE ?", (f"%{text}%", f"%{text}%")
    return "SELECT count(*) FROM t WHERE t MATCH ?", ('"' + text.replace('"', '""') + '"',)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("news", type=Path, help="an archive folder (e.g. made by search_bench.py)")
    parser.add_argument("--articles", type=int, default=20000)
    args = parser.parse_args()
    docs = load(args.news, args.articles)
    _, chinese = vocabularies(random.Random(7))  # the words search_bench.py wrote with
    terms = [chinese[0][:2], chinese[50][:2], chinese[3000][:2], chinese[10] + chinese[11]]
    print(f"{len(docs):,} articles; CJK terms: {', '.join(terms)}")
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("bigram", "unigram", "trigram"):
            db, took, size = build(kind, docs, folder)
            cells = []
            for term in terms:
                sql, params = match(kind, term)
                runs = []
                for _ in range(5):
                    started = time.perf_counter()
                    found = db.execute(sql, params).fetchone()[0]
                    runs.append((time.perf_counter() - started) * 1000)
                cells.append(f"{term} {found:,} in {statistics.median(runs):.1f} ms")
            db.close()
            print(f"{kind:<8} build {took:5.1f} s, {size / 1e6:6.1f} MB | " + " | ".join(cells))


if __name__ == "__main__":
    main()
