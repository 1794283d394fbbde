"""Full-text search: the tokenizer and query language (pure functions), then search on SQLite and
PostgreSQL: CJK substrings of two or more characters, English words and phrases, ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from archive import search
from archive.index import ArchiveIndex
from archive.models import ArticleRow
from archive.reader import Filters
from archive.terms import QueryError, Term, parse_query, query_term, snippet, tokens
from tests.archives import ZH_BODY, build

SENTENCE = "春节至今，热度持续攀升。人工智能真正的竞争，现在才刚刚开始！東京都はカタカナで「ニュース」を配信した。서울에서"


def phrase_in(doc: list[str], term: Term) -> bool:
    """What the index does with a term: its tokens consecutive in the document's tokens."""
    n = len(term.tokens)
    for i in range(len(doc) - n + 1):
        head, last = doc[i : i + n - 1], doc[i + n - 1]
        if list(term.tokens[:-1]) == head and (
            last.startswith(term.tokens[-1]) if term.prefix else last == term.tokens[-1]
        ):
            return True
    return False


def test_cjk_runs_become_bigrams_and_words_stay_words() -> None:
    assert tokens("人工智能 DeepSeek热度, Café！ＡＩ化") == [
        "人工", "工智", "智能", "能", "deepseek", "热度", "度", "café", "ai", "化",
    ]  # fmt: skip
    assert tokens("ि हिन्दी") == ["हिन्दी"]  # combining marks belong to their word


def test_every_substring_of_cjk_text_is_found() -> None:
    doc = tokens(SENTENCE)
    for start in range(len(SENTENCE)):
        for end in range(start + 1, len(SENTENCE) + 1):
            term = query_term(SENTENCE[start:end])
            if term is not None:
                assert phrase_in(doc, term), SENTENCE[start:end]


