"""Provenance: ``raw`` gives back the HTTP response an article (or an earlier version of it) was
extracted from, out of the WARC files the crawl kept (see ``archive/provenance.py``)."""

from __future__ import annotations

from pathlib import Path

import click

from archive import provenance, reader, revisions
from crawler.cli import config_option, fail, main
from crawler.cli_read import archive


@main.command()
@config_option
@click.argument("ref", metavar="ID|URL|PATH")
@click.option("--version", "number", type=click.IntRange(min=1),
              help="Version of the article (see `newsarchive history`; default: the current one).")  # fmt: skip
@click.option("--headers", is_flag=True, help="Print the status line and headers instead of the body.")
@click.option("--wire", is_flag=True,
              help="The body exactly as received: still gzip/br-compressed if the server compressed it.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write to FILE (default: standard output).")  # fmt: skip
def raw(config_path: Path, ref: str, number: int | None, headers: bool, wire: bool, output: str) -> None:
    """Print the archived HTTP response body (the page as served) an article version came from."""
    with archive(config_path) as arc, arc.index.session() as session:
        try:
            row = reader.find(session, ref, arc.relative_path)
        except reader.NotFound as exc:
            fail(f"{exc} (see `newsarchive list`)")
        current = len(revisions.versions(session, row))
        number = number or current
        if number > current:
            fail(
                f"article {row.id} has {current} version(s), not {number} (see `newsarchive history {row.id}`)"
            )
        kept = {r.version: r for r in provenance.responses(session, row.id)}
        if number not in kept:
            have = ", ".join(map(str, sorted(kept))) or "none"
            fail(f"article {row.id} version {number}: no archived response (versions with one: {have}); "
                 "responses are kept when crawl.provenance is warc")  # fmt: skip
        record = kept[number]
        try:
            found = provenance.read_record(
                arc.store.root, record.warc_file, record.warc_offset, record.warc_length
            )
            if headers:
                lines = [found.status_line, *(f"{k}: {v}" for k, v in found.headers)]
                data = ("\r\n".join(lines) + "\r\n").encode("latin-1", "replace")
            else:
                data = found.wire_body if wire else found.body()
        except provenance.RecordProblem as problem:
            fail(f"article {row.id} version {number}: {problem} (run `newsarchive verify`)")
        try:
            with click.open_file(output, "wb", atomic=output != "-") as out:
                out.write(data)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
        where = f"{record.warc_file}@{record.warc_offset}"
        click.echo(f"article {row.id} version {number}: {record.url} fetched {record.fetched_at:%Y-%m-%d %H:%M:%S} "
                   f"UTC, {found.status_line}, {len(data):,} bytes, from {where}", err=True)  # fmt: skip
