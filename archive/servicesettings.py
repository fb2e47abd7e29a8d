"""The settings of the services that run beside the app: the feed poller and the HTTP API.

Two groups of the one ``Settings`` object (archive/settings.py composes them, ``GROUPS`` lists them); kept
here so that each settings module stays small. Every field is ``ARCHIVE_<NAME>`` like the others.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class FeedSettings(BaseModel):
    """Feeds: subscriptions and the poller."""

    poll_feeds: bool = Field(
        default=False,
        description="`make run` also starts the feed poller (`python -m ingest watch`) beside the app, and stops it "
        "with the app. Off: feeds are polled only when `python -m ingest watch` runs (or cron runs `--once`).",
    )

    feed_interval_s: float = Field(
        default=900.0, ge=10,
        description="How often each feed is polled; a feed's RSS `ttl` or `Cache-Control: max-age` may ask for longer.",
    )

    feed_max_backoff_s: float = Field(
        default=86400.0, ge=10,
        description="Longest wait before polling a feed again after errors (the wait doubles with each failure in a "
        "row, from `ARCHIVE_FEED_INTERVAL_S`; a server's `Retry-After` may ask for longer).",
    )

    feed_host_rate: float = Field(
        default=2.0, gt=0,
        description="Most requests per second the poller sends to one host (feeds and the pages their entries link to).",
    )

    feed_max_entries: int = Field(
        default=500, ge=1,
        description="Entries read from one feed per poll (its first, which feeds list newest first); the rest of a "
        "longer feed is read on the next polls.",
    )

    feed_cycle_max_feeds: int = Field(
        default=500, ge=1,
        description="Feeds polled in one cycle of the poller, most overdue first; the others wait for the next cycle.",
    )


class ApiSettings(BaseModel):
    """The HTTP API (`python -m archive serve`, docs/api.md): where it listens and what it bounds."""

    api_host: str = Field(default="127.0.0.1", description="Address the HTTP API listens on (`--host`); 127.0.0.1 "
                          "keeps it on this machine.")

    api_port: int = Field(default=8700, ge=1, le=65535, description="Port of the HTTP API (`--port`).")

    api_docs: bool = Field(default=True, description="Serve the OpenAPI docs page at /docs (Swagger UI from the "
                           "swagger-ui-bundle package, nothing loaded from elsewhere); /openapi.json is always served.")

    api_max_body_kb: int = Field(default=10240, ge=1, description="Largest request body, in KB (posted records); "
                                 "larger is refused with 413.")

    api_max_k: int = Field(default=100, ge=1, description="Largest `k` a search or look-up may ask for; larger is "
                           "refused with 400.")

    api_timeout_s: float = Field(default=60.0, gt=0, description="Longest a request may take to answer (an ingest "
                                 "of a URL, a long answer); past it the client gets 503 (work already begun, such as an ingest, "
                                 "still finishes).")

    api_body_timeout_s: float = Field(default=10.0, gt=0, description="Longest a client may take to send its request "
                                      "(its headers, then its body); a client that sends slowly gets 408 and is "
                                      "disconnected.")

    api_rate_per_s: float = Field(default=20.0, gt=0, description="Requests per second each client address may make "
                                  "on average; more get 429 with Retry-After.")

    api_rate_burst: int = Field(default=40, ge=1, description="Requests a client address may make at once above "
                                "the average rate.")
