"""What a person sees of a crawl: a progress line while it runs and a per-source summary."""

from __future__ import annotations

import time
from typing import TextIO

from crawler.run import COUNTS, SourceResult


class Progress:
    """Called by the crawl every so often with the current counts. In a terminal it redraws one
    line; elsewhere (logs, pipes) it prints a plain line each time something changed."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last = ""

    def __call__(self, results: list[SourceResult]) -> None:
        total = {k: sum(r.counts[k] for r in results) for k in COUNTS}
        line = (f"[{time.monotonic() - self.started:5.0f}s] fetched {total['fetched']} · archived {total['new']} · "
                f"unchanged {total['unchanged']} · skipped {total['skipped']} · failed {total['failed']}")  # fmt: skip
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
        elif line.split("] ", 1)[1] != self.last.split("] ", 1)[-1]:
            self.stream.write(line + "\n")
        self.last = line

    def done(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()


def summary_table(results: list[SourceResult]) -> str:
    header = ["source", "status", *COUNTS]
    rows = [[r.source, r.status, *(str(r.counts[k]) for k in COUNTS)] for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)).rstrip()]
    for result, row in zip(results, rows, strict=True):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        reasons = [f"{k}×{v}" for k, v in result.reasons.items() if not k.startswith("seed_failed/")] + [
            f"{k}×{v}" for k, v in result.reasons.items() if k.startswith("seed_failed/")]  # fmt: skip
        if reasons:
            lines.append("    " + ", ".join(reasons))
        for reason, urls in result.examples.items():
            if reason != "skipped/duplicate_url":
                more = result.reasons.get(reason, len(urls)) - len(urls)
                lines.append(f"      {reason}: " + " ".join(urls) + (f" (+{more} more)" if more > 0 else ""))
        if result.error:
            lines.append(f"    error: {result.error}")
    return "\n".join(lines)
