"""Shared test fixtures: a local site on 127.0.0.1, configs in tmp_path, the CLI in a subprocess,
and the index databases (SQLite always; PostgreSQL when its server is there, always under CI)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from crawler.localsite import LocalSite

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get(
    "NEWSARCHIVE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as server:
        yield server


def _postgres_problem() -> str | None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    try:
        with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
                             connect_timeout=3):  # fmt: skip
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema, dropped afterwards."""
    problem = _postgres_problem()
    if problem:
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {problem}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    connect = dict(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True
    )
    with psycopg.connect(**connect) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(**connect) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.sqlite'}"
    return request.getfixturevalue("postgres_url")


def write_config(folder: Path, sources: list[dict], *, database: str | None = None, **sections: dict) -> Path:
    """A config.yaml in ``folder`` with fast, local-friendly crawl settings."""
    crawl = {
        "download_delay": 0,
        "retry_times": 0,
        "download_timeout": 10,
        "extract_workers": 1,
        "blocked_addresses": [],
    }  # the test sites live on 127.0.0.1
    crawl.update(sections.pop("crawl", {}))
    data: dict = {"archive": {"dir": "news"}, "crawl": crawl, "sources": sources, **sections}
    if database:
        data["archive"]["database"] = database
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def newsarchive(
    *args: str, cwd: Path, timeout: float = 120, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the CLI as a user would, in its own process (Scrapy's reactor runs once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )  # fmt: skip


def html_page(title: str, body_html: str, *, head: str = "", lang: str = "en") -> str:
    """A realistic article page: navigation, the article, related links, comments and a footer."""
    return textwrap.dedent(f"""\
        <!DOCTYPE html>
        <html lang="{lang}"><head><meta charset="utf-8"><title>{title} | Test Times</title>
        <meta property="og:site_name" content="Test Times">{head}</head>
        <body><nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/tech/">Tech</a></nav>
        <article><h1>{title}</h1>{body_html}</article>
        <aside><h3>Related</h3><ul><li><a href="/other">Other story one</a></li></ul></aside>
        <section class="comments"><p>Reader comment: first!</p></section>
        <footer>© Test Times. All rights reserved.</footer></body></html>""")
