"""Front-matter keys about an article's other URLs and copies, written after the layout's keys
and only when they have a value (so an article with one URL and no copy looks exactly like the
seed): ``aliases`` (Hugo redirects from the article's other URL paths), ``syndicated_from`` (a
copy kept under ``crawl.syndicated: keep``: the URL of the article it copies) and
``syndicated_copies`` (under ``link``: where else the same text was found).

They can change after the file was written (a new alias found): the file is then rewritten
atomically with only these lines replaced, and a revision carries them over to the new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.render import quote

KEYS = ("aliases", "syndicated_from", "syndicated_copies")


@dataclass
class Extras:
    aliases: list[str] = field(default_factory=list)  # URL paths
    syndicated_from: str | None = None  # URL of the first copy
    copies: list[tuple[str, str]] = field(default_factory=list)  # (source, URL) of copies linked here

    def lines(self) -> list[str]:
        out = []
        if self.aliases:
            out += ["aliases:"] + [f"  - {quote(path)}" for path in self.aliases]
        if self.syndicated_from:
            out.append(f"syndicated_from: {quote(self.syndicated_from)}")
        if self.copies:
            out.append("syndicated_copies:")
            for source, url in self.copies:
                out += [f"  - source: {quote(source)}", f"    url: {quote(url)}"]
        return out


def _split(text: str) -> tuple[list[str], list[str], str] | None:
    """(front-matter lines without the extras, the extras' lines, the rest from the closing
    '---' on); None when the text has no front matter of ours."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    kept: list[str] = []
    extra: list[str] = []
    current = kept
    for line in text[4:end].split("\n"):
        if not line.startswith(" "):
            current = extra if line.split(":", 1)[0] in KEYS else kept
        current.append(line)
    return kept, extra, text[end:]


def apply(text: str, extras: Extras) -> str:
    """The file's text with its extras replaced by ``extras`` (removed where empty)."""
    parts = _split(text)
    if parts is None:
        return text
    kept, _, rest = parts
    return "---\n" + "\n".join(kept + extras.lines()) + rest


def carry(old_text: str, new_text: str) -> str:
    """``new_text`` with the extras lines of ``old_text`` (a revision keeps them)."""
    old, new = _split(old_text), _split(new_text)
    if old is None or new is None or not old[1]:
        return new_text
    return "---\n" + "\n".join(new[0] + old[1]) + new[2]


def lines_of(text: str) -> list[str]:
    parts = _split(text)
    return parts[1] if parts else []
