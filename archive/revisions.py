"""Revisions: when a revisit finds an article's title or text changed, the earlier file is kept
under ``<folder>/.revisions/<name>/<n>.md`` (hidden folders are not articles: reindex and verify skip
them), the article's file is rewritten with the current version and a ``lastmod`` date, and a row
in ``revisions`` records when, what changed (title, body, both) and by how much.

Order for crash safety: copy of the old file, new file, then the rows in one transaction. A crash
between the two writes is recognised on the next revision (the kept copy differs from the file)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive import frontextras, search
from archive.article import Article, normalize_text, plain_text
from archive.fetchstate import FetchInfo, FetchStates
from archive.models import ArticleRow, Revision
from archive.render import Layout, parse, render
from archive.store import MarkdownStore

REVISIONS_DIR = ".revisions"


def revision_path(article_path: str, number: int) -> str:
    """``a/b/name.md`` → ``a/b/.revisions/name/<number>.md``."""
    path = PurePosixPath(article_path)
    return (path.parent / REVISIONS_DIR / path.stem / f"{number}.md").as_posix()


def body_of(file_text: str) -> tuple[str, str]:
    """(title, Markdown body without the trailing source link) of an archived file's text."""
    meta, content = parse(file_text)
    lines = content.strip().splitlines()
    if lines and lines[-1].startswith("[") and "](" in lines[-1]:
        lines = lines[:-1]
    return str(meta.get("title", "")), "\n".join(lines).strip()


@dataclass(frozen=True)
class Change:
    changed: str  # title, body, both
    added: int  # characters of reading text added ...
    removed: int  # ... and removed


def compare(old_title: str, old_body: str, new_title: str, new_body: str) -> Change | None:
    """What changed between two versions, on the reading text (not Markdown, not whitespace)."""
    title = normalize_text(old_title) != normalize_text(new_title)
    old_text, new_text = normalize_text(plain_text(old_body)), normalize_text(plain_text(new_body))
    body = old_text != new_text
    if not title and not body:
        return None
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old_text.split(), new_text.split(), autojunk=False)
    old_words, new_words = old_text.split(), new_text.split()
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed += sum(len(w) + 1 for w in old_words[i1:i2])
        if op in ("replace", "insert"):
            added += sum(len(w) + 1 for w in new_words[j1:j2])
    return Change("both" if title and body else "title" if title else "body", added, removed)


class Revisions:
    def __init__(self, store: MarkdownStore, states: FetchStates, layout: Layout):
        self.store = store
        self.states = states
        self.layout = layout

    def revise(self, row: ArticleRow, article: Article, fetch: FetchInfo | None) -> bool:
        """Keep ``article`` as the current version of ``row``; False when its text is unchanged
        (then only 'last seen' and the validators are updated)."""
        moment = datetime.now(UTC)
        if article.content_hash == row.content_hash:
            self._touch(row.id, fetch, moment)
            return False
        try:
            current = self.store.read(row.path)
            old_title, old_body = body_of(current)
        except (OSError, ValueError):
            current, old_title, old_body = None, row.title, ""
        with self.states.session() as session:
            number = (
                session.scalar(select(func.max(Revision.number)).where(Revision.article_id == row.id)) or 0
            ) + 1
        change = compare(old_title, old_body, article.title, article.body) if current is not None else None
        if current is not None and change is None:
            kept = revision_path(row.path, number)
            if not (self.store.exists(kept) and self.store.read(kept) != current):
                self._touch(row.id, fetch, moment)  # same reading text (e.g. the index was rebuilt)
                return False
            # A crash after both files were written: the file is already this version, the kept
            # copy holds the one before; finish with the rows.
            old_title, old_body = body_of(self.store.read(kept))
            change = compare(old_title, old_body, article.title, article.body)
        modified = article.modified
        if (
            modified is None
            or (row.modified_at is not None and modified <= row.modified_at)
            or modified < row.fetched_at
        ):
            modified = moment
        new = replace(article, modified=modified, revised=True)
        kept = revision_path(row.path, number)
        if current is not None:
            # A copy left by a crash after both writes differs from the file: keep it, it is the old text.
            if not (self.store.exists(kept) and self.store.read(kept) != current):
                self.store.write(kept, current)
        text = render(new, self.layout)
        size = self.store.write(row.path, frontextras.carry(current, text) if current is not None else text)
        change = change or Change("both", len(plain_text(article.body)), 0)
        with self.states.session.begin() as session:
            session.add(Revision(
                article_id=row.id, number=number, path=kept, title=old_title, content_hash=row.content_hash,
                fetched_at=row.fetched_at, replaced_at=moment, changed=change.changed,
                chars_added=change.added, chars_removed=change.removed,
            ))  # fmt: skip
            fresh = session.get(ArticleRow, row.id)
            assert fresh is not None
            fresh.title, fresh.size, fresh.content_hash = new.title, size, new.content_hash
            fresh.modified_at, fresh.fetched_at, fresh.last_seen = modified, new.fetched, moment
            fresh.description, fresh.thumbnail, fresh.authors = (
                new.description,
                new.thumbnail,
                list(new.authors),
            )
            search.replace(session, row.id, (old_title, old_body), (new.title, new.body))
            self.states.checked(session, row.id, fetch, moment)
        return True

    def _touch(self, article_id: int, fetch: FetchInfo | None, moment: datetime) -> None:
        with self.states.session.begin() as session:
            self.states.checked(session, article_id, fetch, moment)
            row = session.get(ArticleRow, article_id)
            if row is not None:
                row.last_seen = moment


# -- reading the history ------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    number: int
    path: str
    title: str
    fetched_at: datetime
    replaced_at: datetime | None  # None: the current version
    changed: str | None  # what the next version changed
    added: int
    removed: int


def versions(session: Session, row: ArticleRow) -> list[Version]:
    """Every version of an article, oldest first; the last one is the current file."""
    out = [
        Version(
            r.number, r.path, r.title, r.fetched_at, r.replaced_at, r.changed, r.chars_added, r.chars_removed
        )
        for r in session.scalars(
            select(Revision).where(Revision.article_id == row.id).order_by(Revision.number)
        )
    ]
    out.append(Version(len(out) + 1, row.path, row.title, row.fetched_at, None, None, 0, 0))
    return out


def diff(store: MarkdownStore, older: Version, newer: Version) -> list[str]:
    """A unified diff of two versions' titles and bodies (one paragraph or line per diff line)."""

    def lines(version: Version) -> list[str]:
        title, body = body_of(store.read(version.path))
        return [f"# {title}", ""] + [line for line in body.splitlines()]

    return list(
        difflib.unified_diff(
            lines(older), lines(newer), f"version {older.number}", f"version {newer.number}", lineterm=""
        )
    )
