"""The revisit policy: which archived articles a crawl fetches again (to catch edits and deletions),
and how a revisit's answer is read (gone upstream, or a transient failure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from archive.fetchstate import Due, FetchStates, Validators
from crawler.config import RevisitConfig, SourceConfig


def is_due(
    first_seen: datetime,
    checked_at: datetime | None,
    now: datetime,
    every_run_for: float,
    at: Sequence[float],
) -> bool:
    """Due on every run while the article is younger than ``every_run_for`` seconds; after that once
    each time its age passes one of ``at`` (seconds) since it was last checked; never after the last."""
    age = (now - first_seen).total_seconds()
    if age < every_run_for:
        return True
    last = checked_at or first_seen
    return any(last < first_seen + timedelta(seconds=mark) <= now for mark in at)


def horizon(policy: RevisitConfig) -> float:
    """Articles older than this (seconds) are never revisited."""
    return max([policy.every_run_for, *policy.at], default=0.0)


def due_articles(states: FetchStates, source: str, policy: RevisitConfig, now: datetime) -> list[Due]:
    limit = horizon(policy)
    if limit <= 0:
        return []
    rows = states.candidates(source, now - timedelta(seconds=limit))
    due = [
        (article_id, url)
        for article_id, url, first_seen, checked in rows
        if is_due(first_seen, checked, now, policy.every_run_for, policy.at)
    ]
    validators = states.article_validators(i for i, _ in due)
    return [Due(i, url, validators.get(i) or Validators()) for i, url in due]


def gone_status(status: int) -> str | None:
    """'404' / '410' for an answer that means the page was removed; None for anything else."""
    return str(status) if status in (404, 410) else None


def is_listing_redirect(source: SourceConfig, requested: str, final: str) -> bool:
    """Did a redirect from an article land on the home page or a section page (the usual way a
    removed article is retired)? A move to another article URL is not a deletion."""
    if final == requested:
        return False
    path = urlsplit(final).path.rstrip("/")
    if path in ("", "/index.html", "/index.htm", "/index.php"):
        return True
    sections = {u.rstrip("/") for u in source.start_urls}
    if final.rstrip("/") in sections:
        return True
    if source.allow_re:
        return not any(p.search(final) for p in source.allow_re)
    from crawler.spiders import looks_like_article  # (spiders imports this module)

    return not looks_like_article(final)
