"""Reading the date strings pages use (ISO 8601 in its many spellings, RFC 2822 from feeds) into
aware datetimes, and choosing the publication date among what a page offers. A date without a zone is
read in the source's zone; a date with an offset keeps it (the front matter shows the publisher's clock)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})"  # date
    r"(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"  # time
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$",  # zone
    re.IGNORECASE,
)
_RFC2822 = re.compile(r"^\s*(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_MONTHS = {
    1: "january jan januar jänner janvier janv enero ene gennaio genn gen janeiro januari",
    2: "february feb februar février févr fevrier febrero febbraio fevereiro fev februari",
    3: "march mar märz maerz mrz mars marzo março marco maart",
    4: "april apr avril avr abril aprile",
    5: "may mai mayo maggio maio mei",
    6: "june jun juni juin junio giugno junho",
    7: "july jul juli juillet juil julio luglio julho",
    8: "august aug août aout agosto ago augustus",
    9: "september sep sept septembre septiembre setiembre settembre setembro set",
    10: "october oct oktober okt octobre octubre ottobre outubro out",
    11: "november nov novembre noviembre novembro",
    12: "december dec dezember dez décembre decembre diciembre dic dicembre dezembro",
}
MONTH_NUMBER = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH = "|".join(sorted(MONTH_NUMBER, key=len, reverse=True))
_DAY_FIRST = rf"(?<!\d)(?P<d1>\d{{1,2}})(?:\.|er|º)?\s*(?:de\s+)?(?P<mn1>{_MONTH})\b\.?,?\s*(?:de\s+|del\s+)?(?P<y1>\d{{4}})"
_MONTH_FIRST = rf"\b(?P<mn2>{_MONTH})\b\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
_NUMERIC = (
    r"(?P<y3>(?:19|20)\d{2})\s*[年/.\-년]\s*(?P<m3>\d{1,2})\s*[月/.\-월]\s*(?P<d3>\d{1,2})(?!\d)\s*[日일]?"
    r"|(?P<d4>\d{1,2})\.\s?(?P<m4>\d{1,2})\.\s?(?P<y4>(?:19|20)\d{2})"
    r"|(?P<a5>\d{1,2})/(?P<b5>\d{1,2})/(?P<y5>(?:19|20)\d{2})"
)
_TIME = (
    r"(?:[\s,|·•—–\-(（]|um|at|à|a las|alle|om|kl\.|T)*"
    r"(?P<hour>\d{1,2})\s*(?:[:：時시h]|\.(?=\d{2}\s*Uhr))\s*(?P<minute>\d{2})(?:\s*[:：分](?P<second>\d{2}))?\s*[分초]?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?(?![a-z]))?\s*(?:Uhr)?\s*(?P<zone>Z\b|UTC|GMT|[+-]\d{2}:?\d{2}|[ECMP][SD]T\b|CES?T\b|MES?Z\b|BST\b|[JK]ST\b)?"
)
_LOCAL = re.compile(rf"(?:{_DAY_FIRST}|{_MONTH_FIRST}|{_NUMERIC})(?:{_TIME})?", re.IGNORECASE)
_ZONES = {"EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2,
          "MEZ": 1, "MESZ": 2, "BST": 1, "JST": 9, "KST": 9}  # fmt: skip
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$|\D)")


def parse_date(text: str | None, zone: str) -> tuple[datetime, bool] | None:
    """(aware datetime, whether it has a time of day), or None when ``text`` is not a date."""
    if not text:
        return None
    tz = ZoneInfo(zone)
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute, second, offset = match.groups()
        try:
            moment = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            return None
        return _zoned(moment, offset, tz), hour is not None
    try:
        if not _RFC2822.match(text):
            raise ValueError("not RFC 2822")
        moment = parsedate_to_datetime(text)  # RSS pubDate: "Fri, 07 Feb 2025 15:51:13 +0800"
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)), True
    except (TypeError, ValueError, IndexError):
        pass
    return find_date(text, zone)


def find_date(text: str, zone: str) -> tuple[datetime, bool] | None:
    """The first date written out in ``text`` (a byline: "2025年02月07日 15:51", "07.02.2025, 15:51 Uhr",
    "7. Februar 2025", "February 7, 2025 3:51 PM EST"), with the time of day when one follows it."""
    for match in _LOCAL.finditer(text[:2000]):
        found = _local_match(match, ZoneInfo(zone))
        if found:
            return found
    return None


def first_date_at(text: str) -> int | None:
    """Where the first date written out in ``text`` starts."""
    match = _LOCAL.search(text[:2000])
    return match.start() if match else None


def _local_match(match: re.Match, tz: ZoneInfo) -> tuple[datetime, bool] | None:
    g = match.groupdict()
    if g["y1"]:
        year, month, day = g["y1"], MONTH_NUMBER[g["mn1"].lower()], g["d1"]
    elif g["y2"]:
        year, month, day = g["y2"], MONTH_NUMBER[g["mn2"].lower()], g["d2"]
    elif g["y3"]:
        year, month, day = g["y3"], g["m3"], g["d3"]
    elif g["y4"]:
        year, month, day = g["y4"], g["m4"], g["d4"]
    else:  # 07/02/2025: day first unless that cannot be; both readings possible means no date
        a, b = int(g["a5"]), int(g["b5"])
        if a <= 12 and b <= 12 and a != b:
            return None
        year, month, day = g["y5"], (a if b > 12 else b), (b if b > 12 else a)
    hour, minute, second = int(g["hour"] or 0), int(g["minute"] or 0), int(g["second"] or 0)
    ampm = (g["ampm"] or "").replace(".", "").replace(" ", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        moment = datetime(int(year), int(month), int(day), hour, minute, second)
    except ValueError:
        return None
    zone = (g["zone"] or "").upper()
    if zone in _ZONES:
        return moment.replace(tzinfo=timezone(timedelta(hours=_ZONES[zone]))), True
    if zone and not re.fullmatch(r"Z|UTC|GMT|[+-]\d{2}:?\d{2}", zone):
        zone = ""  # an abbreviation that names several zones (CST: China, Cuba, US Central)
    return _zoned(moment, zone or None, tz), g["hour"] is not None


def date_from_url(url: str, zone: str) -> datetime | None:
    """/2025/02/07/, /20250207/ or /2025-02-07- in a URL's path: a day, the last resort."""
    match = _URL_DATE.search(url.split("?")[0])
    if not match:
        return None
    try:
        return datetime(*map(int, match.groups()), tzinfo=ZoneInfo(zone))
    except ValueError:
        return None


