"""Extraction fidelity on the shared corpus of real news pages: newsarchive against bare trafilatura.

    .venv/bin/python benchmarks/fidelity.py [--corpus fundus,cwce] [--keep DIR] [--processes 1]
        [--no-crawl | --systems pipeline,trafilatura]

One run does three things over the same pages and scores each with ``../shared/corpus/score.py``:

- **crawl**: starts ``site.py`` (the corpus served as a news site) on a free 127.0.0.1 port and runs a real
  ``newsarchive crawl`` over it in its own process and folder (one source: the site's sitemap index and its
  RSS feed). Note that the site writes the ground-truth title and date into its feed, and the pipeline uses a
  feed's title and date when a page says nothing better; so this row can be flattered by the feed.
- **pipeline**: the same extraction (``pipeline.process``) on each page's bytes and HTTP ``Content-Type``,
  with no feed hints: what the page alone yields. This is the fair comparison with trafilatura.
- **trafilatura**: ``trafilatura.extract(html, output_format="markdown", with_metadata=True,
  include_comments=False)`` on the same bytes, decoded as trafilatura does by default.

Besides score.py's figures it reports: ``time`` (same minute as the truth, over pages whose truth has a time
of day), ``author`` (same set of names, case and spacing aside, over pages whose truth names authors),
``images`` (``![`` in the bodies), ``mojibake`` (pages with U+FFFD or text decoded in the wrong charset),
and pages per second of extraction, both extractors with the same number of processes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
# not benchmarks/ itself: benchmarks/incremental.py would shadow the `incremental` package Twisted imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SYSTEMS = ("crawl", "pipeline", "trafilatura")
# U+FFFD, UTF-8 read as cp1252/Latin-1 ("Ã¤", "â€™", "Â "), CJK read as Latin-1 ("æ–°", "ï¼", "ÖÐ¹ú": runs of
# Latin-1 letters mixed with its symbols ¡-¿, which no language writes; "Äääähm" is German, not mojibake).
MOJIBAKE = re.compile(
    "\ufffd|Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
    "|Â[\u00a0-\u00bf]|â€|æ–°|ï¼"
)
_LATIN1_RUN = re.compile("[\u00a1-\u00ff]{4,}")


def is_mojibake(text: str) -> bool:
    return bool(MOJIBAKE.search(text)) or any(
        len(set(run)) >= 3 and re.search("[\u00a1-\u00bf]", run) for run in _LATIN1_RUN.findall(text)
    )


COLUMNS = [  # (key, header, format)
    ("coverage", "cover", "{:.3f}"), ("title_exact", "title", "{:.3f}"), ("title_loose", "title~", "{:.3f}"),
    ("date_same_day", "date", "{:.3f}"), ("date_minute", "time", "{:.3f}"), ("author", "author", "{:.3f}"),
    ("body_p", "P", "{:.3f}"), ("body_r", "R", "{:.3f}"), ("body_f1", "F1", "{:.3f}"),
    ("body_f1_sh4", "F1sh4", "{:.3f}"), ("snip_f1", "snipF1", "{:.3f}"), ("images", "images", "{}"),
    ("mojibake", "mojibake", "{}"),
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", help="only these corpora, comma separated (fundus, cwce, trafilatura)")
    parser.add_argument("--keep", type=Path, help="write the archives and scores here and keep them")
    parser.add_argument("--processes", type=int, default=1, help="extraction processes for both (default 1)")
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS, help="the shared corpus folder")
    parser.add_argument("--no-crawl", action="store_true", help="skip the crawl (extraction runs only)")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help="which of crawl, pipeline, trafilatura to run, comma separated (default all)")
    parser.add_argument("--every", type=int, default=1, metavar="N",
                        help="only every N-th page of the manifest (a quicker, smaller sample)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    args.systems = [s for s in SYSTEMS if s in args.systems.split(",") and not (s == "crawl" and args.no_crawl)]
    if not args.systems:
        parser.error(f"--systems: choose among {', '.join(SYSTEMS)}")
    if args.every > 1 and "crawl" in args.systems:
        parser.error("--every samples the extraction runs only: add --no-crawl")
    if not (args.corpus_dir / "manifest.json").is_file():
        parser.error(f"{args.corpus_dir}/manifest.json not found: pass --corpus-dir")
    work = args.keep or Path(tempfile.mkdtemp(prefix="fidelity-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_report(report, args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    corpora = set(args.corpus.split(",")) if args.corpus else None
    manifest = json.loads((args.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for e in manifest if not corpora or e["corpus"] in corpora][:: args.every]
    by_id = {e["id"]: e for e in entries}
    if args.every > 1:  # score.py counts coverage over its manifest: give it the sample only
        args.manifest = work / "manifest.json"
        args.manifest.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    report: dict[str, Any] = {"pages": len(entries), "speed": {}, "scores": {}}
    archives: dict[str, Path] = {}
    if "crawl" in args.systems:
        archives["crawl"] = crawl(args, work / "crawl")
    base = "http://127.0.0.1:8765"  # a URL for the extraction runs' pages; nothing is fetched from it
    for entry in entries:  # read once, so that neither timed pass pays for a cold disk cache
        (args.corpus_dir / entry["file"]).read_bytes()
    for system in [s for s in args.systems if s != "crawl"]:
        out = work / system
        out.mkdir()
        jobs = [(system, str(args.corpus_dir), e, base, str(out)) for e in entries]
        with ProcessPoolExecutor(args.processes) as pool:
            list(pool.map(_warm_up, [system] * args.processes))
            start = time.perf_counter()
            failures = sum(pool.map(extract_one, jobs, chunksize=8))
            elapsed = time.perf_counter() - start
        report["speed"][system] = {
            "pages_per_second": len(jobs) / elapsed,
            "seconds": elapsed,
            "empty": failures,
        }
        archives[system] = out
    for system, folder in archives.items():
        scored = score(args, folder, work / f"{system}.score.json")
        extra = extra_figures(scored, folder, by_id)
        report["scores"][system] = {
            group: {**scored["summary"][group], **extra.get(group, {})} for group in scored["summary"]
        }
        report["scores"][system]["_files"] = {k: v for k, v in scored["files"].items() if isinstance(v, int)}
    return report


# --- the crawl ------------------------------------------------------------------------------------------


def crawl(args: argparse.Namespace, folder: Path) -> Path:
    folder.mkdir()
    port = _free_port()
    command = [sys.executable, str(args.corpus_dir / "site.py"), "--port", str(port)]
    if args.corpus:
        command += ["--corpus", args.corpus]
    site = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(f"http://127.0.0.1:{port}/robots.txt", site)
        base = f"http://127.0.0.1:{port}"
        config = {
            "archive": {"dir": "news", "front_matter": {"add": ["authors"]}},
            "crawl": {"download_delay": 0, "concurrent_requests_per_domain": 16, "max_articles_per_source": 5000,
                      "retry_times": 0, "extract_workers": args.processes},
            "sources": [{"name": "corpus", "sitemaps": [f"{base}/sitemap.xml"], "feeds": [f"{base}/feeds/all.rss"]}],
        }  # fmt: skip
        from crawler.config import CrawlConfig

        if "blocked_addresses" in CrawlConfig.model_fields:  # the corpus site is on the loopback address
            config["crawl"]["blocked_addresses"] = []
        (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        print(f"crawling {base} into {folder} ...", file=sys.stderr, flush=True)
        result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--quiet"], cwd=folder, env=env,
                                capture_output=True, text=True, timeout=3600)  # fmt: skip
        if result.returncode not in (0, 1):  # 1: some source failed, still scored
            sys.exit(f"newsarchive crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        print(result.stdout.strip(), file=sys.stderr)
    finally:
        site.terminate()
        site.wait(10)
    return folder / "news"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"site.py exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"site.py did not answer at {url}")


# --- the extraction runs --------------------------------------------------------------------------------


def _warm_up(system: str) -> None:
    import trafilatura  # noqa: F401

    if system == "pipeline":
        import pipeline.extract  # noqa: F401


def extract_one(job: tuple[str, str, dict, str, str]) -> int:
    """Extract one page into a Markdown file; 1 when the extractor gave nothing."""
    system, corpus_dir, entry, base, out = job
    body = gzip.decompress((Path(corpus_dir) / entry["file"]).read_bytes())
    url = base + entry["served_path"]
    text = (pipeline_md if system == "pipeline" else trafilatura_md)(body, entry, url)
    if text is None:
        return 1
    (Path(out) / f"{entry['id']}.md").write_text(text, encoding="utf-8")
    return 0


def pipeline_md(body: bytes, entry: dict, url: str) -> str | None:
    from archive.render import MAINROAD_LAYOUT, render
    from pipeline import Page, SkipPage, process

    page = Page(url=url, requested_url=url, body=body, content_type=f"text/html; charset={entry.get('charset') or 'utf-8'}",
                source="corpus", timezone="UTC", lang=None, fetched=datetime.now(UTC), hints={},
                site_domains=["127.0.0.1"], via="sitemap")  # fmt: skip
    try:
        article = process(page)
    except SkipPage:
        return None
    except Exception as exc:  # counted like a skipped page, as the crawl does
        print(f"{url}: extraction failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    return render(article, (*MAINROAD_LAYOUT, ("authors", None)))


def trafilatura_md(body: bytes, entry: dict, url: str) -> str | None:
    import trafilatura

    out = trafilatura.extract(body, output_format="markdown", with_metadata=True, include_comments=False)
    if not out:
        return None
    meta: dict[str, Any] = {}
    text = out
    match = re.match(r"---\n(.*?)\n---\n?", out, re.S)
    if match:  # trafilatura's header is not always valid YAML (titles with ": "); keep its values as strings
        for line in match.group(1).splitlines():
            key, _, value = line.partition(": ")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            meta[key.strip()] = value
        text = out[match.end() :]
    front = {"title": meta.get("title") or "", "date": meta.get("date") or None, "url": url}
    front["authors"] = [a.strip() for a in (meta.get("author") or "").split(";") if a.strip()]
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    return f"---\n{head}---\n\n{text.strip()}\n\n[source]({url})\n"


# --- scoring --------------------------------------------------------------------------------------------


def score(args: argparse.Namespace, folder: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, str(args.corpus_dir / "score.py"), str(folder), "--json", str(out)]
    if args.corpus:
        command += ["--corpus", args.corpus]
    if getattr(args, "manifest", None):
        command += ["--manifest", str(args.manifest)]
    subprocess.run(command, check=True, capture_output=True)
    return json.loads(out.read_text(encoding="utf-8"))


def extra_figures(scored: dict[str, Any], folder: Path, by_id: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """Per group: date-and-time, author, images and mojibake figures from the scored files."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in scored["per_article"]:
        entry = by_id.get(row["id"])
        if entry is None:
            continue
        groups = [entry["corpus"], "overall"] + (
            ["cjk (zh/ja/ko)"] if entry.get("lang") in ("zh", "ja", "ko") else []
        )
        figures = _figures(entry, folder / row["file"]) if row.get("file") else {}
        for group in groups:
            rows.setdefault(group, []).append(figures)
    result = {}
    for group, figures in rows.items():
        timed = [f["minute"] for f in figures if "minute" in f]
        authored = [f["author"] for f in figures if "author" in f]
        result[group] = {
            "date_minute": sum(timed) / len(timed) if timed else None,
            "date_minute_n": len(timed),
            "author": sum(authored) / len(authored) if authored else None,
            "author_n": len(authored),
            "images": sum(f.get("images", 0) for f in figures),
            "mojibake": sum(f.get("mojibake", 0) for f in figures),
        }
    return result


