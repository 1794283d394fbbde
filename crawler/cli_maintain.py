"""Keeping the index true to the files (reindex, verify) and a Hugo site over the archive."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from archive.rebuild import reindex, verify
from archive.site import MAINROAD_GIT, SiteExists, init_site
from crawler.cli import config_option, fail, main, open_config
from crawler.cli_read import _n, archive


@main.command("reindex")
@config_option
@click.option("--quiet", "-q", is_flag=True, help="No progress, only the summary and errors.")
def reindex_command(config_path: Path, quiet: bool) -> None:
    """Rebuild the index (rows and search) from the Markdown files, which are the archive."""
    started = time.perf_counter()
    progress = None
    if not quiet and sys.stderr.isatty():

        def progress(n: int) -> None:
            click.echo(f"\r{n:,} files…", nl=False, err=True)

    config = open_config(config_path)
    if not config.archive.dir.is_dir():
        fail(f"no archive folder {config.archive.dir} (see archive.dir in {config.path})")
    with archive(config_path, must_exist=False) as arc:
        report = reindex(arc.index, arc.store, arc.zone_for, progress)
    if progress:
        click.echo("\r", nl=False, err=True)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(
        f"reindexed {_n(report.files, 'file')} in {time.perf_counter() - started:.1f} s: "
        f"{_n(report.added, 'row')} added, {report.updated:,} updated, {report.removed:,} removed (no file); "
        "search index rebuilt"
        + (f"; {_n(len(report.problems), 'file')} not indexed (see above)" if report.problems else "")
    )
    sys.exit(1 if report.problems else 0)


@main.command("verify")
@config_option
def verify_command(config_path: Path) -> None:
    """Check that the files and the index agree; exit 1 when they do not."""
    with archive(config_path) as arc:
        report = verify(arc.index, arc.store, arc.zone_for)
    for problem in report.unreadable:
        click.echo(f"unreadable file: {problem.path}: {problem.problem}")
    for path in report.files_without_rows:
        click.echo(f"file without row: {path}")
    for row_id, path in report.rows_without_files:
        click.echo(f"row without file: {path} (id {row_id})")
    for path in report.changed:
        click.echo(f"file changed since indexed: {path}")
    for path in report.temporaries:
        click.echo(f"leftover temporary file: {path}")
    for problem in report.responses:
        click.echo(f"archived response: {problem}")
    if report.not_searchable:
        click.echo(f"articles missing from the search index: {report.not_searchable:,}")
    summary = f"{_n(report.files, 'file')}, {_n(report.rows, 'row')}"
    if report.ok:
        click.echo(f"ok: {summary}, all consistent")
        return
    click.echo(f"{summary}: problems found; `newsarchive reindex` rebuilds the index from the files "
               "(fix or remove unreadable files first; temporary files are left by interrupted writes)")  # fmt: skip
    sys.exit(1)


@main.group()
def site() -> None:
    """A Hugo site for reading the archive in a browser."""


@site.command("init")
@config_option
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="News archive", show_default=True, help="The site's title.")
@click.option(
    "--base-url", default="http://localhost:1313/", show_default=True, help="Where the site is served."
)
@click.option("--relative", is_flag=True, help="Point contentDir at the archive by a relative path.")
@click.option("--force", is_flag=True, help="Overwrite the site's config and layouts if they exist.")
def site_init(
    config_path: Path, folder: Path, title: str, base_url: str, relative: bool, force: bool
) -> None:
    """Scaffold a Hugo site in DIR whose content is the archive folder."""
    config = open_config(config_path)
    try:
        init_site(folder, config.archive.dir, title=title, base_url=base_url, zone=config.crawl.timezone,
                  relative=relative, force=force)  # fmt: skip
    except SiteExists as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the site into {folder}: {exc.strerror or exc}")
    click.echo(f"Hugo site in {folder} (content: {config.archive.dir})")
    click.echo(f"  preview:  cd {folder} && hugo server   (then open {base_url})")
    click.echo(f"  theme:    git clone {MAINROAD_GIT} {folder / 'themes' / 'mainroad'}")
