"""What provenance costs: the same crawl with ``crawl.provenance: warc`` and ``none``, side by side.

    .venv/bin/python benchmarks/provenance.py [--pages 1021] [--repeat 2] [--workers N]

Serves the synthetic site of ``benchmarks/throughput.py`` (page i is real corpus page i mod 1021 from
``../shared/corpus``, sent gzipped as real sites do, listed in a sitemap index) on 127.0.0.1, and runs a
first crawl into a fresh archive with each setting, interleaved (warc, none, none, warc, ...), with the
politeness delays off. Reports the median wall time of each setting, their ratio, and per archived
article: the WARC bytes (request + response records, gzip members), the page bytes sent (gzipped) and
the Markdown bytes. The machine's load average is printed with each run: on a shared machine the
times are noisy, the bytes are not.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from throughput import CORPUS, VENV_BIN, SyntheticSite, corpus_entries


def crawl(folder: Path, sitemap: str, pages: int, provenance: str, workers: int | None) -> float:
    folder.mkdir(parents=True)
    config = {
        "archive": {"dir": str(folder / "news")},
        "crawl": {"download_delay": 0, "autothrottle": False, "blocked_addresses": [], "provenance": provenance,
                  "max_articles_per_source": pages + 1000, "extract_workers": workers},
        "sources": [{"name": "bench", "sitemaps": [sitemap]}],
    }  # fmt: skip
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run([str(VENV_BIN / "newsarchive"), "crawl", "--config", str(folder / "config.yaml"), "-q"],
                            capture_output=True, text=True)  # fmt: skip
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(result.stdout + result.stderr)
    return seconds


def sizes(folder: Path) -> tuple[int, int, int, int]:
    """(articles, WARC bytes, Markdown bytes, responses rows) of an archive."""
    news = folder / "news"
    warc = (
        sum(p.stat().st_size for p in (news / ".warc").rglob("*.warc.gz")) if (news / ".warc").exists() else 0
    )
    markdown = sum(p.stat().st_size for p in news.rglob("*.md") if ".revisions" not in p.parts)
    with sqlite3.connect(news / "index.sqlite") as db:
        articles = db.execute("select count(*) from articles").fetchone()[0]
        has = db.execute("select count(*) from sqlite_master where name = 'responses'").fetchone()[0]
        rows = db.execute("select count(*) from responses").fetchone()[0] if has else 0
    return articles, warc, markdown, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1021)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=None, help="crawl.extract_workers (default: one per core)"
    )
    args = parser.parse_args()
    entries = corpus_entries(CORPUS)
    sent = sum(
        len(entries[i % len(entries)].file.read_bytes()) for i in range(args.pages)
    )  # gzipped, as sent
    times: dict[str, list[float]] = {"warc": [], "none": []}
    found: dict[str, tuple[int, int, int, int]] = {}
    with SyntheticSite(entries, args.pages) as site, tempfile.TemporaryDirectory() as tmp:
        for i in range(min(args.pages, len(entries))):  # the site's page cache filled before any run
            site.gzipped[i] = entries[i].file.read_bytes()
        for k in range(args.repeat):
            for mode in ("warc", "none") if k % 2 == 0 else ("none", "warc"):  # neither always first
                folder = Path(tmp) / f"{mode}-{k}"
                seconds = crawl(folder, site.base + "/sitemap.xml", args.pages, mode, args.workers)
                times[mode].append(seconds)
                found[mode] = sizes(folder)
                load = "/".join(f"{x:.2f}" for x in os.getloadavg())
                print(f"run {k + 1} provenance={mode}: {seconds:.1f} s, load {load}", flush=True)
    print(f"\n{args.pages} pages ({sent / args.pages:,.0f} bytes per page as sent, gzipped)")
    print(
        f"{'provenance':12}{'median s':>10}{'articles':>10}{'WARC B/article':>16}{'MD B/article':>14}{'rows':>7}"
    )
    for mode in ("warc", "none"):
        articles, warc, markdown, rows = found[mode]
        print(f"{mode:12}{statistics.median(times[mode]):>10.1f}{articles:>10}{warc / max(articles, 1):>16,.0f}"
              f"{markdown / max(articles, 1):>14,.0f}{rows:>7}")  # fmt: skip
    ratio = statistics.median(times["warc"]) / statistics.median(times["none"])
    articles, warc, _, _ = found["warc"]
    print(f"wall time warc/none: {ratio:.2f}; WARC bytes / bytes sent for the archived pages: "
          f"{warc / max(sent * articles / args.pages, 1):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
