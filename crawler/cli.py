"""The ``newsarchive`` command. Only this module talks to people: it sets up logging, turns
errors into one-line messages and exit codes, and prints progress and summaries."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from crawler.config import Config, ConfigError, load_config

EXIT_FAILED = 1  # a source failed entirely
EXIT_CONFIG = 2  # config.yaml is broken
EXIT_INTERRUPTED = 3  # stopped by a signal before finishing

log = logging.getLogger("newsarchive")

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("NEWSARCHIVE_CONFIG", "config.yaml"), show_default="config.yaml",
    help="The configuration file (or set NEWSARCHIVE_CONFIG).",
)  # fmt: skip


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    level = (
        logging.ERROR
        if quiet
        else logging.DEBUG
        if verbose > 1
        else logging.INFO
        if verbose
        else logging.WARNING
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.setLevel(level)  # on the handler too: Scrapy resets the root logger's level
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("py.warnings").setLevel(max(level, logging.WARNING))
    for noisy in ("trafilatura", "htmldate", "courlan", "charset_normalizer", "scrapy.core.scraper"):
        logging.getLogger(noisy).setLevel(max(level, logging.ERROR))


def open_config(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)


def fail(message: str, code: int = EXIT_FAILED) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Scheduled news scraping and archiving: feeds, sitemaps and section pages become Markdown
    files with front matter, plus a searchable index."""


@main.command()
@config_option
@click.option("--source", "names", multiple=True, metavar="NAME", help="Crawl only this source (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), help="Fetch at most N new article pages per source.")
@click.option("--quiet", "-q", is_flag=True, help="No progress, only the summary and errors.")
@click.option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
@click.option(
    "--trigger", type=click.Choice(["manual", "scheduled", "catch-up"]), default="manual", hidden=True
)
def crawl(config_path: Path, names: tuple[str, ...], limit: int | None, quiet: bool, verbose: int,
          trigger: str) -> None:  # fmt: skip
    """Run a one-off crawl of every source (or those named) and archive new articles."""
    setup_logging(verbose, quiet)
    config = open_config(config_path)
    for name in names:
        try:
            config.source(name)
        except KeyError:
            known = ", ".join(s.name for s in config.sources)
            fail(f"{config_path}: no source named {name!r} (sources: {known})", EXIT_CONFIG)
    sys.exit(run_and_report(config, list(names) or None, limit=limit, quiet=quiet, trigger=trigger))


def run_and_report(config: Config, names: list[str] | None, *, limit: int | None = None, quiet: bool = False,
                   trigger: str = "manual") -> int:  # fmt: skip
    from crawler.report import Progress, summary_table
    from crawler.run import run_crawl

    progress = None if quiet else Progress(sys.stderr)
    try:
        results = run_crawl(config, names, limit=limit, trigger=trigger, progress=progress)
    except SQLAlchemyError as exc:
        fail(f"cannot use the index {_safe_url(config.archive.database)}: {_first_line(exc)}")
    except OSError as exc:
        fail(f"cannot use the archive folder {config.archive.dir}: {exc.strerror or exc}")
    if progress is not None:
        progress.done()
    click.echo(summary_table(results))
    if any(r.status == "failed" for r in results):
        return EXIT_FAILED
    if any(r.status == "interrupted" for r in results):
        return EXIT_INTERRUPTED
    return 0


@main.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="Where the demo's config.yaml and archive go.")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=8642, show_default=True,
              help="Port of the demo site on 127.0.0.1 (keep it fixed so re-runs find the same URLs).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True)
def demo(folder: Path, port: int, quiet: bool) -> None:
    """Serve the bundled demo news site on 127.0.0.1 and crawl it into DIR (no network needed)."""
    from crawler.localsite import demo_config, demo_site

    setup_logging(0, quiet)
    try:
        site = demo_site(port=port)
    except OSError as exc:
        fail(
            f"cannot serve the demo site on 127.0.0.1:{port}: {exc.strerror or exc} (try --port 0 or another port)"
        )
    with site:
        folder.mkdir(parents=True, exist_ok=True)
        config_file = folder / "config.yaml"
        config_file.write_text(demo_config(site.base_url), encoding="utf-8")
        click.echo(f"Demo site: {site.base_url}/  →  archive: {folder / 'news'}", err=True)
        code = run_and_report(open_config(config_file), None, quiet=quiet)
    click.echo(f"\nRead the archive: ls -R {folder / 'news'}   (config: {config_file})")
    sys.exit(code)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as the user wrote it, minus any password
        return url.split("@")[-1]


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


sys.modules.setdefault("crawler.cli", sys.modules[__name__])  # under `python -m`: one module, one group
import crawler.cli_history  # noqa: E402,F401  (registers history, diff)
import crawler.cli_provenance  # noqa: E402,F401  (registers raw)
import crawler.cli_read  # noqa: E402,F401  (registers list, show, search, stats, export, reindex, verify, site)
from crawler import cli_daemon  # noqa: E402,F401  (registers daemon, status, runs)

if __name__ == "__main__":
    main()
