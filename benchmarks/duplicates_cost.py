"""What the duplicate checks cost a save: Archiver.save of N made-up articles (~450 words each, three
sources) into SQLite, side by side with the checks stubbed out, alternating, twice each.

    .venv/bin/python benchmarks/duplicates_cost.py [--articles 150]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# this folder's incremental.py would shadow the package of that name that Twisted imports
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "benchmarks"]

from archive.archiver import Archiver  # noqa: E402
from tests.archives import article  # noqa: E402
from tests.test_duplicates import md, paragraphs  # noqa: E402


def run(texts: list[str], checks: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        archiver = Archiver.open(Path(folder) / "news", f"sqlite:///{folder}/news/index.sqlite")
        if not checks:
            archiver.duplicates.check = lambda item: (None, None)
            archiver.duplicates.fingerprint = lambda article_id, item: None
        started = time.perf_counter()
        for i, text in enumerate(texts):
            archiver.save(article(f"https://x.example.org/story-{i}", f"Story {i}", text, source=f"s{i % 3}"))
        elapsed = time.perf_counter() - started
        archiver.close()
    return elapsed / len(texts) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=150)
    args = parser.parse_args()
    texts = [md(paragraphs(1000 + i, 12)) for i in range(args.articles)]
    for checks in (False, True, False, True):
        print(f"{'with' if checks else 'without'} duplicate checks: {run(texts, checks):.1f} ms per save")


if __name__ == "__main__":
    main()
