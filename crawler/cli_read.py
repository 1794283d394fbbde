"""Reading the archive: list, show, search, stats, export (thin commands over ``archive.reader``
and ``archive.search``); reindex, verify and the Hugo site are in ``crawler.cli_maintain``."""

from __future__ import annotations

import contextlib
import csv
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from archive import reader, search
from archive.index import ArchiveIndex
from archive.readback import FileProblem, read_file
from archive.render import FrontMatterError, parse
from archive.store import MarkdownStore
from archive.terms import QueryError, highlights, parse_query, snippet
from crawler import readout
from crawler.cli import _first_line, _safe_url, config_option, fail, main, open_config
from crawler.config import Config

EXIT_USAGE = 2


@dataclass
class Archive:
    config: Config
    index: ArchiveIndex
    store: MarkdownStore

    def zone_for(self, source: str) -> str:
        try:
            return self.config.source(source).timezone or self.config.crawl.timezone
        except KeyError:  # a source since removed from config.yaml
            return self.config.crawl.timezone

    def relative_path(self, ref: str) -> str | None:
        """``ref`` (relative to the current folder or to the archive) as a path relative to the
        archive folder, if it names a place inside it; an existing file is preferred."""
        inside = []
        for candidate in (Path(ref), self.store.root / ref):
            path = Path(os.path.normpath(candidate.absolute()))
            if path.is_relative_to(self.store.root) and path != self.store.root:
                inside.append(path)
        existing = [p for p in inside if p.is_file()]
        chosen = (existing or inside or [None])[0]
        return chosen.relative_to(self.store.root).as_posix() if chosen else None


@contextlib.contextmanager
def archive(config_path: Path, *, must_exist: bool = True) -> Iterator[Archive]:
    """The configured archive, with database problems turned into one-line errors."""
    config = open_config(config_path)
    url = config.archive.database or ""
    shown = _safe_url(url)
    parsed = make_url(url)
    if must_exist and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            fail(f"no index at {parsed.database}: run `newsarchive crawl` to archive articles, "
                 "or `newsarchive reindex` to index the files already in the archive folder")  # fmt: skip
    try:
        index = ArchiveIndex(url)
    except SQLAlchemyError as exc:
        fail(f"cannot open the index {shown}: {_first_line(exc)}")
    try:
        yield Archive(config, index, MarkdownStore(config.archive.dir))
    except SQLAlchemyError as exc:
        fail(f"cannot read the index {shown}: {_first_line(exc)}")
    finally:
        index.close()


def _filters(arc: Archive, source: str | None, since: str | None, until: str | None,
             lang: str | None = None) -> reader.Filters:  # fmt: skip
    zone = arc.zone_for(source) if source else arc.config.crawl.timezone
    return reader.Filters(
        source=source, lang=lang, since=readout.resolve_when(since, zone),
        until=readout.resolve_when(until, zone, end=True),
    )  # fmt: skip


def filter_options(func):
    func = click.option(
        "--until", type=readout.When(), help="Only articles before DATE (a day: up to its end)."
    )(func)
    func = click.option(
        "--since", type=readout.When(), help="Only articles from DATE on (2025-02-07, 7d ago)."
    )(func)
    return click.option("--source", metavar="NAME", help="Only this source's articles.")(func)


json_option = click.option("--json", "as_json", is_flag=True, help="JSON output (one object per line).")


