"""Precision and recall of the syndicated-copy fingerprint (archive/similarity.py) on the shared corpus.

    .venv/bin/python benchmarks/similarity.py [--corpus-dir ../shared/corpus] [--processes 2] [--json out.json]

1. Extracts every corpus page with the pipeline (as the crawl does, no feed hints) and fingerprints the
   reading text of its body.
2. **Precision:** compares every pair of fingerprints (all of them, not only the band candidates) and
   lists the pairs at or above the threshold with their exact shingle Jaccard similarity and titles, so
   each can be judged: a true duplicate, or two different texts taken for copies. It also counts the
   pairs the banded index finds (a band equal) against all pairs over the threshold (the index's recall).
3. **Recall on made copies:** for every judgeable body, a copy with one sentence replaced (the middle
   one), and a copy with its last fifth cut (a shortened wire copy): the share detected, for our MinHash
   fingerprint and, side by side, for a 64-bit SimHash over the same shingles within Hamming distance 3.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import re
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.article import plain_text  # noqa: E402
from archive.similarity import BINS, SHINGLE, THRESHOLD, signature, tokens  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def extract(job: tuple[str, dict]) -> tuple[str, str, str, str] | None:
    """(id, publisher, title, reading text) of one corpus page, or None when nothing was extracted."""
    from pipeline import Page, SkipPage, process

    corpus_dir, entry = job
    body = gzip.decompress((Path(corpus_dir) / entry["file"]).read_bytes())
    url = "http://127.0.0.1:8765" + entry["served_path"]
    page = Page(url=url, requested_url=url, body=body, content_type=f"text/html; charset={entry.get('charset') or 'utf-8'}",
                source="corpus", timezone="UTC", lang=None, fetched=datetime.now(UTC), hints={},
                site_domains=["127.0.0.1"], via="sitemap")  # fmt: skip
    try:
        article = process(page)
    except SkipPage:
        return None
    except Exception:  # noqa: BLE001 - counted as not extracted
        return None
    publisher = entry.get("publisher") or entry["served_path"].split("/")[1]
    return entry["id"], publisher, article.title, plain_text(article.body)


def shingles(text: str) -> set[str]:
    words = tokens(text)
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def simhash(text: str) -> int:
    """64-bit SimHash over the same shingles (for comparison only)."""
    counts = [0] * 64
    for shingle in shingles(text):
        value = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            counts[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if counts[bit] > 0)


def one_sentence_changed(text: str) -> str | None:
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    if len(sentences) < 3:
        return None
    middle = len(sentences) // 2
    sentences[middle] = "This sentence was written by the outlet that republished the story, about its own readers."
    return " ".join(sentences)


def shortened(text: str) -> str:
    paragraphs = [p for p in text.split("\n") if p.strip()]
    keep = max(1, round(len(paragraphs) * 0.8))
    return "\n".join(paragraphs[:keep])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the figures and the pairs to this file")
    args = parser.parse_args()
    manifest = json.loads((args.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    started = time.monotonic()
    with ProcessPoolExecutor(args.processes) as pool:
        pages = [p for p in pool.map(extract, [(str(args.corpus_dir), e) for e in manifest], chunksize=8) if p]
    extracted_in = time.monotonic() - started
    started = time.monotonic()
    signed = [(page, signature(page[3])) for page in pages]
    fingerprint_ms = (time.monotonic() - started) / max(1, len(pages)) * 1000
    judged = [(page, sig) for page, sig in signed if sig is not None]
    print(f"{len(manifest)} corpus pages, {len(pages)} extracted ({extracted_in:.0f} s), "
          f"{len(judged)} long enough to judge; fingerprint {fingerprint_ms:.2f} ms per article")  # fmt: skip

    # -- precision: every pair ------------------------------------------------------------------
    sets = {page[0]: shingles(page[3]) for page, _ in judged}
    bands = {page[0]: sig.bands() for page, sig in judged}
    histogram: Counter[str] = Counter()
    over, over_found = [], 0
    for (a, sa), (b, sb) in itertools.combinations(judged, 2):
        estimate = sa.similarity(sb)
        histogram[f">= {int(estimate * 10) / 10:.1f}"] += 1
        if estimate >= THRESHOLD:
            found = any(x == y for x, y in zip(bands[a[0]], bands[b[0]], strict=True))
            over_found += found
            over.append({
                "a": a[0], "b": b[0], "estimate": estimate, "jaccard": round(jaccard(sets[a[0]], sets[b[0]]), 3),
                "same_publisher": a[1] == b[1], "title_a": a[2], "title_b": b[2], "band_found": found,
            })  # fmt: skip
    pairs = len(judged) * (len(judged) - 1) // 2
    print(f"\n{pairs} pairs; estimated similarity (share of {BINS} bins equal):")
    for key in sorted(histogram):
        print(f"  {key}: {histogram[key]}")
    print(f"\npairs at or above the threshold {THRESHOLD}: {len(over)} (found by the band index: {over_found})")
    for pair in sorted(over, key=lambda p: -p["estimate"]):
        print(f"  {pair['estimate']:.2f} (exact Jaccard {pair['jaccard']:.2f}, same publisher: {pair['same_publisher']})"
              f"  {pair['a']} | {pair['b']}\n      {pair['title_a'][:70]!r} | {pair['title_b'][:70]!r}")  # fmt: skip

    # -- recall on made copies --------------------------------------------------------------------
    results: dict[str, dict[str, int]] = {}
    for kind, make in (("one sentence changed", one_sentence_changed), ("last fifth cut", shortened)):
        total = minhash_hits = simhash_hits = 0
        for (page, sig) in judged:
            copy = make(page[3])
            if copy is None or copy == page[3]:
                continue
            copy_sig = signature(copy)
            total += 1
            minhash_hits += bool(copy_sig and sig.similarity(copy_sig) >= THRESHOLD)
            simhash_hits += (simhash(page[3]) ^ simhash(copy)).bit_count() <= 3
        results[kind] = {"copies": total, "minhash": minhash_hits, "simhash_k3": simhash_hits}
        print(f"\nmade copies, {kind}: {total}; detected by MinHash >= {THRESHOLD}: {minhash_hits} "
              f"({minhash_hits / max(1, total):.1%}); by SimHash-64 within 3 bits: {simhash_hits} "
              f"({simhash_hits / max(1, total):.1%})")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"pages": len(manifest), "extracted": len(pages), "judged": len(judged),
                                         "pairs": pairs, "histogram": histogram, "over_threshold": over,
                                         "made_copies": results}, indent=1, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
