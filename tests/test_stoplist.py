"""The jusText stopwords trafilatura falls back on are held once, and are the same words."""

from justext import core, utils
from trafilatura import external

import pipeline.extract  # noqa: F401  (compacts the list, as in every extraction worker)


def test_the_union_of_the_stoplists_is_one_lowercased_set_with_the_same_words():
    union = frozenset(
        word.lower() for language in utils.get_stoplists() for word in utils.get_stoplist(language)
    )
    assert isinstance(external.JT_STOPLIST, frozenset)
    assert external.JT_STOPLIST == union
    assert core.define_stoplist(external.JT_STOPLIST) is external.JT_STOPLIST  # no second, lowercased copy


def test_another_stoplist_is_still_lowercased_by_justext():
    assert core.define_stoplist(("The", "UND")) == frozenset({"the", "und"})
