"""Full-text search over titles and bodies, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Both databases index the tokens of :mod:`archive.terms` (words, and CJK bigrams), so a query
finds the same articles on either. Ranking: articles whose title holds every wanted term come
first, then by relevance (FTS5's bm25 with title tokens weighing ten times body tokens; on
PostgreSQL ``ts_rank`` with the title in weight class A and the body in D), then newest first.

SQLite: a contentless FTS5 table (rowid = article id) with the ``ascii`` tokenizer, which leaves
our tokens as they are; a term is an FTS5 phrase, so multi-token terms match exactly.

PostgreSQL: one row per article with a ``tsvector`` (GIN-indexed) built from our tokens, and the
token texts of title and body. A term's tokens must all be in the vector (the index lookup); a term
of several tokens is then checked as a phrase with ``strpos`` on the token text, which, unlike
tsvector positions, has no limit (positions stop at 16,383 and 256 per token). Ranking reads each
match's vector, so only the best ``RANKED`` matches (title matches first, then newest) are ranked.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Engine,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from archive.article import plain_text
from archive.models import ArticleRow
from archive.reader import Filters, article_date, conditions, run_ddl
from archive.terms import Query, Term, document

TITLE_WEIGHT = 10.0  # bm25 column weight of the title against the body's 1.0
TSVECTOR_BUDGET = 900_000  # bytes; PostgreSQL refuses a tsvector over 1 MB
MAX_POSITION = 16383
MAX_POSITIONS = 256
RANKED = 2000  # PostgreSQL: how many matches (title matches first, then newest) are ranked

_fts = table("search_fts", column("rowid", Integer))
_docs = table(
    "search_docs", column("article_id", Integer), column("title_terms"), column("body_terms"), column("doc")
)


@dataclass(frozen=True)
class Hit:
    article: ArticleRow
    score: float  # higher is better
    title_match: bool  # every wanted term is in the title


def ensure_schema(engine: Engine) -> None:
    """Create the search table (and index) if missing; the article tables must exist."""
    run_ddl(engine, _ddl(engine.dialect.name))


def _ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
            "title, body, content='', tokenize='ascii', detail='full')"
        ]
    if dialect == "postgresql":
        return [
            "CREATE TABLE IF NOT EXISTS search_docs ("
            " article_id integer PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
            " title_terms text NOT NULL, body_terms text NOT NULL, doc tsvector NOT NULL)",
            # No pending list: entries go straight into the index, or the planner, pricing a long
            # pending list, prefers a sequential scan reading every vector.
            "CREATE INDEX IF NOT EXISTS search_docs_doc ON search_docs USING gin (doc) WITH (fastupdate = off)",
        ]
    raise NotImplementedError(f"full-text search is not available on {dialect} (use SQLite or PostgreSQL)")


def reset(session: Session) -> None:
    """Empty the search index (inside the caller's transaction), e.g. before a rebuild."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("DROP TABLE IF EXISTS search_fts"))
        for statement in _ddl(dialect):
            session.execute(text(statement))
    else:
        session.execute(text("DELETE FROM search_docs"))


def optimize(session: Session) -> None:
    """After a bulk load: merge FTS5 segments (SQLite); update planner statistics (PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    else:  # planner statistics for the freshly loaded tables
        session.execute(text("ANALYZE articles, search_docs"))


def add(session: Session, article_id: int, title: str, body_markdown: str) -> None:
    """Index one article, in the caller's transaction (so the row and its search entry commit together)."""
    add_many(session, [(article_id, title, body_markdown)])


def add_many(session: Session, articles: Sequence[tuple[int, str, str]]) -> None:
    """Index (article id, title, Markdown body) triples in the caller's transaction."""
    if not articles:
        return
    params = []
    for article_id, title, body_markdown in articles:
        title_doc, body_doc = document(title), document(plain_text(body_markdown))
        params.append({"id": article_id, "title": title_doc, "body": body_doc})
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("INSERT INTO search_fts(rowid, title, body) VALUES (:id, :title, :body)"), params
        )
        return
    for p in params:
        p["doc"] = tsvector_literal(p["title"].split(), p["body"].split())
        p["title"], p["body"] = f" {p['title']} ", f" {p['body']} "
    session.execute(
        text(
            "INSERT INTO search_docs (article_id, title_terms, body_terms, doc)"
            " VALUES (:id, :title, :body, CAST(:doc AS tsvector))"
        ),
        params,
    )


