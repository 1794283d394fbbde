"""Load and validate ``config.yaml`` once, into typed pydantic models.

Every problem is reported as a :class:`ConfigError` whose text is one line naming the file,
the key path and the problem, e.g. ``config.yaml: sources[1].feeds[0]: not an http(s) URL: 'ftp://x'``.
Relative paths are resolved against the folder of the config file.
"""

import difflib
import math
import os
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import yaml
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from archive.render import IF_REVISED
from crawler.addresses import DEFAULT_BLOCKED, parse_networks

FRONT_MATTER_COMPUTED = frozenset(
    {"title", "date", "lastmod", "summary", "categories", "tags", "lang", "translations", "thumbnail"}
    | {"source_url", "canonical_url", "authors", "description", "fetched", "source", "id", "sitename"}
)
MAINROAD_STATIC: dict[str, Any] = {
    "menu": "", "lead": "", "comments": False, "authorbox": False, "pager": True, "toc": False,
    "mathjax": False, "sidebar": "right", "widgets": ["search", "recent", "taglist"],
}  # fmt: skip
DEFAULT_FIELDS = [
    "title", "date", "lastmod", "summary", "categories", "lang", "translations", "tags", "menu", "thumbnail",
    "lead", "comments", "authorbox", "pager", "toc", "mathjax", "sidebar", "widgets",
]  # fmt: skip


class ConfigError(Exception):
    """A config problem as one line: ``file: key.path: problem`` (``file:line:col: problem`` for YAML)."""

    def __init__(self, file, key: str, problem: str, line: int | None = None, column: int | None = None):
        self.file, self.key, self.problem = os.fspath(file), key, problem.replace("\n", " ")
        self.line, self.column = line, column
        where = self.file if line is None else f"{self.file}:{line}:{column}"
        super().__init__(": ".join(part for part in (where, key, self.problem) if part))

    def __reduce__(self):  # picklable, e.g. across worker processes
        return type(self), (self.file, self.key, self.problem, self.line, self.column)


class _Problem(ValueError):
    """A validation problem located below the object being validated (``at`` extends its key path)."""

    def __init__(self, problem: str, *at: str | int):
        super().__init__(problem)
        self.at = at


# --- small public parsers (the daemon reuses parse_schedule) ------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?", re.IGNORECASE | re.ASCII)
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*([kmgt]i?b?|b)?", re.IGNORECASE | re.ASCII)
_EVERY = re.compile(r"every\s+(\d+)\s*([smhd])", re.IGNORECASE | re.ASCII)
_INTERVAL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_duration(value: Any) -> float:
    """``30``, ``"30s"``, ``"15m"``, ``"2h"``, ``"1d"``, ``"250ms"`` -> seconds (a number is seconds)."""
    if _is_number(value) and value >= 0:
        return float(value)
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"must be a duration such as 30, '30s', '15m', '2h' or '1d', got {_show(value)}")
    return float(match[1]) * _SECONDS[(match[2] or "s").lower()]


