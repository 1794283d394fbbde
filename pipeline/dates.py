"""Reading the date strings pages use (ISO 8601 in its many spellings, RFC 2822 from feeds) into
aware datetimes. A date without a zone is read in the source's zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})"  # date
    r"(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"  # time
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$",  # zone
    re.IGNORECASE,
)
_LOCAL = re.compile(  # 2025年02月07日 15:51, 2025/2/7 15:51, 07.02.2025, 15:51 Uhr
    r"(?:(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?|(\d{1,2})\.(\d{1,2})\.(\d{4}))"
    r"(?:[,\s]*(?:um\s*)?(\d{1,2})[:：时](\d{2})(?:[:：分](\d{2}))?)?"
)


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
        moment = parsedate_to_datetime(text)  # RSS pubDate: "Fri, 07 Feb 2025 15:51:13 +0800"
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)), True
    except (TypeError, ValueError, IndexError):
        pass
    match = _LOCAL.search(text)
    if match:
        y1, m1, d1, d2, m2, y2, hour, minute, second = match.groups()
        year, month, day = (y1, m1, d1) if y1 else (y2, m2, d2)
        try:
            moment = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            return None
        return moment.replace(tzinfo=tz), hour is not None
    return None


def _zoned(moment: datetime, offset: str | None, tz: ZoneInfo) -> datetime:
    if not offset:
        return moment.replace(tzinfo=tz)
    offset = offset.upper()
    if offset in ("Z", "UTC", "GMT"):
        return moment.replace(tzinfo=ZoneInfo("UTC"))
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))

    return moment.replace(tzinfo=timezone(sign * delta))


def plausible(moment: datetime, now: datetime) -> bool:
    """Publication dates before the web or more than a day in the future are misreadings."""
    return datetime(1990, 1, 1, tzinfo=moment.tzinfo) <= moment <= now + timedelta(days=1)
