"""Incremental re-crawl benchmark: a local site of N articles (a sitemap index of 4 children with
lastmod, and a feed of the latest 50), a first crawl, then a second crawl with nothing changed.

    .venv/bin/python benchmarks/incremental.py [--articles 2000] [--revisit young|none]

`--revisit none`: the articles are past their revisit schedule (the usual case for a 15-minute
schedule); `young`: every article is in its first hours, so every one is revisited (conditional GET,
all 304). Bytes are response bodies as sent (gzip where the client asked), headers not counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.localsite import LocalSite, _norm  # noqa: E402

BOILERPLATE = "".join(
    f'<li><a href="/section/{i}/">Section {i}</a><script>window.t{i}={i * 7919 % 1000};</script></li>'
    for i in range(300)
)


def page(n: int) -> str:
    text = "".join(
        f"<p>Paragraph {p} of report {n}: the council discussed item {n * 31 + p} of the harbour plan "
        f"at length, and residents of district {n % 17} asked for another hearing before the vote.</p>"
        for p in range(8)
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Report {n} | Bench Times</title>'
        f'<meta property="article:published_time" content="2025-03-01T08:{n % 60:02d}:00+00:00"></head>'
        f"<body><nav><ul>{BOILERPLATE}</ul></nav><article><h1>Report number {n} on the harbour</h1>{text}"
        f"</article><footer>© Bench Times</footer></body></html>"
    )


def build(site: LocalSite, count: int) -> list[str]:
    paths = [f"/news/2025/03/01/report-{n}.html" for n in range(count)]
    for n, p in enumerate(paths):
        site.add(p, page(n))
    chunks = [paths[i : i + (count + 3) // 4] for i in range(0, count, (count + 3) // 4)]
    index = []
    for i, chunk in enumerate(chunks):
        urls = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in chunk)
        site.add(f"/sitemaps/{i}.xml", f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>', content_type="application/xml")  # fmt: skip
        index.append(f"<sitemap><loc>{site.url(f'/sitemaps/{i}.xml')}</loc><lastmod>2025-03-01T09:00:00Z</lastmod></sitemap>")  # fmt: skip
    site.add("/sitemap.xml", f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{"".join(index)}</sitemapindex>', content_type="application/xml")  # fmt: skip
    items = "".join(f"<item><title>R</title><link>{site.url(p)}</link></item>" for p in paths[-50:])
    site.add("/rss.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{items}</channel></rss>', content_type="application/rss+xml")  # fmt: skip
    return paths


def body_bytes(site: LocalSite, start: int) -> tuple[int, int, int]:
    """(full responses, 304s, body bytes) of the requests logged since ``start``."""
    full = not_modified = size = 0
    for r in site.requests[start:]:
        if r.status == 304:
            not_modified += 1
            continue
        full += 1
        res = site._routes.get(_norm(r.path))
        if res is not None:
            gz = "gzip" in r.headers.get("accept-encoding", "") and res.gzipped is not None
            size += len(res.gzipped if gz else res.body)
    return full, not_modified, size


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl(folder: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the crawl process and its extraction workers)"""
    started, cpu = time.monotonic(), children_cpu()
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--quiet"], cwd=folder,
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        sys.exit(result.stdout + result.stderr)
    return time.monotonic() - started, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--revisit", choices=["young", "none"], default="none")
    args = parser.parse_args()
    revisit = {"every_run_for": "1d", "at": []} if args.revisit == "young" else {"every_run_for": 0, "at": []}
    with LocalSite() as site, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(site, args.articles)
        config = {
            "archive": {"dir": "news"},
            "crawl": {"download_delay": 0, "blocked_addresses": [], "retry_times": 0, "revisit": revisit,
                      "concurrent_requests": 16, "concurrent_requests_per_domain": 16},
            "sources": [{"name": "bench", "feeds": [site.url("/rss.xml")], "sitemaps": [site.url("/sitemap.xml")],
                         "max_articles": args.articles + 100}],
        }  # fmt: skip
        (folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        rows = []
        for label in ("first crawl", "second crawl"):
            start, load = len(site.requests), os.getloadavg()[0]
            seconds, cpu = crawl(folder)
            rows.append((label, *body_bytes(site, start), seconds, cpu, load))
        archived = len(list((folder / "news").rglob("*.md")))
    print(f"{args.articles} articles, revisit: {args.revisit}; {archived} files archived")
    print(f"{'':14}{'requests':>9}{'full':>7}{'304':>7}{'bytes':>13}{'seconds':>9}{'CPU s':>8}{'load':>6}")
    for label, full, nm, size, seconds, cpu, load in rows:
        print(f"{label:14}{full + nm:>9}{full:>7}{nm:>7}{size:>13,}{seconds:>9.1f}{cpu:>8.1f}{load:>6.1f}")
    (_, f1, _, b1, t1, c1, _), (_, f2, _, b2, t2, c2, _) = rows
    print(f"ratio first/second: full responses {f1 / max(f2, 1):.0f}×, bytes {b1 / max(b2, 1):.0f}×, "
          f"time {t1 / t2:.1f}×, CPU {c1 / max(c2, 0.01):.1f}×")  # fmt: skip
    print("(CPU: user + sys of the crawl process and its extraction workers; load: 1-minute load average "
          "when the crawl started)")


if __name__ == "__main__":
    main()
