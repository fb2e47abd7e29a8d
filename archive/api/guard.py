"""What every request passes before the API reads it: the archive is open, the client is within its rate,
and its body is within the size bound and arrives in time.

A plain ASGI middleware (below FastAPI's routing), so a refused request costs no parsing: a body over
the bound is refused from its Content-Length before it is read, or as soon as the bytes read pass it
(chunked bodies); a client that sends its body slower than ``api_body_timeout_s`` gets 408. A slow
client holds only its own connection: uvicorn serves every other client meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable

from starlette.exceptions import HTTPException

from archive.settings import Settings

_MAX_CLIENTS = 10_000  # buckets kept; the least recently seen are forgotten past it (a full bucket is no loss)


class RateLimiter:
    """A token bucket per client: ``rate`` requests a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it could."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if not wait else tokens, now)  # re-inserted: most recent last
            if len(self._buckets) > _MAX_CLIENTS:
                self._buckets.pop(next(iter(self._buckets)))
            return wait


class TooLarge(HTTPException):
    """A body that passed the bound while it was read (an HTTPException, so FastAPI's body parsing lets it through)."""

    def __init__(self, max_kb: int):
        super().__init__(413, f"the request body is over {max_kb} KB (ARCHIVE_API_MAX_BODY_KB)")


class SlowBody(HTTPException):
    def __init__(self, timeout_s: float):
        super().__init__(408, f"the request body did not arrive within {timeout_s:g} s (ARCHIVE_API_BODY_TIMEOUT_S)")


class Guard:
    """ASGI middleware: 503 until the archive is open, 429 over the rate, 413 over the size, 408 when slow."""

    def __init__(self, app, settings: Settings, ready: Callable[[], str | None]):
        self.app = app
        self.max_body = settings.api_max_body_kb * 1024
        self.body_timeout = settings.api_body_timeout_s
        self.limiter = RateLimiter(settings.api_rate_per_s, settings.api_rate_burst)
        self.ready = ready  # None when the archive is open, else why not (opening, rebuilding, failed)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"].startswith("/api/"):
            not_ready = self.ready()
            if not_ready is not None:
                return await _error(send, 503, not_ready, {"retry-after": "5"})
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.take(client)
        if wait:
            return await _error(send, 429, f"too many requests from {client}: at most "
                                f"{self.limiter.rate:g} a second; try again in {wait:.1f} s",
                                {"retry-after": str(max(1, round(wait)))})
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await _error(send, 413, f"the request body is over {self.max_body // 1024} KB "
                                "(ARCHIVE_API_MAX_BODY_KB)")
        started, seen, sent = time.monotonic(), 0, False

        async def bounded_receive():
            nonlocal seen
            left = self.body_timeout - (time.monotonic() - started)
            try:
                message = await asyncio.wait_for(receive(), timeout=max(left, 0.001))
            except TimeoutError:
                raise SlowBody(self.body_timeout) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise TooLarge(self.max_body // 1024)
            return message

        async def tracking_send(message):
            nonlocal sent
            if message["type"] == "http.response.start":
                sent = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except (TooLarge, SlowBody) as e:  # raised where no route read the body (FastAPI's handlers answer the rest)
            if not sent:
                await _error(send, e.status_code, e.detail)


async def _error(send, status: int, message: str, extra: dict[str, str] | None = None) -> None:
    """A JSON error response, as every error of the API is: {"error": message, "status": status}."""
    body = json.dumps({"error": message, "status": status}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    if status in (408, 413):
        headers.append((b"connection", b"close"))  # the rest of the body is not read: the connection cannot go on
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
