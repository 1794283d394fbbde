"""Search terms: how titles, bodies and queries become the tokens the search index stores.

One tokenizer for every database, so SQLite and PostgreSQL index exactly the same tokens:

- text is NFKC-normalized and case-folded (full-width letters, half-width kana and case all fold);
- a *word* is a run of letters, digits and combining marks outside the CJK scripts;
- a run of Chinese, Japanese or Korean characters becomes its overlapping *bigrams* plus its last
  character: ``人工智能`` → ``人工 工智 智能 能`` (a lone character is kept as it is).

A CJK query term of two or more characters is then the phrase of its bigrams, which matches exactly
where the term is a substring of a run, at the price of one index lookup per bigram; a one-character
term is a prefix query (``猫*`` finds every bigram starting with it, and the trailing character).

The query language: words (all must appear), ``"quoted phrases"``, ``-word`` / ``-"phrase"`` to
exclude, ``word*`` for a prefix. Anything else is not syntax: punctuation separates words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Han (with extensions and compatibility ideographs), kana, Hangul, Bopomofo, 々〆〇.
_CJK_BMP = (
    "\u1100-\u11ff\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3040-\u309f\u30a0-\u30ff\u3100-\u312f"
    "\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af"
    "\ud7b0-\ud7ff\uf900-\ufaff"
)
_CJK_RANGES = _CJK_BMP + "\U0001b000-\U0001b16f\U00020000-\U0002fa1f\U00030000-\U0003134f"


def _mark_ranges() -> list[tuple[int, int]]:
    """Combining marks (Unicode categories M*), as (first, last) code points: they belong to words."""
    ranges: list[tuple[int, int]] = []
    for code in [*range(0x300, 0x20000), *range(0xE0100, 0xE01F0)]:
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


def _class_body(ranges: list[tuple[int, int]]) -> str:
    """(first, last) code point ranges as a character-class body."""
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
    )


_MARK_RANGES = _mark_ranges()
_MARKS = _class_body(_MARK_RANGES)
_WORD_CHAR = rf"[^\W_{_CJK_RANGES}]"
_WORD = rf"{_WORD_CHAR}(?:{_WORD_CHAR}|[{_MARKS}])*"
_CJK_RUN = rf"[{_CJK_RANGES}]+"
_PIECE = re.compile(rf"({_CJK_RUN})|({_WORD})")
_IS_CJK = re.compile(rf"[{_CJK_RANGES}]")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _pieces(normal: str) -> list[tuple[bool, str]]:
    """(is_cjk, text) for each word or CJK run of a normalized text (``normalize``), in order."""
    return [(bool(cjk), cjk or word) for cjk, word in _PIECE.findall(normal)]


# Most text has no CJK character and no combining mark left after NFKC: its tokens are then its runs
# of word characters, found by a far simpler pattern than _PIECE. Classes of characters below U+10000
# only, which the regex engine tests with a bitmap; any character above sends the text the long way.
_BMP_MARKS = _class_body([(a, min(b, 0xFFFF)) for a, b in _MARK_RANGES if a <= 0xFFFF])
_SPECIAL = re.compile(f"[{_CJK_BMP}{_BMP_MARKS}]|[\U00010000-\U0010ffff]")
_PLAIN_WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """The tokens a title or body is indexed under."""
    normal = normalize(text)
    if not _SPECIAL.search(normal):
        return _PLAIN_WORD.findall(normal)
    out: list[str] = []
    for is_cjk, piece in _pieces(normal):
        if not is_cjk or len(piece) == 1:
            out.append(piece)
        else:
            out.extend([piece[i : i + 2] for i in range(len(piece) - 1)])
            out.append(piece[-1])
    return out


def document(text: str) -> str:
    """A title or body as the space-separated token text the index stores."""
    return " ".join(tokens(text))


# -- queries ----------------------------------------------------------------------------------------


class QueryError(ValueError):
    """A search query that cannot be run; the message says how to fix it."""

    def __init__(self, query: str, problem: str, fix: str):
        self.query, self.problem, self.fix = query, problem, fix
        super().__init__(f"{problem} in query {query!r} — {fix}")


@dataclass(frozen=True)
class Term:
    """One query term: a word or a phrase, as the sequence of index tokens it must match."""

    text: str  # as typed (without quotes, '-' or '*')
    tokens: tuple[str, ...]
    prefix: bool = False  # the last token may be the start of a longer token
    negated: bool = False

    @property
    def needle(self) -> str:
        """The term as a substring of an index token text padded with spaces."""
        inner = " ".join(self.tokens)
        return f" {inner}" if self.prefix else f" {inner} "


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[Term, ...] = field(default_factory=tuple)

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)


_QUERY_PART = re.compile(r'(-?)(?:"([^"]*)"(\*?)|([^\s"]+))')


def parse_query(text: str) -> Query:
    """Parse what the user typed; raises QueryError with a fix for what cannot be searched."""
    if text.count('"') % 2:
        raise QueryError(text, "unbalanced quote", "close the quote or search for the words without it")
    terms = []
    for match in _QUERY_PART.finditer(text):
        minus, phrase, star, bare = match.groups()
        raw = phrase if phrase is not None else bare
        prefix = bool(star) or (bare is not None and bare.endswith("*"))
        raw = raw.rstrip("*") if bare is not None else raw
        term = query_term(raw, prefix=prefix, negated=bool(minus))
        if term is not None:
            terms.append(term)
    query = Query(text, tuple(terms))
    if not query.positive:
        if query.negative:
            raise QueryError(text, "nothing to look for", "add a word to find, e.g. 'harbour -council'")
        raise QueryError(text, "no words", "search for letters or digits, e.g. 'harbour' or '人工智能'")
    return query


def query_term(text: str, *, prefix: bool = False, negated: bool = False) -> Term | None:
    """The tokens a word or phrase of a query must match, in order, or None if it has none.

    A CJK run at the end of the term may continue in the text, so it contributes only its bigrams
    (or, for one character, a prefix); elsewhere it ends where the text's run ends, so it also
    contributes its trailing character, like the document tokenizer.
    """
    pieces = _pieces(normalize(text))
    out: list[str] = []
    last_is_prefix = False
    for i, (is_cjk, piece) in enumerate(pieces):
        last = i == len(pieces) - 1
        if not is_cjk or len(piece) == 1:
            out.append(piece)
            last_is_prefix = last and (prefix or is_cjk)
        else:
            out.extend(piece[j : j + 2] for j in range(len(piece) - 1))
            if not last:
                out.append(piece[-1])
    if not out:
        return None
    return Term(text=text, tokens=tuple(out), prefix=last_is_prefix, negated=negated)


# -- highlighting -----------------------------------------------------------------------------------


def highlighter(query: Query) -> re.Pattern[str] | None:
    """A pattern matching, in the original text, where the query's wanted terms occur."""
    alternatives = []
    for term in sorted(query.positive, key=lambda t: -len(t.text)):
        pieces = _pieces(term.text)
        if not pieces:
            continue
        parts = []
        for i, (is_cjk, piece) in enumerate(pieces):
            if i:
                parts.append(r"[\W_]+" if not is_cjk and not pieces[i - 1][0] else r"[\W_]*")
            if is_cjk:
                parts.append(re.escape(piece))
            else:
                tail = rf"{_WORD_CHAR}*" if term.prefix and i == len(pieces) - 1 else rf"(?!{_WORD_CHAR})"
                parts.append(rf"(?<!{_WORD_CHAR}){re.escape(piece)}{tail}")
        alternatives.append("".join(parts))
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def highlights(text: str, query: Query) -> list[tuple[int, int]]:
    """The spans of ``text`` where the query's wanted terms occur."""
    pattern = highlighter(query)
    return [m.span() for m in pattern.finditer(text) if m.end() > m.start()] if pattern else []


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def snippet(text: str, query: Query, width: int = 160) -> tuple[str, list[tuple[int, int]]]:
    """About ``width`` terminal columns of ``text`` where the most different wanted terms occur
    (the first such place), and the spans of the hits in it."""
    text = " ".join(text.split())
    pattern = highlighter(query)
    hits = [m for m in pattern.finditer(text) if m.end() > m.start()][:200] if pattern else []
    best, cluster_end = _best_hit(text, hits, width)
    start = 0
    if best is not None and display_width(text[:cluster_end]) > width - 2:
        start = best.start()
        while start > 0 and display_width(text[start - 1 : best.start()]) <= width // 4:
            start -= 1
        space = text.rfind(" ", start, best.start())
        if space != -1 and best.start() - space < 30:
            start = space + 1
    end, used = start, 0
    while end < len(text) and used < width:
        used += display_width(text[end])
        end += 1
    if end < len(text):  # end on a word boundary where the text has spaces
        space = text.rfind(" ", start, end)
        if space > max(start, end - 20):
            end = space
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    spans = [(m.start() + shift, m.end() + shift) for m in hits if m.start() >= start and m.end() <= end]
    return prefix + text[start:end] + suffix, spans


def _best_hit(text: str, hits: list[re.Match[str]], width: int) -> tuple[re.Match[str] | None, int]:
    """The hit that starts the window holding the most different terms, and that window's last hit's end."""
    best, most, best_end = None, 0, 0
    for i, hit in enumerate(hits):
        seen, end = set(), hit.end()
        for other in hits[i:]:
            if display_width(text[hit.start() : other.end()]) > width * 3 // 4:
                break
            seen.add(other.group().casefold())
            end = other.end()
        if len(seen) > most:
            best, most, best_end = hit, len(seen), end
    return best, best_end
