"""A similarity fingerprint of an article's reading text, for finding the same wire story
published by another source (a new headline, other page chrome, a sentence changed).

The fingerprint is a MinHash signature made with one-permutation hashing: the text's shingles
(three consecutive words; in Chinese, Japanese or Korean text each character counts as a word)
are hashed once to 64 bits, the top bits pick one of ``BINS`` bins and each bin keeps its smallest
hash. Two texts share a bin's minimum with a probability equal to their shingles' Jaccard
similarity, so the share of equal bins estimates it. ``BANDS`` band values (a hash of
``ROWS`` consecutive bins each) are stored in indexed columns: a text whose band equals a stored
one is a candidate, found with an indexed query; candidates are then compared bin by bin.

Why not a 64-bit SimHash within Hamming distance 3: each SimHash bit differs with probability
angle/pi, and one changed sentence in a 400-word story (about 96% of shingles shared) already
flips about 5 of 64 bits, so the copy would be missed; MinHash estimates the shared share
directly (see ``benchmarks/similarity.py``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

BINS = 32
ROWS = 4  # bins per band
BANDS = BINS // ROWS  # 8: a copy sharing 90% of its shingles shares a band with probability > 0.999
SHINGLE = 3  # words (or CJK characters) per shingle
MIN_SHINGLES = 80  # fewer: too short to judge (a brief, a caption, a paywall teaser)
THRESHOLD = 0.7  # estimated Jaccard similarity from which a text is a copy (23 of 32 bins equal)

_VALUE_BITS = 64 - 5  # the top 5 bits of a shingle's hash choose its bin (BINS = 32)
_EMPTY = (1 << _VALUE_BITS) - 1
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


@dataclass(frozen=True)
class Signature:
    mins: tuple[int, ...]  # BINS values of 59 bits

    def similarity(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two texts' shingles (0 to 1)."""
        return sum(a == b for a, b in zip(self.mins, other.mins, strict=True)) / BINS

    def bands(self) -> list[int]:
        """BANDS signed 64-bit values (they fit a BIGINT column on SQLite and PostgreSQL)."""
        out = []
        for band in range(BANDS):
            rows = self.mins[band * ROWS : (band + 1) * ROWS]
            data = band.to_bytes(1, "big") + b"".join(v.to_bytes(8, "big") for v in rows)
            out.append(int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True))
        return out

    def to_bytes(self) -> bytes:
        return b"".join(v.to_bytes(8, "big") for v in self.mins)

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        return cls(tuple(int.from_bytes(data[i : i + 8], "big") for i in range(0, BINS * 8, 8)))


def tokens(text: str) -> list[str]:
    """Words, and single CJK characters, of ``text`` (case and width folded)."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def signature(text: str) -> Signature | None:
    """The text's fingerprint, or None when it has too few shingles to judge."""
    words = tokens(text)
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    if len(shingles) < MIN_SHINGLES:
        return None
    mins = [_EMPTY] * BINS
    for shingle in shingles:
        value = int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")
        slot, rest = value >> _VALUE_BITS, value & _EMPTY
        if rest < mins[slot]:
            mins[slot] = rest
    # An empty bin borrows from the next non-empty one ("densification"), so that two texts'
    # empty bins do not count as agreeing and every bin is defined.
    for slot in range(BINS):
        step = 1
        while mins[slot] == _EMPTY and step < BINS:
            borrowed = mins[(slot + step) % BINS]
            if borrowed != _EMPTY:
                mins[slot] = (borrowed + step * 0x9E3779B97F4A7C15) & _EMPTY  # differs from the lender's
            step += 1
    return Signature(tuple(mins))
