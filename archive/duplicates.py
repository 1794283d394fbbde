"""One article, many URLs; one text, many sources.

- **Variants:** an AMP or mobile page whose ``rel=canonical`` could not be believed (or that has
  none) is still the same article as the archived main page when its URL is that page's URL with
  AMP/mobile markers, it comes from the same source, and the texts agree (same title, same text or
  near-identical text). It is then recorded as an alias, not archived twice. The reverse (the main
  page archived after such a bare AMP page) is found by the text's fingerprint: a near-identical
  text of the same source whose URL is this URL with AMP/mobile markers.
- **Syndicated copies:** the text of a new article is compared, by its similarity fingerprint
  (:mod:`archive.similarity`), with the articles of *other* sources; near-identical text is a copy
  of the first archived one. ``crawl.syndicated`` says what to do: ``link`` (no file; the copy's
  URL and source are recorded against the first article), ``keep`` (archived as its own article,
  marked as a copy) or ``skip`` (not archived). Near-identical articles of the same source are left
  alone: a follow-up or a corrected re-publication is a story of its own.
- **Front matter:** the article's other URL paths as Hugo ``aliases`` and its copies, rewritten
  when a new one is found (:mod:`archive.frontextras`).

Every URL of a linked or skipped copy leads to the first article in ``article_urls``, so later
crawls do not fetch it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from archive import frontextras
from archive.article import Article, normalize_text, plain_text
from archive.identity import clean_url, url_key
from archive.index import ArchiveIndex
from archive.models import ArticleFingerprint, ArticleRow, ArticleURL, SyndicatedCopy
from archive.similarity import BANDS, THRESHOLD, Signature, signature
from archive.store import MarkdownStore
from archive.variants import alias_paths, main_candidates

log = logging.getLogger(__name__)

MODES = ("link", "keep", "skip")
_BAND_COLUMNS = [getattr(ArticleFingerprint, f"band{n}") for n in range(BANDS)]


@dataclass(frozen=True)
class Copy:
    first: ArticleRow  # the archived article whose text this is
    similarity: float  # estimated share of shingles in common


@lru_cache(maxsize=16)
def _signature(body: str) -> Signature | None:
    return signature(plain_text(body))


def article_signature(article: Article) -> Signature | None:
    if article.signature is not None:  # computed by the extraction worker
        return Signature.from_bytes(article.signature) if article.signature else None
    return _signature(article.body)


class Duplicates:
    def __init__(self, store: MarkdownStore, index: ArchiveIndex, mode: str = "link"):
        if mode not in MODES:
            raise ValueError(f"syndicated must be one of {', '.join(MODES)}, got {mode!r}")
        self.store = store
        self.index = index
        self.mode = mode

    # -- finding -----------------------------------------------------------------------------

    def check(self, article: Article) -> tuple[ArticleRow | None, Copy | None]:
        """(the archived article this page is an AMP/mobile variant of, or None; the first
        article of another source whose text this is, or None). One indexed query on the URLs
        when the URL has AMP/mobile markers, one on the fingerprint's bands."""
        same = self._main_page(article)
        if same is not None:
            return same, None
        ours = article_signature(article)
        if ours is None:
            return None, None
        with self.index.session() as session:
            found = session.execute(
                select(ArticleFingerprint.article_id, ArticleFingerprint.source, ArticleFingerprint.signature)
                .where(or_(*(column == band for column, band in zip(_BAND_COLUMNS, ours.bands(), strict=True))))
            ).all()  # fmt: skip
            near = sorted(
                (article_id, source, similarity)
                for article_id, source, data in found
                if (similarity := ours.similarity(Signature.from_bytes(data))) >= THRESHOLD
            )
            url = clean_url(article.url)
            for article_id, source, _ in near:  # a bare AMP/mobile page of this main page, archived first
                row = session.get(ArticleRow, article_id) if source == article.source else None
                if row is not None and url in main_candidates(row.url):
                    return row, None
            other = next(((i, s) for i, source, s in near if source != article.source), None)
            if other is None:
                return None, None
            first_id = session.scalar(
                select(SyndicatedCopy.article_id).where(SyndicatedCopy.copy_id == other[0])
            )
            row = session.get(ArticleRow, first_id or other[0])  # a kept copy's original, if any
            return None, Copy(row, other[1]) if row is not None else None

    def _main_page(self, article: Article) -> ArticleRow | None:
        """The archived main page of the same source whose AMP or mobile variant this page is, by
        its URL, when their texts agree (same text, same title or near-identical text)."""
        urls = {*main_candidates(article.url), *main_candidates(article.fetched_url)}
        if not urls:
            return None
        with self.index.session() as session:
            rows = session.scalars(
                select(ArticleRow).join(ArticleURL)
                .where(ArticleURL.url_key.in_([url_key(u) for u in urls]), ArticleRow.source == article.source)
                .order_by(ArticleRow.id)
            ).unique().all()  # fmt: skip
            for row in rows:
                if self._same_text(session, row, article):
                    return row
        return None

    def _same_text(self, session: Session, row: ArticleRow, article: Article) -> bool:
        if row.content_hash == article.content_hash:
            return True
        if normalize_text(row.title) == normalize_text(article.title):
            return True
        ours = article_signature(article)
        stored = session.get(ArticleFingerprint, row.id)
        return bool(ours and stored) and ours.similarity(Signature.from_bytes(stored.signature)) >= THRESHOLD

    # -- recording ---------------------------------------------------------------------------

    def fingerprint(self, article_id: int, article: Article) -> None:
        """Store (or replace) the article's fingerprint; nothing for a text too short to judge."""
        with self.index.session.begin() as session:
            store_fingerprint(session, article_id, article)

    def record_copy(self, copy: Copy, article: Article, mode: str, copy_id: int | None = None) -> None:
        """Note a copy of ``copy.first``: under link and skip every URL of the copy leads to the
        first article (seen: not fetched again); under link its front matter lists the copy."""
        with self.index.session.begin() as session:
            if copy_id is None:
                for url in dict.fromkeys([article.url, article.fetched_url, *article.aliases]):
                    if session.get(ArticleURL, url_key(url)) is None:
                        session.add(ArticleURL(url_key=url_key(url), url=url, article_id=copy.first.id))
            if (
                session.scalar(
                    select(SyndicatedCopy.id).where(SyndicatedCopy.url_key == url_key(article.url))
                )
                is None
            ):
                session.add(SyndicatedCopy(
                    article_id=copy.first.id, copy_id=copy_id, url_key=url_key(article.url), url=article.url,
                    source=article.source, title=article.title, similarity=round(copy.similarity, 3), mode=mode,
                    found_at=datetime.now(UTC),
                ))  # fmt: skip
        if mode == "link":
            self.refresh(copy.first.id)

    # -- front matter ------------------------------------------------------------------------

    def extras_for_new(self, article: Article, copy: Copy | None) -> frontextras.Extras:
        """The extras of a file about to be written."""
        return frontextras.Extras(
            aliases=alias_paths(article.url, [article.fetched_url, *article.aliases]),
            syndicated_from=copy.first.url if copy is not None else None,
        )

    def extras(self, session: Session, row: ArticleRow) -> frontextras.Extras:
        copies = session.scalars(
            select(SyndicatedCopy).where(SyndicatedCopy.article_id == row.id).order_by(SyndicatedCopy.id)
        ).all()
        not_ours = {c.url_key for c in copies}
        urls = [u for k, u in session.execute(select(ArticleURL.url_key, ArticleURL.url)
                                             .where(ArticleURL.article_id == row.id)) if k not in not_ours]  # fmt: skip
        first = session.scalar(
            select(ArticleRow.url).join(SyndicatedCopy, SyndicatedCopy.article_id == ArticleRow.id)
            .where(SyndicatedCopy.copy_id == row.id)
        )  # fmt: skip
        return frontextras.Extras(
            aliases=alias_paths(row.url, urls),
            syndicated_from=first,
            copies=[(c.source, c.url) for c in copies if c.mode == "link"],
        )

    def refresh(self, article_id: int) -> None:
        """Rewrite the article's front-matter extras when the index knows more than the file says
        (atomically; not a revision: the text did not change)."""
        with self.index.session() as session:
            row = session.get(ArticleRow, article_id)
            if row is None or not self.store.exists(row.path):
                return
            extras = self.extras(session, row)
        text = self.store.read(row.path)
        updated = frontextras.apply(text, extras)
        if updated == text:
            return
        self.index.set_size(article_id, self.store.write(row.path, updated))
        log.debug("updated the aliases and copies of %s", row.path)


def fingerprint_values(article_id: int, article: Article) -> dict | None:
    """The ``article_fingerprints`` row of an article; None for a text too short to judge."""
    sig = article_signature(article)
    if sig is None:
        return None
    bands = {f"band{n}": value for n, value in enumerate(sig.bands())}
    return {"article_id": article_id, "source": article.source, "signature": sig.to_bytes(), **bands}


def store_fingerprint(session: Session, article_id: int, article: Article) -> None:
    session.execute(delete(ArticleFingerprint).where(ArticleFingerprint.article_id == article_id))
    values = fingerprint_values(article_id, article)
    if values is not None:
        session.execute(insert(ArticleFingerprint), [values])
