"""When to poll a feed again, and how fast to ask one host: the poller's arithmetic, with no I/O.

- After a success: the feed's interval, or longer when the feed asks (RSS ``ttl``, ``Cache-Control:
  max-age``), never past ``feed_max_backoff_s``.
- After an error: the interval doubled with each error in a row (``failures``), up to
  ``feed_max_backoff_s``; a ``Retry-After`` (429, 503) is honoured when it asks for longer, up to a week.
- Each host gets at most ``feed_host_rate`` requests a second, whatever feed or page they are for.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 7 * 86400.0
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.I)


def max_age_s(headers: Mapping[str, str]) -> float:
    """Seconds ``Cache-Control`` says the response stays fresh (0 when it says nothing or ``no-cache``)."""
    value = headers.get("cache-control", "")
    if re.search(r"no-cache|no-store", value, re.I):
        return 0.0
    ages = [int(m) for m in _MAX_AGE.findall(value)]
    return float(max(ages)) if ages else 0.0


def retry_after_s(value: str, now: float) -> float:
    """Seconds a ``Retry-After`` header asks to wait: a number of seconds or an HTTP date (0 when unreadable)."""
    value = (value or "").strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER_S)


def after_success(interval_s: float, ttl_s: float, max_age: float, max_backoff_s: float) -> float:
    """Seconds until the next poll of a feed that answered."""
    return min(max(interval_s, ttl_s, max_age), max(max_backoff_s, interval_s))


def after_error(interval_s: float, failures: int, max_backoff_s: float, retry_after: float = 0.0) -> float:
    """Seconds until the next poll of a feed that failed ``failures`` times in a row (1 or more)."""
    backoff = min(interval_s * 2 ** max(1, failures), max(max_backoff_s, interval_s))
    return max(backoff, retry_after)


def iso(at: float) -> str:
    """A Unix time as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def unix(value: str) -> float:
    """An ISO 8601 time as Unix time (0 for '', which is always due)."""
    if not value:
        return 0.0
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return 0.0


class HostPacer:
    """At most ``rate`` requests per second to each host: ``pace(host)`` waits for that host's next turn."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._gap = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, in all

    def __call__(self, host: str) -> None:
        with self._lock:
            now = self._clock()
            turn = max(now, self._next.get(host, now))
            self._next[host] = turn + self._gap
        if turn > now:
            self.waited += turn - now
            self._sleep(turn - now)
