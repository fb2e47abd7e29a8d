"""Dates: the forms news feeds and pages write publication dates in, read into ISO 8601, and ISO dates as
epoch seconds (what the store filters on). Time words in queries ("last week") are ``timewords``'s."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime


def parse_date(value: str) -> str:
    """Parse the date forms news feeds use into ISO 8601 ('' when unparseable)."""
    value = (value or "").strip()
    if not value:
        return ""
    parsed = _parse_datetime(value)
    if parsed is None:
        return ""
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
        if (parsed.hour, parsed.minute, parsed.second) == (0, 0, 0) and not _has_time(value):
            return parsed.date().isoformat()
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
    if (parsed.hour, parsed.minute, parsed.second) == (0, 0, 0) and not _has_time(value):
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="seconds")


def _has_time(value: str) -> bool:
    return bool(re.search(r"\d{1,2}:\d{2}", value))


def _parse_datetime(value: str) -> datetime | None:
    slashed = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", value)
    if slashed:
        try:
            return datetime(*map(int, slashed.groups()))
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        pass
    from dateutil import parser as date_parser

    try:
        return date_parser.parse(value, default=datetime(1900, 1, 1))
    except (ValueError, OverflowError, date_parser.ParserError):
        return None


def timestamp(iso: str, end_of_day: bool = False) -> int | None:
    """Seconds since the epoch for an ISO date or datetime (UTC when no zone is given)."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(iso) == 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    return int(moment.timestamp())