@main.command("list")
@config_option
@filter_options
@click.option("--lang", metavar="L", help="Only this language ('zh' also matches zh-CN).")
@click.option("--limit", type=click.IntRange(min=1), help="At most N articles.")
@click.option("--deleted", is_flag=True, help="Only articles deleted upstream (when first seen gone, how).")
@json_option
def list_articles(config_path: Path, source: str | None, since: str | None, until: str | None,
                  lang: str | None, limit: int | None, as_json: bool, deleted: bool = False) -> None:  # fmt: skip
    """List archived articles, newest first: id, date, source, title, file."""
    if deleted:
        from crawler.cli_history import list_deleted

        return list_deleted(config_path, source, limit, as_json)
    tty = sys.stdout.isatty()
    with archive(config_path) as arc, arc.index.session() as session:
        width = max((len(s.name) for s in arc.config.sources), default=8)
        count = 0
        stmt = reader.listing(_filters(arc, source, since, until, lang), limit=limit)
        for row in reader.stream(session, stmt):
            count += 1
            if as_json:
                click.echo(readout.json_line(readout.article_json(row)))
            else:
                click.echo(readout.list_line(row, arc.zone_for(row.source), tty=tty, source_width=width))
    if not count and not as_json:
        click.echo("no articles" + (" match" if source or since or until or lang else " yet"), err=True)


@main.command()
@config_option
@click.argument("ref", metavar="ID|URL|PATH")
@json_option
def show(config_path: Path, ref: str, as_json: bool) -> None:
    """Print an article's Markdown file (ID: row id, uid or a unique uid prefix of 6+ characters)."""
    with archive(config_path) as arc, arc.index.session() as session:
        try:
            row = reader.find(session, ref, arc.relative_path)
        except reader.NotFound as exc:
            path = arc.relative_path(ref)
            if path is None or not arc.store.exists(path):
                fail(f"{exc} (see `newsarchive list`)")
            row = None  # a file of the archive that is not indexed: still show it
        path = row.path if row is not None else arc.relative_path(ref) or ""
        try:
            text = arc.store.read(path)
        except OSError as exc:
            fail(f"article {row.id if row else ref}'s file {arc.store.root / path} cannot be read: "
                 f"{exc.strerror or exc} (run `newsarchive verify`)")  # fmt: skip
        if not as_json:
            click.echo(text, nl=not text.endswith("\n"))
            return
        try:
            meta, _ = parse(text)
            body = read_file(arc.store, path, arc.zone_for).article.body
        except (FrontMatterError, FileProblem) as exc:
            fail(f"{path}: {getattr(exc, 'problem', exc)}")
        data = readout.article_json(row) if row is not None else {"id": None, "path": path}
        if row is not None:  # where each version's HTTP response is kept (`newsarchive raw`)
            data["responses"] = readout.responses_json(session, row.id)
        click.echo(readout.json_line({**data, "front_matter": meta, "body": body}))


@main.command("search")
@config_option
@click.argument("query")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N results.")
@json_option
def search_articles(config_path: Path, query: str, source: str | None, since: str | None, until: str | None,
                    limit: int, as_json: bool) -> None:  # fmt: skip
    """Full-text search of titles and bodies, best first: words, "a phrase", -excluded, prefix*.

    Chinese, Japanese and Korean text is found by any part of two or more characters."""
    try:
        parsed = parse_query(query)
    except QueryError as exc:
        fail(str(exc), EXIT_USAGE)
    tty = sys.stdout.isatty()
    started = time.perf_counter()
    with archive(config_path) as arc, arc.index.session() as session:
        hits, total = search.search(session, parsed, _filters(arc, source, since, until), limit)
        elapsed = time.perf_counter() - started
        unindexed = search.missing(session) if not hits else 0
        for rank, hit in enumerate(hits, start=1):
            row = hit.article
            try:
                body = read_file(arc.store, row.path, arc.zone_for).article.body
            except FileProblem:
                body = row.description or ""
            text, spans = snippet(body, parsed)
            if as_json:
                extra = {"rank": rank, "score": round(hit.score, 6), "title_match": hit.title_match,
                         "snippet": text, "highlights": spans}  # fmt: skip
                click.echo(readout.json_line(readout.article_json(row, **extra)))
                continue
            title = readout.highlighted(row.title, highlights(row.title, parsed), tty=tty)
            date = readout.shown_date(row, arc.zone_for(row.source))
            click.echo(f"{rank}. {title}")
            click.echo(f"   {row.source} · {date} · id {row.id} · {row.path}")
            click.echo(f"   {readout.highlighted(text, spans, tty=tty)}\n")
    if not as_json:
        shown = f"{len(hits)} of {total:,}" if total > len(hits) else f"{total:,}"
        click.echo(f"{shown} result{'s' * (total != 1)} for {query!r} ({elapsed * 1000:.0f} ms)", err=True)
    if unindexed:
        click.echo(
            f"note: {_n(unindexed, 'article')} not in the search index yet: run `newsarchive reindex`",
            err=True,
        )


