"""How the reading commands print: aligned lines for a terminal, tab-separated lines for a pipe,
JSON for programs, highlighted snippets and per-day bar charts."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from archive.models import ArticleRow
from archive.reader import Stats
from archive.terms import display_width

BLOCKS = " ▁▂▃▄▅▆▇█"
DATE_SHOWN = "%Y-%m-%d %H:%M"


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def fit(text: str, width: int) -> str:
    """``text`` cut (with '…') or padded to exactly ``width`` terminal columns."""
    text = " ".join(text.split())
    if display_width(text) <= width:
        return text + " " * (width - display_width(text))
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - used - 1)


def shown_date(row: ArticleRow, zone: str) -> str:
    moment = row.published_at or row.fetched_at
    return moment.astimezone(ZoneInfo(zone)).strftime(DATE_SHOWN) if moment else "????-??-?? ??:??"


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def article_json(row: ArticleRow, **extra: Any) -> dict[str, Any]:
    return {
        "id": row.id, "uid": row.uid, "url": row.url, "source": row.source, "title": row.title,
        "authors": list(row.authors or []), "published": iso(row.published_at), "modified": iso(row.modified_at),
        "fetched": iso(row.fetched_at), "lang": row.lang, "description": row.description,
        "thumbnail": row.thumbnail, "path": row.path, "size": row.size, **extra,
    }  # fmt: skip


def json_line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def list_line(row: ArticleRow, zone: str, *, tty: bool, source_width: int) -> str:
    date = shown_date(row, zone)
    if not tty:
        return "\t".join((str(row.id), date, row.source, " ".join(row.title.split()), row.path))
    ident = f"{row.id:>6}"
    fixed = len(ident) + len(date) + source_width + display_width(row.path) + 8
    title = fit(row.title, max(20, terminal_width() - fixed))
    return f"{ident}  {date}  {row.source:<{source_width}}  {title}  {click.style(row.path, dim=True)}"


def highlighted(text: str, spans: list[tuple[int, int]], *, tty: bool) -> str:
    out, at = [], 0
    for start, end in spans:
        out.append(text[at:start])
        hit = text[start:end]
        out.append(click.style(hit, bold=True, fg="yellow") if tty else f"**{hit}**")
        at = end
    out.append(text[at:])
    return "".join(out)


def sparkline(counts: list[int]) -> str:
    top = max(counts, default=0)
    if not top:
        return " " * len(counts)
    return "".join(
        BLOCKS[0] if n == 0 else BLOCKS[max(1, round(n / top * (len(BLOCKS) - 1)))] for n in counts
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


def stats_text(stats: Stats, index_size: int | None, *, chart: bool) -> list[str]:
    languages = ", ".join(f"{lang or '(none)'} {n:,}" for lang, n in stats.languages.items())
    sizes = f"files {human_size(stats.size)}" + (f", index {human_size(index_size)}" if index_size else "")
    lines = [f"{stats.total:,} articles from {len(stats.sources)} sources; {sizes}"]
    if not stats.sources:
        return lines
    width = max(6, *(len(name) for name in stats.sources))
    first, last = stats.days[0], stats.days[-1]
    header = f"{'source':<{width}}  articles  last 30 days"
    lines += ["", header + (f" ({first:%m-%d} → {last:%m-%d}, one column per day)" if chart else "")]
    for name, source in stats.sources.items():
        recent = list(source.per_day.values())
        row = f"{name:<{width}}  {source.articles:>8,}  "
        row += f"{sparkline(recent)} {sum(recent):,}" if chart else f"{sum(recent):,}"
        lines.append(row)
    lines += ["", f"languages: {languages}"]
    if not chart:
        lines += ["", "per day (last 30 days, in each source's zone):"]
        for name, source in stats.sources.items():
            days = " ".join(f"{day:%m-%d}:{n}" for day, n in source.per_day.items() if n)
            lines.append(f"  {name}: {days or 'none'}")
    return lines


def stats_json(stats: Stats, index_size: int | None) -> dict[str, Any]:
    return {
        "articles": stats.total,
        "size": {"files": stats.size, "index": index_size},
        "languages": stats.languages,
        "sources": {
            name: {
                "articles": s.articles, "size": s.size, "first": iso(s.first), "last": iso(s.last),
                "per_day": {day.isoformat(): n for day, n in s.per_day.items()},
            }
            for name, s in stats.sources.items()
        },
    }  # fmt: skip


_AGO = re.compile(r"(\d+)\s*([dh])", re.IGNORECASE)


class When(click.ParamType):
    """A date option: '2025-02-07' (midnight in the zone), an ISO date-time, or '7d' / '12h' ago."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if _AGO.fullmatch(text):
            return text
        try:
            datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{value!r} is not a date: use 2025-02-07, 2025-02-07T15:30 or 7d (days ago)", param, ctx
            )
        return text


def resolve_when(
    text: str | None, zone: str, *, end: bool = False, now: datetime | None = None
) -> datetime | None:
    """The moment a When option means; a bare day given as --until includes that whole day."""
    if text is None:
        return None
    match = _AGO.fullmatch(text)
    if match:
        unit = "days" if match[2].lower() == "d" else "hours"
        return (now or datetime.now(UTC)) - timedelta(**{unit: int(match[1])})
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    if end and len(text) == 10:  # a day: until its end
        moment += timedelta(days=1)
    return moment


def responses_json(session: Any, article_id: int) -> list[dict[str, Any]]:
    """Where each version's HTTP response is kept (see ``archive/provenance.py``)."""
    from archive.provenance import responses

    return [
        {"version": r.version, "url": r.url, "status": r.status, "fetched": iso(r.fetched_at),
         "warc_file": r.warc_file, "offset": r.warc_offset, "length": r.warc_length}
        for r in responses(session, article_id)
    ]  # fmt: skip