def _zoned(moment: datetime, offset: str | None, tz: ZoneInfo) -> datetime:
    if not offset:
        return moment.replace(tzinfo=tz)
    offset = offset.upper()
    if offset in ("Z", "UTC", "GMT"):
        return moment.replace(tzinfo=UTC)  # stated by the page (a fixed offset), unlike a zone-less date
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))

    return moment.replace(tzinfo=timezone(sign * delta))


def plausible(moment: datetime, now: datetime) -> bool:
    """Publication dates before the web or more than a day in the future are misreadings."""
    return datetime(1990, 1, 1, tzinfo=moment.tzinfo) <= moment <= now + timedelta(days=1)


# How much each source's word counts when sources disagree about the day. The JSON-LD and the
# article:published_time family are the publisher's structured word; the plain "date"/"dc.date" metas are
# as often the day the page was last built; the visible byline is what the reader sees.
WEIGHTS = {"json-ld": 1.0, "meta": 1.0, "feed": 1.0, "byline": 0.95, "trafilatura": 0.8, "time": 0.7,
           "meta-weak": 0.4}  # fmt: skip
ECHO = 0.3  # the same date again from another source: mostly one field repeated (by the CMS, by htmldate)
MAX_OFFSET = timedelta(hours=14)


def choose_published(
    candidates: list[tuple[str, str | None]], zone: str, now: datetime
) -> tuple[datetime, str] | None:
    """(moment, origin) of the publication date among ``(origin, text)`` candidates in order of trust.

    The day is voted for: each source that reads as a plausible date adds its weight to its day (the day on
    the publisher's clock when the date states an offset, else in ``zone``), so a lone wrong source (a
    JSON-LD date the CMS set at creation, a "date" meta of the last rebuild) loses against a byline and
    another source that agree. The moment is then the most trusted candidate for that day with a time of
    day, else the first for it. A time read from the byline (the publisher's wall clock, no zone) that
    matches a zoned instant of another source up to a whole offset gives that instant in that offset."""
    read = _readings(candidates, zone, now)
    if not read:
        return None
    votes = _votes(read, zone)
    best = max(votes.values())
    day = next(_day(m, zone) for _, m, _ in read if votes[_day(m, zone)] == best)  # ties: most trusted
    timed = [(o, m) for o, m, t in read if t and _day(m, zone) == day]
    origin, moment = timed[0] if timed else next((o, m) for o, m, _ in read if _day(m, zone) == day)
    if timed and not _has_offset(moment):
        moment = _in_stated_offset(moment, [m for o, m, t in read if t], zone)
    return moment, origin