def _figures(entry: dict, path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8", errors="replace")
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    meta = (yaml.safe_load(match.group(1)) if match else None) or {}
    body = text[match.end() :] if match else text
    figures: dict[str, Any] = {
        "images": body.count("!["),
        "mojibake": int(is_mojibake(f"{meta.get('title', '')}\n{body}")),
    }
    truth = _moment(entry.get("date"))
    if truth is not None and (truth.time() != datetime.min.time() or truth.tzinfo):
        got = _moment(meta.get("date"))
        if got is not None and truth.tzinfo and not got.tzinfo:
            got = got.replace(tzinfo=UTC)  # front-matter dates are in the crawl's zone, UTC here
        if got is not None and not truth.tzinfo:
            got = got.replace(tzinfo=None)
        figures["minute"] = got is not None and abs(got - truth) < timedelta(minutes=1)
    if entry.get("authors"):
        got_authors = meta.get("authors") or []
        figures["author"] = {_name(a) for a in got_authors if isinstance(a, str)} == {
            _name(a) for a in entry["authors"]
        }
    return figures


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if len(str(value).strip()) > 10 else None  # a day without a time has no minute


def _name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


# --- the table ------------------------------------------------------------------------------------------


def print_report(report: dict[str, Any], args: argparse.Namespace) -> None:
    systems = [s for s in SYSTEMS if s in report["scores"]]
    groups = list(report["scores"][systems[0]])
    groups = [g for g in groups if not g.startswith("_")]
    width = max(len(g) for g in groups) + 2
    print(f"{'corpus':<{width}}{'system':<13}" + "".join(f"{h:>9}" for _, h, _ in COLUMNS))
    for group in groups:
        for system in systems:
            figures = report["scores"][system].get(group, {})
            cells = []
            for key, _, fmt in COLUMNS:
                value = figures.get(key)
                cells.append(f"{fmt.format(value) if value is not None else '-':>9}")
            label = f"{group} ({figures.get('pages', 0)})" if system == systems[0] else ""
            print(f"{label:<{width}}{system:<13}" + "".join(cells))
    for system in systems:
        files = report["scores"][system]["_files"]
        unmatched = {k[10:]: v for k, v in files.items() if k.startswith("unmatched_")}
        print(f"{system}: files {files.get('files', 0)}, front-matter errors {files.get('front_matter_errors', 0)}, "
              f"unmatched {unmatched or 0}")  # fmt: skip
    for system, speed in report["speed"].items():
        print(f"{system}: {speed['pages_per_second']:.1f} pages/s extraction with {args.processes} process(es) "
              f"({speed['seconds']:.0f} s, {speed['empty']} pages without output)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
