"""Reading an article back from its Markdown file: the inverse of ``archive.render``.

What a file gives back (default Mainroad layout): title, date (local time in the source's zone:
the caller maps a source to its zone), lang, categories (the source), thumbnail, and the source
URL on the body's last line. ``authors``, ``fetched``, ``lastmod``, ``description``, ``source_url``
are read when the layout adds them. What no file holds (fetch time without ``fetched``: the file's
modification time; first/last seen; where the date came from; other URLs of the article) is kept
from the existing row when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from archive.article import Article
from archive.render import DATE_FORMAT, FrontMatterError, parse
from archive.store import MarkdownStore

ZoneFor = Callable[[str], str]  # source name -> IANA zone of its front-matter dates
_LINK = re.compile(r"^\[(?:[^\]\\]|\\.)*\]\((\S+)\)\s*$")


class FileProblem(Exception):
    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}")


@dataclass
class ArchivedFile:
    path: str
    article: Article  # published = the front-matter date; fetched = 'fetched', else the file's mtime
    size: int
    has_fetched: bool  # the file names its fetch time
    has_authors: bool
    copy_of: str | None = None  # syndicated_from: the URL of the article this one copies
    copies: list[tuple[str, str]] = field(default_factory=list)  # syndicated_copies: (source, URL)


def read_file(store: MarkdownStore, path: str, zone_for: ZoneFor) -> ArchivedFile:
    """The article a Markdown file holds; raises FileProblem saying what is wrong with it."""
    file = store.absolute(path)
    try:
        raw = file.read_bytes()
        meta, content = parse(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FileProblem(path, f"not UTF-8 text (bad byte at offset {exc.start})") from None
    except FrontMatterError as exc:
        raise FileProblem(path, str(exc)) from None
    except OSError as exc:
        raise FileProblem(path, f"cannot read: {exc.strerror or exc}") from None
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FileProblem(path, "front matter has no title")
    lines = content.rstrip().splitlines()
    link = _LINK.match(lines[-1]) if lines else None
    body = "\n".join(lines[:-1] if link else lines).strip()
    url = _text(meta.get("source_url")) or _text(meta.get("canonical_url")) or (link[1] if link else None)
    if not url:
        raise FileProblem(path, "no source URL (the last line should be the '[source](URL)' link)")
    source = _text(meta.get("source")) or _first(meta.get("categories")) or path.split("/", 1)[0]
    zone = zone_for(source)
    published = _moment(path, "date", meta.get("date"), zone)
    fetched = _moment(path, "fetched", meta.get("fetched"), zone)
    if fetched is not None and published == fetched:
        published = None  # the date is the fetch time: the page named no publication date
    mtime = datetime.fromtimestamp(file.stat().st_mtime, UTC).replace(microsecond=0)
    authors = meta.get("authors")
    article = Article(
        url=url, fetched_url=url, source=source, title=title, body=body,
        fetched=fetched or mtime, timezone=zone, published=published,
        modified=_moment(path, "lastmod", meta.get("lastmod"), zone),
        lang=_first(meta.get("lang")), description=_text(meta.get("description")),
        thumbnail=_text(meta.get("thumbnail")), sitename=_text(meta.get("sitename")),
        authors=[authors] if isinstance(authors, str) else [str(a) for a in authors or []],
        aliases=_aliases(url, meta.get("aliases")),
    )  # fmt: skip
    copies = [
        (str(c["source"]), c["url"]) for c in meta.get("syndicated_copies") or []
        if isinstance(c, dict) and isinstance(c.get("url"), str) and c.get("source")
    ]  # fmt: skip
    return ArchivedFile(
        path,
        article,
        len(raw),
        fetched is not None,
        authors is not None,
        _text(meta.get("syndicated_from")),
        copies,
    )


def _aliases(url: str, value: object) -> list[str]:
    """Hugo ``aliases`` (paths on the article's site) as URLs on the article's host."""
    paths = value if isinstance(value, list) else []
    return [
        urljoin(url, p) for p in paths if isinstance(p, str) and p.startswith("/") and not p.startswith("//")
    ]


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _first(value: object) -> str | None:
    if isinstance(value, list):
        return next((v.strip() for v in value if isinstance(v, str) and v.strip()), None)
    return _text(value)


def _moment(path: str, key: str, value: object, zone: str) -> datetime | None:
    """A front-matter date (local time in ``zone`` unless it names an offset) as aware UTC."""
    if value is None or value == "":
        return None
    moment: datetime
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.strptime(value.strip(), DATE_FORMAT)
        except ValueError:
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                raise FileProblem(path, f"{key} {value!r} is not a date like '2025-02-07 15:51:13'") from None
    else:
        raise FileProblem(path, f"{key} {value!r} is not a date like '2025-02-07 15:51:13'")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)