def replace(session: Session, article_id: int, old: tuple[str, str], new: tuple[str, str]) -> None:
    """Re-index a revised article: ``old`` and ``new`` are (title, Markdown body). SQLite's
    contentless table can only forget a document by being told the tokens it was indexed under,
    so ``old`` must be what was indexed (the file before the revision)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', :id, :title, :body)"
            ),
            {"id": article_id, "title": document(old[0]), "body": document(plain_text(old[1]))},
        )
    else:
        session.execute(text("DELETE FROM search_docs WHERE article_id = :id"), {"id": article_id})
    add(session, article_id, *new)


def missing(session: Session) -> int:
    """How many articles have no search entry (e.g. archived before search existed)."""
    if session.get_bind().dialect.name == "sqlite":
        indexed = select(_fts.c.rowid)
    else:
        indexed = select(_docs.c.article_id)
    return session.scalar(select(func.count()).where(ArticleRow.id.not_in(indexed))) or 0


def search(
    session: Session, query: Query, filters: Filters | None = None, limit: int | None = 20
) -> tuple[list[Hit], int]:
    """The best ``limit`` hits (None: all) and how many articles match in total."""
    where = conditions(filters or Filters())
    if session.get_bind().dialect.name == "sqlite":
        stmt = _sqlite_select(query, where, limit)
    else:
        stmt = _postgres_select(query, where, limit)
    stmt = stmt.order_by(
        literal_column("title_match").desc(), literal_column("score").desc(),
        article_date().desc(), ArticleRow.id.desc(),
    ).limit(limit)  # fmt: skip
    hits, total = [], 0
    for row in session.execute(stmt):
        hits.append(Hit(row[0], float(row.score), bool(row.title_match)))
        total = row.total
    return hits, total


def _fts_term(term: Term) -> str:
    return '"' + " ".join(term.tokens) + '"' + (" *" if term.prefix else "")


def fts_query(query: Query, column_name: str | None = None) -> str:
    """The FTS5 MATCH expression: every wanted term, none of the excluded ones."""
    expr = " AND ".join(_fts_term(t) for t in query.positive)
    if column_name:
        return f"{{{column_name}}} : ({expr})"
    return expr + "".join(f" NOT {_fts_term(t)}" for t in query.negative)


def _sqlite_select(query: Query, where: list, limit: int | None) -> Select:
    """Rank narrow (id, score, title match) rows first, then fetch the articles of the best few:
    a common word matches most of the archive, and sorting whole rows would dominate the time."""
    # FTS5's bm25() cannot be evaluated next to a window function: score the matches in a CTE.
    matches = (
        select(
            _fts.c.rowid.label("id"),
            literal_column(f"-bm25(search_fts, {TITLE_WEIGHT}, 1.0)", Float).label("score"),
        )
        .where(text("search_fts MATCH :query").bindparams(query=fts_query(query)))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    in_title = select(_fts.c.rowid).where(
        text("search_fts MATCH :title_query").bindparams(title_query=fts_query(query, "title"))
    )
    title_match = matches.c.id.in_(in_title)
    ranked = select(
        matches.c.id, matches.c.score, title_match.label("title_match"), func.count().over().label("total")
    )
    if where:
        ranked = ranked.join_from(matches, ArticleRow, ArticleRow.id == matches.c.id).where(*where)
    ranked = ranked.order_by(title_match.desc(), matches.c.score.desc(), matches.c.id.desc()).limit(limit)
    best = ranked.subquery("best")
    return select(ArticleRow, best.c.score, best.c.title_match, best.c.total).join_from(
        best, ArticleRow, ArticleRow.id == best.c.id
    )


def _tsquery_term(term: Term) -> str:
    lexemes = [_lexeme(t) for t in term.tokens]
    if term.prefix:
        lexemes[-1] += ":*"
    return " & ".join(lexemes)


def _postgres_select(query: Query, where: list, limit: int | None) -> Select:
    """Matching is cheap (the GIN index), ranking is not (``ts_rank`` reads each match's vector):
    only the best RANKED candidates by title match, then date, are ranked."""
    wanted = " & ".join(f"({_tsquery_term(t)})" for t in query.positive)
    unwanted = "".join(f" & !{_tsquery_term(t)}" for t in query.negative if len(t.tokens) == 1)
    tsquery = cast(bindparam("tsquery", wanted + unwanted), TSQUERY)
    checks = [_contains(t) for t in query.positive if len(t.tokens) > 1]
    checks += [~_contains(t) for t in query.negative if len(t.tokens) > 1]
    title_match = and_(*(func.strpos(_docs.c.title_terms, t.needle) > 0 for t in query.positive))
    candidates = (
        select(
            _docs.c.article_id.label("id"), title_match.label("title_match"),
            func.count().over().label("total"),
        )
        .join_from(_docs, ArticleRow, ArticleRow.id == _docs.c.article_id)
        .where(_docs.c.doc.op("@@")(tsquery), *checks, *where)
        .order_by(title_match.desc(), article_date().desc(), ArticleRow.id.desc())
        .limit(None if limit is None else max(RANKED, limit))
        .subquery("candidates")
    )  # fmt: skip
    rank = func.ts_rank(literal_column("'{0.1, 0.2, 0.4, 1.0}'::float4[]"), _docs.c.doc, tsquery, 1)
    return (
        select(ArticleRow, rank.label("score"), candidates.c.title_match, candidates.c.total)
        .join_from(candidates, ArticleRow, ArticleRow.id == candidates.c.id)
        .join(_docs, _docs.c.article_id == candidates.c.id)
    )


def _contains(term: Term):
    return or_(
        func.strpos(_docs.c.title_terms, term.needle) > 0, func.strpos(_docs.c.body_terms, term.needle) > 0
    )


def _lexeme(token: str) -> str:
    if "'" in token or "\\" in token:
        token = token.replace("\\", "\\\\").replace("'", "''")
    return f"'{token}'"


def tsvector_literal(title: Sequence[str], body: Sequence[str]) -> str:
    """A tsvector in PostgreSQL's input syntax: title tokens in weight class A, body in D.

    At most 256 positions per token are kept and positions stop at 16,383 (PostgreSQL's limits);
    tokens stop being added when the vector nears PostgreSQL's 1 MB limit.
    """
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(itertools.chain(title, body), start=1):
        kept = positions.get(token)
        if kept is None:
            positions[token] = [i]
        elif len(kept) < MAX_POSITIONS:
            kept.append(i)
    in_title = len(title)
    parts, size = [], 0
    for token, kept in positions.items():
        size += 3 * len(token) + 8 + 2 * len(kept)
        if size > TSVECTOR_BUDGET:
            break
        if kept[0] > in_title and kept[-1] <= MAX_POSITION:  # the common case: body only
            where = ",".join(map(str, kept))
        else:
            where = ",".join([f"{min(i, MAX_POSITION)}{'A' if i <= in_title else ''}" for i in kept])
        parts.append(f"{_lexeme(token)}:{where}")
    return " ".join(parts)