def parse_size(value: Any) -> int:
    """``10_000_000``, ``"10MB"``, ``"512KB"``, ``"1MiB"`` -> bytes (KB = 1000, KiB = 1024)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"must be a size such as 10000000, '10MB', '512KB' or '1MiB', got {_show(value)}")
    unit = (match[2] or "").lower().removesuffix("b")
    factor = (1024 if unit.endswith("i") else 1000) ** ("kmgt".index(unit[0]) + 1) if unit else 1
    return round(float(match[1]) * factor)


def parse_schedule(text: str, tz) -> CronTrigger | IntervalTrigger:
    """A 5-field cron expression (``"*/30 * * * *"``) or an interval (``"every 15m"``) -> trigger in ``tz``.

    Raises ValueError with a human message. Note: APScheduler 3 counts weekdays from 0 = Monday, so
    prefer names (``mon-fri``) in the day-of-week field.
    """
    hint = 'use a cron expression like "*/30 * * * *" or an interval like "every 15m"'
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"empty schedule; {hint}")
    text = text.strip()
    if text.lower().startswith("every"):
        match = _EVERY.fullmatch(text)
        if not match or int(match[1]) < 1:
            raise ValueError(f'not a valid interval {text!r}; write "every N" + s/m/h/d, e.g. "every 15m"')
        return IntervalTrigger(**{_INTERVAL_UNITS[match[2].lower()]: int(match[1])}, timezone=tz)
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f'expected 5 cron fields, got {len(fields)} (e.g. "*/30 * * * *")')
    try:
        return CronTrigger.from_crontab(text, timezone=tz)
    except ValueError as exc:
        raise ValueError(f"not a valid cron expression {text!r}: {exc}") from None


# --- field types -----------------------------------------------------------------------------------


def _whole(minimum: int):
    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdecimal():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"must be a whole number >= {minimum}, got {_show(value)}")
        return value

    return Annotated[int, BeforeValidator(check)]


def _check(predicate, message: str):
    def check(value: str) -> str:
        if not predicate(value):
            raise ValueError(message.format(value=value))
        return value

    return AfterValidator(check)


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and url.strip() == url
    except ValueError:
        return False


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


def _check_schedule(text: str) -> str:
    parse_schedule(text, "UTC")  # the syntax does not depend on the zone
    return text


def _check_network(entry: str) -> str:
    parse_networks([entry])
    return entry


def _check_static(value: Any) -> Any:
    if isinstance(value, str | bool) or _is_number(value):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ValueError(f"must be text, a number, true/false or a list of text, got {_show(value)}")


def _absolute(path: Path, info: ValidationInfo) -> Path:
    base = Path((info.context or {}).get("base", "."))
    return Path(os.path.normpath(base.absolute() / path.expanduser()))


PositiveInt = _whole(1)
NonNegativeInt = _whole(0)
Seconds = Annotated[float, BeforeValidator(parse_duration)]
Bytes = Annotated[int, BeforeValidator(parse_size)]
TimeZone = Annotated[str, _check(_is_zone, "unknown time zone {value!r}")]
Schedule = Annotated[str, AfterValidator(_check_schedule)]
HttpUrl = Annotated[str, _check(_is_http_url, "not an http(s) URL: {value!r}")]
Regex = Annotated[str, AfterValidator(_check_regex)]
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_NAME_RULE = "use 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit"
SourceName = Annotated[str, _check(_NAME_RE.fullmatch, "{value!r} is not a valid name: " + _NAME_RULE)]
_LANG_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
LangTag = Annotated[str, _check(_LANG_RE.fullmatch, "{value!r} is not a language tag like 'en' or 'pt-BR'")]
Domain = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
    _check(re.compile(r"[a-z0-9.-]+").fullmatch, "must be a bare domain like 'example.com', got {value!r}"),
]


# --- models ----------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _blank_means_default(cls, data: Any) -> Any:
        """A key left empty in YAML (``feeds:``) takes its default; sections are always validated."""
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        blank = {k for k, v in data.items() if v is None and k in fields and fields[k].default is not None}
        data = {k: v for k, v in data.items() if k not in blank}
        for name, field in fields.items():
            is_section = isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
            if is_section and name not in data:
                data[name] = {}
        return data


class FrontMatterConfig(_Model):
    fields: list[str] | None = None  # full ordered key list; None = DEFAULT_FIELDS (Mainroad)
    add: list[str] = []
    drop: list[str] = []
    static: dict[str, Annotated[Any, AfterValidator(_check_static)]] = {}

    @model_validator(mode="after")
    def _known_names(self) -> "FrontMatterConfig":
        known = FRONT_MATTER_COMPUTED | set(self.static) | set(MAINROAD_STATIC)
        for key in ("fields", "add", "drop"):
            for i, name in enumerate(getattr(self, key) or []):
                if name not in known:
                    known_list = ", ".join(sorted(known))
                    raise _Problem(f"unknown front-matter field {name!r} (known: {known_list})", key, i)
        return self

    def layout(self) -> list[tuple[str, object | None]]:
        """Ordered (key, constant value, or None for a key computed per article).

        Keys set in ``static`` but absent from the field list are appended (unless dropped).
        """
        base = DEFAULT_FIELDS if self.fields is None else self.fields
        keys = dict.fromkeys([*base, *self.add, *self.static])
        layout = []
        for key in (k for k in keys if k not in self.drop):
            if key in self.static:
                value = self.static[key]
            elif key == "lastmod" and self.fields is None and key not in self.add:
                value = IF_REVISED  # the default layout: only once a revisit found the text changed
            else:
                value = None if key in FRONT_MATTER_COMPUTED else MAINROAD_STATIC.get(key)
            layout.append((key, list(value) if isinstance(value, list) else value))
        return layout


class ArchiveConfig(_Model):
    dir: Path = Field(Path("news"), validate_default=True)
    database: str | None = None  # None -> sqlite:///<dir>/index.sqlite; always a str after load
    front_matter: FrontMatterConfig = Field(default_factory=FrontMatterConfig)

    @field_validator("dir")
    @classmethod
    def _resolve_dir(cls, value: Path, info: ValidationInfo) -> Path:
        return _absolute(value, info)

    @field_validator("database")
    @classmethod
    def _resolve_database(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        env = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value.strip())
        if env:
            value = os.environ.get(env[1], "")
            if not value:
                raise ValueError(f"environment variable {env[1]} is not set")
        try:
            url = make_url(value)
        except ArgumentError:  # never echo a value from the environment: it may hold a password
            shown = f"environment variable {env[1]}" if env else repr(value)
            raise ValueError(
                f"{shown} is not a database URL like 'sqlite:///news/index.sqlite' "
                "or 'postgresql+psycopg://user@host/db'"
            ) from None
        db = url.database or ":memory:"
        if url.get_backend_name() == "sqlite" and db != ":memory:" and not db.startswith("file:"):
            if not os.path.isabs(db):
                return url.set(database=str(_absolute(Path(db), info))).render_as_string(hide_password=False)
        return value

    @model_validator(mode="after")
    def _default_database(self) -> "ArchiveConfig":
        if self.database is None:
            self.database = f"sqlite:///{self.dir / 'index.sqlite'}"
        return self


class RevisitConfig(_Model):
    """When archived articles are fetched again to catch edits and deletions (ages since first archived)."""

    every_run_for: Seconds = 3 * 3600.0  # revisited on every crawl while younger than this
    at: list[Seconds] = [6 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0, 30 * 86400.0]  # then once at each age
    confirm_deleted_after: Seconds = 3600.0  # a deletion must be seen twice, this far apart

    @field_validator("at")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("ages must increase, e.g. [6h, 24h, 3d, 7d, 30d]")
        return value


class CrawlConfig(_Model):
    user_agent: str = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"
    obey_robots_txt: bool = True
    concurrent_requests: PositiveInt = 16
    concurrent_requests_per_domain: PositiveInt = 4
    download_delay: Seconds = 0.5
    autothrottle: bool = True
    download_timeout: Annotated[Seconds, Field(gt=0)] = 30.0
    max_page_size: Bytes = 10_000_000
    max_articles_per_source: PositiveInt = 500
    max_depth: NonNegativeInt = 2
    retry_times: NonNegativeInt = 2
    extract_workers: NonNegativeInt | None = None  # None = one per CPU core; 0 = a thread of the crawler
    timezone: TimeZone = "UTC"
    # Address ranges never connected to, checked after DNS resolution: names of ranges (private,
    # loopback, link-local, unspecified, multicast, reserved) or CIDR blocks. [] = no check.
    blocked_addresses: list[Annotated[str, AfterValidator(_check_network)]] = Field(
        default_factory=lambda: list(DEFAULT_BLOCKED)
    )
    revisit: RevisitConfig = Field(default_factory=RevisitConfig)
    mark_deleted: bool = True  # write deleted/deleted_status into the front matter of deleted articles
    provenance: Literal["warc", "none"] = "warc"  # keep each archived version's response in a WARC file
    # Another source's near-identical text (syndicated wire copy): link it to the first copy (no
    # second file), keep both (the second marked as a copy) or skip it (see archive/duplicates.py).
    syndicated: Literal["link", "keep", "skip"] = "link"


class DaemonConfig(_Model):
    default_schedule: Schedule = "every 1h"
    timezone: TimeZone = "UTC"
    max_parallel_crawls: PositiveInt = 2
    run_timeout: Annotated[Seconds, Field(gt=0)] = 7200.0
    shutdown_grace: Seconds = 30.0
    log_file: Path | None = None
    log_max_bytes: Bytes = 10_000_000
    log_backups: NonNegativeInt = 5

    @field_validator("log_file")
    @classmethod
    def _resolve_log_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _absolute(value, info)


class SourceConfig(_Model):
    name: SourceName
    feeds: list[HttpUrl] = []
    sitemaps: list[HttpUrl] = []
    start_urls: list[HttpUrl] = []
    allow: list[Regex] = []
    deny: list[Regex] = []
    follow: list[Regex] = []
    lang: LangTag | None = None
    timezone: TimeZone | None = None  # filled from crawl.timezone at load
    schedule: Schedule | None = None  # filled from daemon.default_schedule at load
    max_articles: PositiveInt | None = None  # filled from crawl.max_articles_per_source at load
    allowed_domains: list[Domain] = []  # filled from the hosts of feeds/sitemaps/start_urls at load
    enabled: bool = True

    @model_validator(mode="after")
    def _has_entry_points(self) -> "SourceConfig":
        if not (self.feeds or self.sitemaps or self.start_urls):
            raise ValueError("needs at least one of feeds, sitemaps, start_urls")
        return self

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone or "UTC")

    @property
    def allow_re(self) -> list[re.Pattern]:
        return [re.compile(p) for p in self.allow]

    @property
    def deny_re(self) -> list[re.Pattern]:
        return [re.compile(p) for p in self.deny]

    @property
    def follow_re(self) -> list[re.Pattern]:
        return [re.compile(p) for p in self.follow]


class Config(_Model):
    path: Path = Path()  # absolute path of the config file, set by load_config (not a YAML key)
    archive: ArchiveConfig = Field(default_factory=ArchiveConfig)
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    sources: list[SourceConfig] = Field([], validate_default=True)

    @field_validator("sources")
    @classmethod
    def _at_least_one(cls, value: list[SourceConfig]) -> list[SourceConfig]:
        if not value:
            raise ValueError("at least one source is required")
        return value

    @model_validator(mode="after")
    def _fill_source_defaults(self) -> "Config":
        seen: set[str] = set()
        for i, src in enumerate(self.sources):
            if src.name in seen:
                problem = f"{src.name!r} is used twice; source names must be unique"
                raise _Problem(problem, "sources", i, "name")
            seen.add(src.name)
            src.timezone = src.timezone or self.crawl.timezone
            src.schedule = src.schedule or self.daemon.default_schedule
            src.max_articles = src.max_articles or self.crawl.max_articles_per_source
            if not src.allowed_domains:
                urls = [*src.feeds, *src.sitemaps, *src.start_urls]
                src.allowed_domains = list(dict.fromkeys(urlsplit(u).hostname or "" for u in urls))
        return self

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        raise KeyError(name)


# --- loading and error messages --------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def load_config(path: str | os.PathLike) -> Config:
    """Read, validate and resolve a config file; raises ConfigError (one line) on any problem."""
    shown = os.fspath(path)
    file = Path(os.path.normpath(Path(shown).expanduser().absolute()))
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(shown, "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError(shown, "", "is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, "", f"not UTF-8 text (bad byte at offset {exc.start})") from None
    except OSError as exc:
        raise ConfigError(shown, "", f"cannot read the file: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(shown, "", f"not valid YAML: {exc.problem or exc}", line, col) from None
    except yaml.YAMLError as exc:
        raise ConfigError(shown, "", f"not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(shown, "", "the top level must be a mapping")
    if "path" in data:
        raise ConfigError(shown, "path", _unknown_key(("path",)))
    try:
        config = Config.model_validate(data, context={"base": file.parent})
    except ValidationError as exc:
        raise ConfigError(shown, *_describe(exc.errors()[0])) from None
    config.path = file
    return config


_MESSAGES = {  # pydantic error type -> human problem
    "missing": "missing (this key is required)",
    "string_type": "must be text, got {value}",
    "list_type": "must be a list, got {value}",
    "path_type": "must be a file or folder path, got {value}",
    "greater_than": "must be > {gt}, got {value}",
    "greater_than_equal": "must be >= {ge}, got {value}",
    "literal_error": "must be {expected}, got {value}",
    **dict.fromkeys(["bool_type", "bool_parsing"], "must be true or false, got {value}"),
    **dict.fromkeys(["dict_type", "model_type"], "must be a mapping (key: value), got {value}"),
    **dict.fromkeys(["float_type", "float_parsing"], "must be a number, got {value}"),
}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(error: dict) -> tuple[str, str]:
    """A pydantic error -> (key path, human problem)."""
    loc, kind = tuple(p for p in error["loc"] if p != "[key]"), error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        exc = ctx["error"]
        return _key_path(loc + getattr(exc, "at", ())), str(exc)
    if kind == "extra_forbidden":
        return _key_path(loc), _unknown_key(loc)
    value = error.get("input")
    if kind in _MESSAGES:
        problem = _MESSAGES[kind].format(value=_show(value), **{k: v for k, v in ctx.items() if k != "value"})
    else:
        msg = error["msg"]
        problem = f"{msg[:1].lower()}{msg[1:]}, got {_show(value)}"
    if kind == "string_type" and isinstance(value, bool):
        problem += " (put it in quotes: YAML reads yes/no/on/off as true/false)"
    return _key_path(loc), problem


def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unknown_key(loc: tuple) -> str:
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, str):
            field = model.model_fields.get(part) if model else None
            model = _find_model(field.annotation) if field else None
    known = [name for name in (model.model_fields if model else ()) if (model, name) != (Config, "path")]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known keys: {', '.join(known)})" if known else "unknown key"


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_find_model, get_args(annotation))), None)