def vote_margin(candidates: list[tuple[str, str | None]], zone: str, now: datetime) -> float:
    """How far the leading day is ahead of the next one (0 without any date): a source of weight below
    it, added later, cannot change the day ``choose_published`` picks."""
    read = _readings(candidates, zone, now)
    if not read:
        return 0.0
    ranked = sorted(_votes(read, zone).values(), reverse=True)
    return ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)


def _readings(candidates: list[tuple[str, str | None]], zone: str, now: datetime) -> list[tuple[str, datetime, bool]]:
    read: list[tuple[str, datetime, bool]] = []
    for origin, text in candidates:
        parsed = parse_date(text, zone)
        if parsed is None or not plausible(parsed[0], now):
            continue
        moment, has_time = parsed
        if origin == "trafilatura" and text and text.endswith("T00:00:00"):
            has_time = False  # htmldate writes midnight for a day without a time
        if origin == "trafilatura" and not has_time and (moment.month, moment.day) == (1, 1):
            continue  # htmldate's reading of a bare year in the text ("突破2000万", "© 2024"), not a date
        read.append((origin, moment, has_time))
    return read


def _votes(read: list[tuple[str, datetime, bool]], zone: str) -> dict[date, float]:
    votes: dict[date, float] = {}
    seen: set[datetime | date] = set()
    for origin, moment, has_time in read:
        weight = WEIGHTS.get(origin, 0.5)
        day = _day(moment, zone)
        echo = moment if has_time else day  # a day without a time: the same date shown in several places
        if echo in seen:
            weight *= ECHO
        seen.add(echo)
        votes[day] = votes.get(day, 0.0) + weight
    return votes


def _day(moment: datetime, zone: str) -> date:
    return (moment if _has_offset(moment) else moment.astimezone(ZoneInfo(zone))).date()


def _has_offset(moment: datetime) -> bool:
    """Whether the page stated a UTC offset other than zero (kept as a fixed-offset timezone)."""
    return isinstance(moment.tzinfo, timezone) and bool(moment.utcoffset())


def _in_stated_offset(moment: datetime, others: list[datetime], zone: str) -> datetime:
    """``moment`` on the publisher's clock: in the offset another source states for the same instant; or,
    when one of ``moment`` and another reading is a wall-clock time (a byline, read in ``zone``) and the
    other a zoned instant (often UTC) that differs from it by a whole offset, that instant in that offset."""
    for other in others:
        if other == moment and _has_offset(other):
            return other
    for other in others:
        wall, zoned = (moment, other) if _wall_clock(moment, zone) else (other, moment)
        if not _wall_clock(wall, zone) or _wall_clock(zoned, zone):
            continue
        offset = wall.replace(tzinfo=None) - zoned.astimezone(UTC).replace(tzinfo=None)
        quarters = round(offset.total_seconds() / 900)
        if abs(offset) <= MAX_OFFSET and abs(offset.total_seconds() - quarters * 900) < 90:
            return zoned.astimezone(timezone(timedelta(minutes=15 * quarters)))
    return moment


def _wall_clock(moment: datetime, zone: str) -> bool:
    """Read without a zone on the page (so in the source's zone)."""
    return isinstance(moment.tzinfo, ZoneInfo) and str(moment.tzinfo) == zone