@main.command()
@config_option
@click.option("--chart/--no-chart", default=None, help="Per-day bar charts (default: in a terminal).")
@json_option
def stats(config_path: Path, chart: bool | None, as_json: bool) -> None:
    """Articles per source, per day (last 30 days) and per language; size on disk."""
    with archive(config_path) as arc, arc.index.session() as session:
        numbers = reader.stats(session, arc.zone_for)
        index_size = _index_size(arc)
    if as_json:
        click.echo(readout.json_line(readout.stats_json(numbers, index_size)))
        return
    chart = sys.stdout.isatty() if chart is None else chart
    for line in readout.stats_text(numbers, index_size, chart=chart):
        click.echo(line)


def _index_size(arc: Archive) -> int | None:
    url = make_url(arc.config.archive.database or "")
    if url.get_backend_name() == "sqlite" and url.database:
        files = [Path(url.database + suffix) for suffix in ("", "-wal", "-shm")]
        return sum(f.stat().st_size for f in files if f.exists())
    with arc.index.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c"
            " WHERE c.relname IN ('articles', 'article_urls', 'search_docs') AND c.relkind = 'r'"
            " AND pg_table_is_visible(c.oid)"
        ).scalar()


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' * (count != 1)}"


EXPORT_FIELDS = ["uid", "url", "title", "authors", "published", "fetched", "lang", "source", "path", "body"]


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), required=True, help="Output format.")
@filter_options
@click.option("--lang", metavar="L", help="Only this language ('zh' also matches zh-CN).")
@click.option("--plain-text", is_flag=True, help="Bodies as plain text instead of Markdown.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write to FILE (default: standard output).")  # fmt: skip
def export(config_path: Path, fmt: str, source: str | None, since: str | None, until: str | None,
           lang: str | None, plain_text: bool, output: str) -> None:  # fmt: skip
    """Export articles with their text (oldest first), streamed, for analysis."""
    from archive.article import plain_text as to_plain

    missing = 0
    with archive(config_path) as arc, arc.index.session() as session:
        try:
            out = click.open_file(output, "w", encoding="utf-8", atomic=output != "-")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
        with out:
            writer = csv.DictWriter(out, EXPORT_FIELDS, lineterminator="\n") if fmt == "csv" else None
            if writer:
                writer.writeheader()
            stmt = reader.listing(_filters(arc, source, since, until, lang), newest_first=False)
            for row in reader.stream(session, stmt):
                try:
                    body = read_file(arc.store, row.path, arc.zone_for).article.body
                except FileProblem:
                    body, missing = "", missing + 1
                record = {
                    "uid": row.uid, "url": row.url, "title": row.title, "authors": list(row.authors or []),
                    "published": readout.iso(row.published_at), "fetched": readout.iso(row.fetched_at),
                    "lang": row.lang, "source": row.source, "path": row.path,
                    "body": to_plain(body) if plain_text else body,
                }  # fmt: skip
                if writer:
                    writer.writerow({**record, "authors": "; ".join(record["authors"])})
                else:
                    out.write(readout.json_line(record) + "\n")
    if missing:
        click.echo(f"warning: {missing} article files could not be read (run `newsarchive verify`)", err=True)


from crawler import cli_maintain  # noqa: E402,F401  (registers reindex, verify, site init)
