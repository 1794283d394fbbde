"""Throughput and memory of a whole crawl, side by side with bare trafilatura and trafilatura's own crawler.

    .venv/bin/python benchmarks/throughput.py [--corpus | --pages N] [--skip-cli] [--repeat K]
    .venv/bin/python benchmarks/throughput.py --scale 5000,50000

Serves the shared corpus (``--corpus``: ``../shared/corpus/site.py``, 1021 real news pages) or a synthetic site of
N article pages made from it (page i is corpus page i mod 1021 under its own URL ``/a/<i>/<original path>``, listed
in a sitemap index; pages are read from ``../shared/corpus/html`` at run time and sent gzipped, as stored), on
127.0.0.1, and measures in one run, one after the other, over the same pages:

1. **pipeline**: a real ``newsarchive crawl`` in its own process over the site's sitemap index, with the politeness
   delays off (``download_delay: 0``, ``autothrottle: false``) and ``blocked_addresses: []`` (the site is on
   127.0.0.1); every other crawl setting is the project default (16 requests at a time, 4 per site, one extraction
   worker per core, robots.txt obeyed). It writes Markdown files and the SQLite index as usual.
2. **bare, 1 process**: ``trafilatura.extract(html, output_format="markdown", with_metadata=True,
   include_comments=False)`` over the pages' bytes read from disk, in one worker process: the per-core ceiling.
3. **bare, all cores**: the same, one worker process per core: the machine's ceiling.
4. **newsarchive extraction, all cores** (diagnostic): ``pipeline.process`` on the same bytes from disk, one
   process per core, nothing written: separates what extraction itself costs from what the crawl adds.
5. **trafilatura CLI**: ``trafilatura --feed <site's RSS feed of every article> --markdown --with-metadata -o DIR``
   from the venv, its download sleep off (``SLEEP_TIME = 0``, and ``SSRF_PROTECTION = off`` for 127.0.0.1, in a
   ``--config-file``); its other defaults: downloads in ``--parallel`` = min(cores, 16) threads but one URL per
   host at a time, extraction in its main thread. ``--cli-mode sitemap`` uses ``--sitemap <site>/sitemap.xml``
   instead; with trafilatura 2.3.1 on this site that mode kept re-fetching ``/sitemap.xml`` after the child
   sitemaps and never downloaded an article, so it is stopped after 1 s per page + 10 min. Its URL filter takes
   no port number on an IP host, so this row needs the site on port 80 (the benchmark runs as root here);
   elsewhere it is skipped with a note.

Every row's time is the whole run (start-up included); CPU is user + sys of the process and its children
(``getrusage(RUSAGE_CHILDREN)`` around it); peak RSS is the largest sum of the resident sizes of the process tree,
read from ``/proc`` every 0.2 s. Ratios are of pages per second. The machine's load average is printed with every
row: the runs are sequential, so a row measured while other work ran is slower than it should be;
``--repeat K`` runs the rows K times, interleaved, and reports the median run of each.

``--scale 5000,50000`` then crawls synthetic sites of those sizes (fresh archive each) and reports peak RSS of the
crawl's process tree and of its main process, and the growth between the smallest and the largest size.
``--py-spy FILE`` samples the crawl's main process with py-spy (if installed in the venv) and reports the share of
its wall time spent in ``Archiver.save`` (Markdown file + index rows), extraction awaiting and the rest.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"
VENV_BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# -- the pages ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    file: Path  # .html.gz: the exact bytes a server sends, gzipped
    path: str  # served path on site.py, starting with "/"
    charset: str


def corpus_entries(corpus: Path) -> list[Entry]:
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    return [Entry(corpus / e["file"], e["served_path"], e.get("charset") or "utf-8") for e in manifest]


def synthetic_path(i: int, entry: Entry) -> str:
    return f"/a/{i}{entry.path}"


class SyntheticSite:
    """N article pages made from the corpus pages, a sitemap index, robots.txt; on 127.0.0.1, standard library."""

    def __init__(self, entries: list[Entry], pages: int, port: int = 0, per_sitemap: int = 1000):
        self.entries, self.pages, self.per_sitemap = entries, pages, per_sitemap
        self.gzipped: dict[int, bytes] = {}
        self.articles_served = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real sites

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.respond(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}".removesuffix(":80")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SyntheticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        article = re.match(r"/a/(\d+)/", path)
        if article and int(article[1]) < self.pages:
            i = int(article[1]) % len(self.entries)
            entry = self.entries[i]
            body = self.gzipped.get(i) or self.gzipped.setdefault(i, entry.file.read_bytes())
            self.articles_served += 1
            ctype = f"text/html; charset={entry.charset}"
            if "gzip" in handler.headers.get("Accept-Encoding", ""):
                return _send(handler, 200, body, ctype, gzipped=True)
            return _send(handler, 200, gzip.decompress(body), ctype)
        if path == "/":  # trafilatura's CLI gives up on a sitemap whose site has no homepage
            links = '<a href="/sitemap.xml">sitemap</a> <a href="/feed.rss">feed</a>'
            return _send(
                handler,
                200,
                f"<html><body><h1>Synthetic news</h1>{links}</body></html>".encode(),
                "text/html",
            )
        if path == "/feed.rss":
            items = "".join(
                f"<item><title>Article {i}</title><link>"
                f"{html.escape(self.base + synthetic_path(i, self.entries[i % len(self.entries)]))}</link></item>"
                for i in range(self.pages)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Synthetic news</title>{items}</channel></rss>'
            return _send(handler, 200, body.encode(), "application/rss+xml")
        if path == "/robots.txt":
            return _send(
                handler,
                200,
                f"User-agent: *\nAllow: /\nSitemap: {self.base}/sitemap.xml\n".encode(),
                "text/plain",
            )
        if path == "/sitemap.xml":
            children = (self.pages + self.per_sitemap - 1) // self.per_sitemap
            locs = "".join(
                f"<sitemap><loc>{self.base}/sitemaps/{k}.xml</loc></sitemap>" for k in range(children)
            )
            return _send(handler, 200, _xml("sitemapindex", locs), "application/xml")
        child = re.fullmatch(r"/sitemaps/(\d+)\.xml", path)
        if child:
            first = int(child[1]) * self.per_sitemap
            urls = "".join(
                f"<url><loc>{html.escape(self.base + synthetic_path(i, self.entries[i % len(self.entries)]))}</loc></url>"
                for i in range(first, min(first + self.per_sitemap, self.pages))
            )
            return _send(handler, 200, _xml("urlset", urls), "application/xml")
        return _send(handler, 404, b"not found", "text/plain")


def _xml(root: str, inner: str) -> bytes:
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} {ns}>{inner}</{root}>\n'.encode()


def _send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, gzipped: bool = False
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    if gzipped:
        handler.send_header("Content-Encoding", "gzip")
    handler.end_headers()
    handler.wfile.write(body)


@contextmanager
def corpus_site(port: int, log: Path) -> Iterator[tuple[str, int]]:
    """The corpus served by its own ``site.py`` (a subprocess; not reaped before the end, so its CPU time
    never lands in a row's RUSAGE_CHILDREN)."""
    proc = subprocess.Popen(
        [sys.executable, str(CORPUS / "site.py"), "--port", str(port), "--log", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}".removesuffix(":80")
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait()


def corpus_articles_served(log: Path) -> int:
    """Article pages site.py sent so far (from its request log)."""
    if not log.exists():
        return 0
    skip = ("/sitemap", "/robots.txt", "/feeds/", "/section/")
    return sum(
        1
        for line in log.read_text(encoding="utf-8").splitlines()
        if (rec := json.loads(line))["status"] == 200
        and not rec["path"].startswith(skip)
        and rec["path"] != "/"
    )


# -- measuring a process tree ---------------------------------------------------------------------------------


@dataclass
class Sample:
    t: float
    tree: int  # bytes, the whole tree
    rss: dict[int, int]  # pid -> bytes
    pss: int  # the tree's proportional set size: shared pages (libraries) counted once, not per process
    pages: int = 0  # article pages the site had served by then (synthetic site only)


@dataclass
class TreeSampler:
    """Resident memory of a process tree (sum over its processes) and CPU time per process, from /proc."""

    root: int
    include_root: bool = True
    exclude: set[int] = field(default_factory=set)
    interval: float = 0.2
    progress: Callable[[], int] | None = None  # article pages served so far
    samples: list[Sample] = field(default_factory=list)
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> last seen user + sys seconds
    names: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> TreeSampler:
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2 :].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
        tree, stack = [], [self.root]
        while stack:
            pid = stack.pop()
            if pid not in self.exclude:
                tree.append(pid)
                stack.extend(children.get(pid, []))
        rss_by_pid: dict[int, int] = {}
        pss = 0
        for pid in tree:
            if pid == self.root and not self.include_root:
                continue
            try:
                rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
                stat = Path(f"/proc/{pid}/stat").read_text()
            except (OSError, IndexError):
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            self.cpu[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            self.names.setdefault(pid, stat[stat.index("(") + 1 : stat.rindex(")")])
            rss_by_pid[pid] = rss
            pss += _pss(pid)
        pages = self.progress() if self.progress else 0
        self.samples.append(Sample(time.monotonic() - self._t0, sum(rss_by_pid.values()), rss_by_pid, pss, pages))

    @property
    def peak(self) -> int:
        return max((s.tree for s in self.samples), default=0)

    @property
    def peak_pss(self) -> int:
        return max((s.pss for s in self.samples), default=0)

    def peak_of(self, pid: int) -> int:
        return max((s.rss.get(pid, 0) for s in self.samples), default=0)


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class Row:
    name: str
    pages: int  # pages handled (fetched and extracted, or extracted from disk)
    wall: float
    cpu: float
    rss: int
    load: tuple[float, float]  # 1-minute load average before and after
    note: str = ""
    crawl: CrawlDetails | None = None

    @property
    def rate(self) -> float:
        return self.pages / self.wall if self.wall else 0.0


@dataclass
class CrawlDetails:
    counts: dict[str, int | str]  # the run's row in the index: discovered, fetched, new, ...
    main_cpu: float  # the crawl process itself (reactor, Scrapy, archive writes)
    workers_cpu: float  # its extraction workers
    main_rss: int  # peak
    samples: list[tuple[float, int, int]]  # (seconds, tree RSS, main RSS)
    at_peak: list[tuple[str, int]]  # the tree's processes at its peak: (name, RSS), largest first
    peak_pss: int
    by_pages: list[tuple[int, int, int, int]] = field(default_factory=list)  # (pages served, tree, main, PSS)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(name: str, run: Callable[[], int], sampler: TreeSampler) -> Row:
    load0, cpu0, t0 = os.getloadavg()[0], children_cpu(), time.monotonic()
    with sampler:
        pages = run()
    wall, cpu = time.monotonic() - t0, children_cpu() - cpu0
    return Row(name, pages, wall, cpu, sampler.peak, (load0, os.getloadavg()[0]))


def run_tree(
    cmd: list[str], name: str, log: Path, timeout: float | None = None, env: dict[str, str] | None = None,
    progress: Callable[[], int] | None = None,
) -> tuple[Row, TreeSampler]:
    """Run ``cmd`` to its end (or stop it after ``timeout`` seconds), measuring its whole process tree
    (``pages`` is left at 0)."""
    sampler = TreeSampler(root=-1, progress=progress)

    def run() -> int:
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
            sampler.root = proc.pid
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"  {cmd[0]} still running after {timeout:.0f} s: stopped", flush=True)
                proc.terminate()
                proc.wait()
            if proc.returncode:
                print(f"  {cmd[0]} exited with status {proc.returncode}; see {log}", flush=True)
        return 0

    return measure(name, run, sampler), sampler


# -- the rows -------------------------------------------------------------------------------------------------


PER_DOMAIN: int | None = None  # --per-domain: requests at a time to the one site (None: the project default)


def crawl_config(folder: Path, sitemap: str, pages: int, workers: int | None) -> Path:
    import yaml

    config = {
        "archive": {"dir": str(folder / "news")},
        "crawl": {
            "download_delay": 0,
            "autothrottle": False,
            "blocked_addresses": [],
            "max_articles_per_source": pages + 1000,
            "extract_workers": workers,
            **({"concurrent_requests_per_domain": PER_DOMAIN} if PER_DOMAIN else {}),
        },
        "sources": [{"name": "bench", "sitemaps": [sitemap]}],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def pipeline_row(
    folder: Path, sitemap: str, pages: int, workers: int | None, py_spy: Path | None, tree: Path | None = None,
    progress: Callable[[], int] | None = None,
) -> Row:
    """``tree``: run the crawl from another source tree of newsarchive (a copy before a change, say)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = crawl_config(folder, sitemap, pages, workers)
    cmd = [str(VENV_BIN / "newsarchive"), "crawl", "--config", str(config), "-q"]
    if py_spy is not None:  # samples the crawl's main process only (workers are not followed)
        cmd = [str(VENV_BIN / "py-spy"), "record", "--idle", "--format", "raw", "--rate", "50",
               "-o", str(py_spy), "--", *cmd]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None
    name = f"pipeline: newsarchive crawl{f' ({tree})' if tree else ''}"
    row, sampler = run_tree(cmd, name, folder / "crawl.log", env=env, progress=progress)
    with sqlite3.connect(folder / "news" / "index.sqlite") as db:
        keys = ("discovered", "fetched", "new", "unchanged", "skipped", "failed", "status")
        values = db.execute(f"SELECT {', '.join(keys)} FROM crawl_runs ORDER BY id DESC").fetchone()
    counts = dict(zip(keys, values, strict=True))
    row.pages = int(counts["fetched"])
    main = next((pid for pid, name in sampler.names.items() if name == "newsarchive"), sampler.root)
    helpers = {pid for pid, name in sampler.names.items() if name == "py-spy"}
    row.crawl = CrawlDetails(
        counts=counts,
        main_cpu=sampler.cpu.get(main, 0.0),
        workers_cpu=sum(cpu for pid, cpu in sampler.cpu.items() if pid != main and pid not in helpers),
        main_rss=sampler.peak_of(main),
        samples=[(s.t, s.tree, s.rss.get(main, 0)) for s in sampler.samples],
        by_pages=[(s.pages, s.tree, s.rss.get(main, 0), s.pss) for s in sampler.samples],
        at_peak=_at_peak(sampler, main),
        peak_pss=sampler.peak_pss,
    )
    row.note = f"{counts['new']} archived, {counts['skipped']} skipped, {counts['failed']} failed; {counts['status']}"
    if py_spy is not None:
        row.note += "; under py-spy"
    return row


def _warm(kind: str) -> None:
    if kind == "bare":
        import trafilatura  # noqa: F401
    else:
        import pipeline.extract  # noqa: F401


def _bare(job: tuple[str, str, str]) -> int:
    import trafilatura

    path, url, _ = job
    data = gzip.decompress(Path(path).read_bytes())
    text = trafilatura.extract(
        data, url=url, output_format="markdown", with_metadata=True, include_comments=False
    )
    return int(text is not None)


def _ours(job: tuple[str, str, str]) -> int:
    from pipeline import SkipPage, process
    from pipeline.page import Page

    path, url, ctype = job
    page = Page(
        url=url, requested_url=url, body=gzip.decompress(Path(path).read_bytes()), content_type=ctype,
        source="bench", timezone="UTC", lang=None, fetched=datetime.now(UTC), via="sitemap",
    )  # fmt: skip
    try:
        process(page)
    except SkipPage:
        return 0
    return 1


def pool_row(
    name: str, kind: str, jobs: list[tuple[str, str, str]], processes: int, exclude: set[int]
) -> Row:
    extracted = 0

    def run() -> int:
        nonlocal extracted
        context = get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context, initializer=_warm, initargs=(kind,)) as pool:
            extracted = sum(pool.map(_bare if kind == "bare" else _ours, jobs, chunksize=4))
        return len(jobs)

    row = measure(name, run, TreeSampler(os.getpid(), include_root=False, exclude=exclude))
    row.note = f"{extracted} with text, {processes} process{'es' if processes > 1 else ''}"
    return row


def cli_row(folder: Path, url: str, mode: str, served: Callable[[], int], timeout: float) -> Row:
    folder.mkdir(parents=True, exist_ok=True)
    defaults = (VENV_BIN.parent / "lib").glob("python3*/site-packages/trafilatura/settings.cfg")
    text = next(defaults).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^SLEEP_TIME = .*$", "SLEEP_TIME = 0", text)
    text = re.sub(r"(?m)^SSRF_PROTECTION = .*$", "SSRF_PROTECTION = off", text)
    (folder / "settings.cfg").write_text(text, encoding="utf-8")
    out = folder / "out"
    cmd = [str(VENV_BIN / "trafilatura"), f"--{mode}", url, "--markdown", "--with-metadata",
           "--config-file", str(folder / "settings.cfg"), "-o", str(out)]  # fmt: skip
    before = served()
    row, _ = run_tree(cmd, f"trafilatura CLI --{mode}", folder / "trafilatura.log", timeout)
    row.pages = served() - before
    written = sum(1 for f in out.rglob("*") if f.is_file()) if out.exists() else 0
    row.note = f"{written} files written; SLEEP_TIME = 0"
    return row


# -- py-spy ---------------------------------------------------------------------------------------------------


SPY_KINDS = (  # first match wins; a frame is "function (file:line)"
    ("archive writes", "Archiver.save ("),
    ("index lookups", "ArchiveIndex.known ("),
    ("extraction hand-off", "run_in_executor ("),
)


def py_spy_shares(raw: Path) -> tuple[float, dict[str, float]]:
    """Seconds the crawl's reactor ran, and shares of them (py-spy samples, idle ones included): archive
    writes (``Archiver.save``: Markdown file and index rows), index lookups in discovery, handing pages to the
    extraction workers, idle (waiting in epoll for the network or the workers), other (Scrapy, the spider)."""
    counts = dict.fromkeys([kind for kind, _ in SPY_KINDS] + ["idle", "other"], 0)
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit() or "CrawlerProcess.start (" not in stack:
            continue  # another thread (the pool's feeder, SQLite ...), or start-up and shutdown
        kind = next((kind for kind, frame in SPY_KINDS if frame in stack), None)
        if kind is None:
            leaf = stack.rsplit(";", 1)[-1]
            kind = "idle" if re.match(r"\w*Selector\.select |select |poll ", leaf) else "other"
        counts[kind] += int(n)
    total = sum(counts.values())
    return total / 50, {k: v / (total or 1) for k, v in counts.items()}  # sampled at 50 Hz


# -- report ---------------------------------------------------------------------------------------------------


def mb(n: int) -> str:
    return f"{n / 1e6:,.0f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| run | pages | wall s | pages/s | CPU s (user+sys) | CPU ms/page | peak RSS MB | load 1-min | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        per_page = 1000 * r.cpu / r.pages if r.pages else 0
        lines.append(
            f"| {r.name} | {r.pages} | {r.wall:.1f} | {r.rate:.1f} | {r.cpu:.1f} | {per_page:.0f} | {mb(r.rss)} "
            f"| {r.load[0]:.1f} → {r.load[1]:.1f} | {r.note} |"
        )
    return "\n".join(lines)


def ratios(rows: dict[str, Row]) -> list[str]:
    out = []
    crawl = rows.get("pipeline")
    for key, label in (("bare1", "one-process bare trafilatura"), ("bareN", "all-cores bare trafilatura"),
                       ("ours", "newsarchive extraction, all cores"), ("cli", "trafilatura CLI")):  # fmt: skip
        if crawl and key in rows and rows[key].rate:
            out.append(f"pipeline / {label}: {crawl.rate / rows[key].rate:.2f}×")
    for key, row in rows.items():
        if crawl and key.startswith("pipeline@") and row.rate:
            out.append(
                f"pipeline / pipeline from {key.removeprefix('pipeline@')}: {crawl.rate / row.rate:.2f}×"
            )
    return out


def _at_peak(sampler: TreeSampler, main: int) -> list[tuple[str, int]]:
    peak = max(sampler.samples, key=lambda s: s.tree, default=None)
    if peak is None:
        return []
    named = [("main" if pid == main else sampler.names.get(pid, "?"), rss) for pid, rss in peak.rss.items()]
    return sorted(named, key=lambda x: -x[1])


def crawl_details(row: Row, workers: int) -> str:
    c = row.crawl
    if c is None:
        return ""
    busy = c.workers_cpu / (row.wall * workers) if row.wall else 0
    return (
        f"main process CPU {c.main_cpu:.1f} s ({1000 * c.main_cpu / max(row.pages, 1):.0f} ms/page), peak RSS "
        f"{mb(c.main_rss)} MB; {workers} extraction workers CPU {c.workers_cpu:.1f} s (each busy {busy:.0%} of "
        f"the wall time); at the tree's peak: "
        + ", ".join(f"{name} {mb(rss)}" for name, rss in c.at_peak)
        + " MB"
    )


def peaks_by_pages(row: Row) -> str:
    """Peak RSS (tree, main process, tree PSS) of the crawl up to 5,000, 10,000, 25,000, ... pages served: memory
    that grows with the pages crawled shows here within one run."""
    samples = row.crawl.by_pages if row.crawl else []
    if not samples or not samples[-1][0]:
        return ""
    marks = [m for m in (1000, 5000, 10000, 25000, 50000, 100000) if m < samples[-1][0]] + [samples[-1][0]]
    out = []
    for mark in marks:
        upto = [s for s in samples if s[0] <= mark]
        if upto:
            out.append(f"≤{mark:,}: {mb(max(s[1] for s in upto))}/{mb(max(s[2] for s in upto))}/"
                       f"{mb(max(s[3] for s in upto))}")  # fmt: skip
    first5k = [s for s in samples if s[0] <= 5000]
    growth = ""
    if first5k and samples[-1][0] > 5000:
        growth = (f"; growth of the peak after 5,000 pages: tree {max(s[1] for s in samples) / max(s[1] for s in first5k) - 1:+.0%}, "
                  f"main {max(s[2] for s in samples) / max(max(s[2] for s in first5k), 1) - 1:+.0%}, "
                  f"PSS {max(s[3] for s in samples) / max(max(s[3] for s in first5k), 1) - 1:+.0%}")  # fmt: skip
    return "peak RSS tree/main/PSS MB by pages served: " + ", ".join(out) + growth


def rss_trend(row: Row) -> str:
    samples = row.crawl.samples if row.crawl else []
    if not samples:
        return ""
    points = []
    for q in (0.1, 0.25, 0.5, 0.75, 0.95):
        t, tree, main = samples[min(int(q * len(samples)), len(samples) - 1)]
        points.append(f"{t:.0f} s: {mb(tree)}/{mb(main)}")
    return "RSS tree/main MB during the run: " + ", ".join(points)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus", action="store_true", help="serve the corpus with its own site.py (1021 pages)"
    )
    parser.add_argument("--pages", type=int, default=1021, help="size of the synthetic site (default 1021)")
    parser.add_argument("--skip-cli", action="store_true", help="leave out trafilatura's own crawler")
    parser.add_argument(
        "--cli-mode", choices=["feed", "sitemap"], default="feed",
        help="how trafilatura's CLI discovers the pages (default feed: its --sitemap mode looped here)",
    )  # fmt: skip
    parser.add_argument(
        "--per-domain", type=int, default=None,
        help="the crawl's concurrent_requests_per_domain (default: the project's, 4); the site is one host",
    )
    parser.add_argument(
        "--rows", default=",".join(ROWS), help=f"rows to run, in this order (default {','.join(ROWS)})"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the rows K times, interleaved; report medians"
    )
    parser.add_argument("--skip-ours", action="store_true", help="leave out newsarchive extraction from disk")
    parser.add_argument("--scale", help="only the memory-flatness part: crawl synthetic sites of these sizes")
    parser.add_argument("--workers", type=int, help="crawl.extract_workers (default: one per core)")
    parser.add_argument("--per-sitemap", type=int, default=1000, help="URLs per synthetic child sitemap")
    parser.add_argument(
        "--py-spy", type=Path, help="sample the crawl's main process with py-spy into this file"
    )
    parser.add_argument(
        "--port", type=int, help="port of the site (default 80 when the CLI row runs, else free)"
    )
    parser.add_argument(
        "--tree", action="append", default=[], metavar="LABEL=DIR",
        help="also crawl with the newsarchive source tree in DIR (PYTHONPATH), e.g. a copy from before a change",
    )  # fmt: skip
    parser.add_argument("--keep", type=Path, help="keep the archives and outputs in this folder")
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS)
    args = parser.parse_args()
    global PER_DOMAIN
    PER_DOMAIN = args.per_domain

    entries = corpus_entries(args.corpus_dir)
    cores = os.cpu_count() or 1
    workers = args.workers or cores
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsarchive-throughput-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {cores} cores; load average at start "
          f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}; work folder {work}", flush=True)  # fmt: skip
    try:
        if args.scale:
            scale(entries, [int(n) for n in args.scale.split(",")], args, work, workers)
        else:
            compare(entries, args, work, workers, cores)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


ROWS = ("bare1", "bareN", "pipeline", "ours", "cli")


def compare(entries: list[Entry], args: argparse.Namespace, work: Path, workers: int, cores: int) -> None:
    keys = [
        k
        for k in args.rows.split(",")
        if not (k == "cli" and args.skip_cli) and not (k == "ours" and args.skip_ours)
    ]
    port = args.port if args.port is not None else (80 if "cli" in keys else 0)
    if "cli" in keys and port != 80:
        print("note: trafilatura's CLI needs the site on port 80 (its URL filter rejects an IP host with a port);"
              " CLI row skipped")  # fmt: skip
        keys.remove("cli")
    runs: dict[str, list[Row]] = {k: [] for k in keys}
    with _site(entries, args, port, work) as (base, served, exclude, jobs):
        sitemap, feed = f"{base}/sitemap.xml", f"{base}/feeds/all.rss" if args.corpus else f"{base}/feed.rss"
        print(f"site: {sitemap}, {len(jobs)} article pages; pipeline: crawls the sitemap index, download_delay 0, "
              f"autothrottle off, blocked_addresses [], {workers} extraction workers, "
              f"{'concurrent_requests_per_domain ' + str(PER_DOMAIN) + ', ' if PER_DOMAIN else ''}other crawl settings "
              f"default", flush=True)  # fmt: skip
        steps: dict[str, Callable[[int], Row]] = {
            "bare1": lambda _: pool_row("bare trafilatura, 1 process", "bare", jobs, 1, exclude),
            "bareN": lambda _: pool_row(f"bare trafilatura, {cores} processes", "bare", jobs, cores, exclude),
            "pipeline": lambda i: pipeline_row(work / f"crawl-{i}", sitemap, len(jobs), args.workers, args.py_spy),
            "ours": lambda _: pool_row(f"newsarchive extraction, {cores} processes", "ours", jobs, cores, exclude),
            # stopped after 1 s per page + 10 min: its --sitemap mode looped for ever here
            "cli": lambda i: cli_row(work / f"cli-{i}", feed if args.cli_mode == "feed" else sitemap, args.cli_mode,
                                     served, len(jobs) + 600),
        }  # fmt: skip
        for label, tree in (t.split("=", 1) for t in args.tree):
            key = f"pipeline@{label}"
            steps[key] = lambda i, label=label, tree=tree: pipeline_row(
                work / f"crawl-{label}-{i}", sitemap, len(jobs), args.workers, None, Path(tree)
            )
            keys.insert(keys.index("pipeline") + 1 if "pipeline" in keys else len(keys), key)
            runs[key] = []
        for i in range(args.repeat):
            for key in keys:
                runs[key].append(r := steps[key](i))
                print(f"  {r.name}: {r.pages} pages in {r.wall:.1f} s = {r.rate:.1f}/s, CPU {r.cpu:.1f} s, "
                      f"peak RSS {mb(r.rss)} MB, load {r.load[0]:.1f} → {r.load[1]:.1f}", flush=True)  # fmt: skip
    rows = {k: sorted(v, key=lambda r: r.rate)[len(v) // 2] for k, v in runs.items()}  # the median run
    print()
    if args.repeat > 1:
        print(f"median of {args.repeat} interleaved runs per row")
    print(table(list(rows.values())))
    print()
    for line in ratios(rows):
        print(line)
    for key, row in rows.items():
        if key.startswith("pipeline"):
            print(f"{key}: {crawl_details(row, workers)}")
    if "pipeline" in rows:
        if args.py_spy:
            seconds, shares = py_spy_shares(args.py_spy)
            print(f"pipeline reactor thread (py-spy, {seconds:.0f} s of wall time): "
                  + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))  # fmt: skip
    print(f"load average at the end {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


@contextmanager
def _site(entries: list[Entry], args: argparse.Namespace, port: int, work: Path):
    """(base URL, article pages served so far, pids to leave out of the bare rows' tree, bare jobs)"""
    if args.corpus:
        log = work / "site-requests.jsonl"
        with corpus_site(port or _free_port(), log) as (base, site_pid):
            jobs = [(str(e.file), base + e.path, f"text/html; charset={e.charset}") for e in entries]
            yield base, lambda: corpus_articles_served(log), {site_pid}, jobs
    else:
        with SyntheticSite(entries, args.pages, port, args.per_sitemap) as site:
            jobs = []
            for i in range(args.pages):
                e = entries[i % len(entries)]
                jobs.append(
                    (str(e.file), site.base + synthetic_path(i, e), f"text/html; charset={e.charset}")
                )
            yield site.base, lambda: site.articles_served, set(), jobs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scale(entries: list[Entry], sizes: list[int], args: argparse.Namespace, work: Path, workers: int) -> None:
    rows = []
    for n in sizes:
        with SyntheticSite(entries, n, args.port or 0, args.per_sitemap) as site:
            print(f"crawling a synthetic site of {n} pages at {site.base}/sitemap.xml ...", flush=True)
            row = pipeline_row(work / f"scale-{n}", f"{site.base}/sitemap.xml", n, args.workers, None,
                               progress=lambda site=site: site.articles_served)  # fmt: skip
        row.name = f"pipeline, {n} pages"
        rows.append(row)
        print(f"  {row.pages} pages in {row.wall:.0f} s = {row.rate:.1f}/s; peak RSS {mb(row.rss)} MB; {row.note}\n"
              f"  {crawl_details(row, workers)}\n  {rss_trend(row)}\n  {peaks_by_pages(row)}", flush=True)  # fmt: skip
        if args.keep is None:
            shutil.rmtree(work / f"scale-{n}", ignore_errors=True)
    print()
    print(table(rows))
    if len(rows) > 1 and rows[0].crawl and rows[-1].crawl:
        first, last = rows[0], rows[-1]
        main = last.crawl.main_rss / max(first.crawl.main_rss, 1) - 1  # type: ignore[union-attr]
        print(f"\npeak RSS growth from {first.pages} to {last.pages} pages: whole tree "
              f"{last.rss / max(first.rss, 1) - 1:+.0%}, main process {main:+.0%}")  # fmt: skip
    print(f"load average at the end {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
