"""An article's history: ``history`` lists its versions, ``diff`` shows what changed between two."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive import reader, revisions
from archive.render import local_time
from crawler.cli import config_option, fail, main
from crawler.cli_read import archive


@main.command()
@config_option
@click.argument("ref", metavar="ID|URL|PATH")
def history(config_path: Path, ref: str) -> None:
    """List the versions of an article, oldest first (the last one is the current file)."""
    with archive(config_path) as arc, arc.index.session() as session:
        try:
            row = reader.find(session, ref, arc.relative_path)
        except reader.NotFound as exc:
            fail(f"{exc} (see `newsarchive list`)")
        zone = arc.zone_for(row.source)
        found = revisions.versions(session, row)
        for v in found:
            change = f"{v.changed:<5} +{v.added}/-{v.removed} chars" if v.changed else "current"
            fetched = local_time(v.fetched_at, zone)
            click.echo(f"{v.number:>3}  {fetched}  {change:<24}  {v.title}  {v.path}")
        click.echo(f"{len(found)} version(s) of article {row.id}", err=True)


@main.command()
@config_option
@click.argument("ref", metavar="ID|URL|PATH")
@click.option(
    "--from",
    "older",
    type=click.IntRange(min=1),
    help="Version to compare from (default: the one before --to).",
)
@click.option(
    "--to", "newer", type=click.IntRange(min=1), help="Version to compare to (default: the current one)."
)
def diff(config_path: Path, ref: str, older: int | None, newer: int | None) -> None:
    """Print a unified diff of an article's title and text between two versions."""
    with archive(config_path) as arc, arc.index.session() as session:
        try:
            row = reader.find(session, ref, arc.relative_path)
        except reader.NotFound as exc:
            fail(f"{exc} (see `newsarchive list`)")
        found = revisions.versions(session, row)
        newer = newer or len(found)
        older = older or max(newer - 1, 1)
        for n in (older, newer):
            if n > len(found):
                fail(
                    f"article {row.id} has {len(found)} version(s), not {n} (see `newsarchive history {row.id}`)"
                )
        if len(found) == 1:
            click.echo(f"article {row.id} has one version: nothing to compare", err=True)
            return
        try:
            lines = revisions.diff(arc.store, found[older - 1], found[newer - 1])
        except OSError as exc:
            fail(f"a version of article {row.id} cannot be read: {exc} (run `newsarchive verify`)")
        color = sys.stdout.isatty()
        for line in lines:
            if color and line[:1] in "+-" and not line.startswith(("+++", "---")):
                line = click.style(line, fg="green" if line[0] == "+" else "red")
            click.echo(line)
        if not lines:
            click.echo(f"versions {older} and {newer} have the same text", err=True)


def list_deleted(config_path: Path, source: str | None, limit: int | None, as_json: bool) -> None:
    """``list --deleted``: articles deleted upstream, most recently gone first."""
    from archive.fetchstate import FetchStates
    from crawler import readout

    with archive(config_path) as arc, arc.index.session() as session:
        rows = [
            (a, c)
            for a, c in FetchStates(arc.index.session).deleted(session)
            if not source or a.source == source
        ]
        for article, check in rows[:limit]:
            if as_json:
                data = readout.article_json(article) | {
                    "gone_since": check.gone_first_seen.isoformat() if check.gone_first_seen else None,
                    "gone_status": check.gone_status,
                    "deleted_at": check.deleted_at.isoformat() if check.deleted_at else None,
                }
                click.echo(readout.json_line(data))
            else:
                since = (
                    local_time(check.gone_first_seen, arc.zone_for(article.source))
                    if check.gone_first_seen
                    else "?"
                )
                click.echo(
                    f"{article.id:>6}  gone since {since} ({check.gone_status})  {article.source}  {article.title}  {article.path}"
                )
        if not rows and not as_json:
            click.echo("no articles deleted upstream", err=True)