@given(st.text(alphabet="人工智能竞争开始现在的了中国東京都カタ，。 ", min_size=1, max_size=30), st.data())
def test_substring_property(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    term = query_term(text[start:end])
    if term is not None:
        assert phrase_in(tokens(text), term)


def test_absent_text_is_not_found() -> None:
    doc = tokens(SENTENCE)
    for absent in ("能人", "始开", "智人工", "东京", "ニュー ス"):
        assert not phrase_in(doc, query_term(absent)), absent


def test_query_language() -> None:
    query = parse_query('harbour "council met" -budget sat* 智能')
    assert [(t.tokens, t.prefix, t.negated) for t in query.terms] == [
        (("harbour",), False, False), (("council", "met"), False, False), (("budget",), False, True),
        (("sat",), True, False), (("智能",), False, False),
    ]  # fmt: skip
    assert parse_query("猫").terms[0].prefix  # one CJK character: a prefix of the bigrams


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('x"y', "unbalanced quote in query 'x\"y' — close the quote or search for the words without it"),
        ("-budget", "nothing to look for in query '-budget' — add a word to find, e.g. 'harbour -council'"),
        (
            "!!! ...",
            "no words in query '!!! ...' — search for letters or digits, e.g. 'harbour' or '人工智能'",
        ),
        ("", "no words in query '' — search for letters or digits, e.g. 'harbour' or '人工智能'"),
    ],
)
def test_bad_queries_say_how_to_fix_them(query: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert str(caught.value) == message


def test_snippet_highlights_terms_in_the_original_text() -> None:
    text, spans = snippet(ZH_BODY, parse_query("朋友圈 deepseek"))
    assert [text[a:b] for a, b in spans][:2] == ["DeepSeek", "DeepSeek"]
    assert "朋友圈" in [text[a:b] for a, b in spans]
    long = "word " * 100 + "the harbour council met here " + "word " * 100
    text, spans = snippet(long, parse_query('"harbour council"'), width=60)
    assert text.startswith("…") and text.endswith("…")
    assert [text[a:b] for a, b in spans] == ["harbour council"]


@pytest.fixture
def index(tmp_path: Path, database_url: str):
    build(tmp_path, database_url)
    opened = ArchiveIndex(database_url)
    yield opened
    opened.close()


def titles(index: ArchiveIndex, query: str, filters: Filters | None = None) -> list[str]:
    with index.session() as session:
        hits, total = search.search(session, parse_query(query), filters or Filters())
    assert total == len(hits)
    return [hit.article.title for hit in hits]


AI_RACE = "人工智能真正的竞争，现在才刚刚开始"
CHONGQING = "重庆推动场景驱动产业发展"


def test_chinese_by_two_characters_title_hits_first(index: ArchiveIndex) -> None:
    assert titles(index, "智能") == [AI_RACE, CHONGQING]  # title hit, then body hit
    assert titles(index, "朋友") == [AI_RACE]
    assert titles(index, "网联汽车") == [CHONGQING]  # inside **bold** Markdown
    assert titles(index, "超算网互联网平台") == [AI_RACE]
    assert titles(index, "车能") == []  # not a substring of anything
    assert titles(index, "热度 -朋友圈") == []
    assert titles(index, "阶") == [AI_RACE]  # one character: prefix of a bigram


def test_japanese_and_mixed_scripts(index: ArchiveIndex) -> None:
    assert titles(index, "地下鉄") == ["東京都で新しい地下鉄路線が開業"]
    assert titles(index, "京都") == ["東京都で新しい地下鉄路線が開業"]
    assert titles(index, "カタカナ") == ["東京都で新しい地下鉄路線が開業"]
    assert titles(index, "１２キロ") == ["東京都で新しい地下鉄路線が開業"]  # full width folds to 12
    assert titles(index, "DeepSeek热度") == [AI_RACE]
    assert titles(index, "deepseek-r1") == [AI_RACE]


def test_english_words_phrases_and_ranking(index: ArchiveIndex) -> None:
    harbour = "Harbour plan approved after a decade of debate"
    budget = "Council budget: schools first"
    assert titles(index, "harbour") == [harbour, budget]  # title match first
    assert titles(index, "HARBOUR Debate") == [harbour]
    assert titles(index, '"council met"') == [harbour]  # the budget story has both words, apart
    assert titles(index, "council -schools") == [harbour]
    assert titles(index, "harb*") == [harbour, budget]
    assert titles(index, "harb") == []  # words are whole words
    assert titles(index, "satellite") == ["Weather satellite launched by students"]


def test_filters(index: ArchiveIndex) -> None:
    assert titles(index, "harbour", Filters(source="qq")) == []
    assert titles(index, "智能", Filters(lang="zh")) == [AI_RACE, CHONGQING]
    assert titles(index, "智能", Filters(lang="en")) == []
    with index.session() as session:
        hits, total = search.search(session, parse_query("harbour"), limit=1)
        assert (len(hits), total) == (1, 2)
        assert search.missing(session) == 0


def test_long_articles_are_searchable_to_their_end(tmp_path: Path, database_url: str) -> None:
    """PostgreSQL keeps 256 positions per token and none past 16,383; phrases must still match there."""
    from tests.archives import article

    body = "filler words again " * 8000 + "中国" * 400 + "。长江大桥今日通车。 the needle phrase ends it"
    build(tmp_path, database_url, [article("https://l.example/long", "Long read", body)])
    index = ArchiveIndex(database_url)
    try:
        for query in ('"needle phrase"', "长江大桥", "大桥今日", "中国中国", "filler"):
            assert titles(index, query) == ["Long read"], query
        assert titles(index, '"phrase needle"') == []
    finally:
        index.close()


def test_search_entry_is_written_with_the_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The row and its search entry commit together: if indexing fails, no row is left behind."""
    from archive.archiver import Archiver
    from tests.archives import sample_articles

    archiver = Archiver.open(tmp_path / "news", f"sqlite:///{tmp_path / 'index.sqlite'}")
    try:

        def broken(*args: object) -> None:
            raise RuntimeError("search index unavailable")

        monkeypatch.setattr(search, "add", broken)
        monkeypatch.setattr(search, "add_many", broken)  # (a batch's entries go in together)
        with pytest.raises(RuntimeError):
            archiver.save(sample_articles()[0])
        with archiver.index.session() as session:
            assert session.scalar(select(func.count()).select_from(ArticleRow)) == 0
    finally:
        archiver.close()


def test_replace_reindexes_a_revised_article(tmp_path: Path, database_url: str) -> None:
    build(tmp_path, database_url)
    index = ArchiveIndex(database_url)
    try:
        with index.session() as session:
            row = session.scalar(select(ArticleRow).where(ArticleRow.source == "nhk"))
            assert row is not None
        from tests.archives import JA_BODY

        with index.session.begin() as session:
            old = ("東京都で新しい地下鉄路線が開業", JA_BODY)
            search.replace(session, row.id, old, ("大阪で新線が開業", "大阪市は新しい路線を発表した。"))
        assert titles(index, "地下鉄") == []
        assert titles(index, "大阪") == [
            "東京都で新しい地下鉄路線が開業"
        ]  # the row's title is the caller's job
    finally:
        index.close()
