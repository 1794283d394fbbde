"""jusText's stopwords for pages of unknown language, held once per extraction worker.

trafilatura's second opinion on a body, jusText, classifies paragraphs by their share of stopwords.
The pipeline does not tell trafilatura the page's language (with one, trafilatura would also filter
pages by it), so trafilatura uses the union of jusText's ~100 lists. It keeps that union as a tuple
of ~154,000 words, and jusText lowercases the tuple into a frozenset of new strings, which it
caches: two copies, about 27 MB of Python objects in every worker. jusText also hashes the whole
tuple on every page to find its cached set.

Here the union is built once, lowercased, as one frozenset, and jusText is handed that set as it
is. The words, and so every body, are the same (checked on all 1,021 pages of the shared corpus).
One worker over the corpus settled at 89 MB instead of 103 MB (see the README's Performance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def compact_justext_stoplist() -> None:
    """Replace trafilatura's union of jusText's stoplists by one lowercased frozenset (idempotent).
    If jusText or trafilatura no longer have the names this relies on, nothing is changed."""
    from justext import core, utils
    from trafilatura import external

    if not hasattr(external, "JT_STOPLIST") or isinstance(external.JT_STOPLIST, frozenset):
        return  # a trafilatura without it, or done already
    if not all(
        callable(getattr(module, name, None))
        for module, name in ((core, "define_stoplist"), (utils, "get_stoplists"), (utils, "get_stoplist"))
    ):
        return
    words = frozenset(
        word.lower() for language in utils.get_stoplists() for word in utils.get_stoplist(language)
    )
    core.define_stoplist = _define_stoplist(core.define_stoplist, words)
    external.JT_STOPLIST = words


def _define_stoplist(
    original: Callable[[Any], frozenset[str]], words: frozenset[str]
) -> Callable[[Any], frozenset[str]]:
    def define_stoplist(stoplist: Any) -> frozenset[str]:
        return words if stoplist is words else original(stoplist)

    return define_stoplist
