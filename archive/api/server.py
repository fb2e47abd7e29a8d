"""``python -m archive serve``: the API on uvicorn, one process, threads sharing one ``Archive``."""

from __future__ import annotations

import logging

from archive.settings import Settings

MAX_HEADER_BYTES = 16 * 1024  # a request's line and headers; past it h11 answers 431 and closes
KEEP_ALIVE_S = 5


def head_deadline(timeout_s: float):
    """uvicorn's HTTP/1.1 protocol with a deadline on a request's head (line and headers), which uvicorn has not.

    A client that sends its head a byte at a time would hold its connection for ever (slowloris); past
    ``timeout_s`` without a whole head it gets 408 and the connection closes. The body's deadline is
    the ASGI guard's (archive/api/guard.py), which has the request to answer.
    """
    import json

    from uvicorn.protocols.http.h11_impl import H11Protocol

    body = json.dumps({"error": f"the request did not arrive within {timeout_s:g} s (ARCHIVE_API_BODY_TIMEOUT_S)",
                       "status": 408}).encode("utf-8")
    answer = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
              + f"content-length: {len(body)}\r\n\r\n".encode() + body)

    class HeadDeadline(H11Protocol):
        _head_timer = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request's head, on a kept-alive connection, has the same deadline

        def connection_lost(self, exc) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(timeout_s, self._expired)

        def _expired(self) -> None:
            busy = self.cycle is not None and not self.cycle.response_complete
            if not busy and not self.transport.is_closing():  # no request under way: its head never came whole
                self.transport.write(answer)
                self.transport.close()

    return HeadDeadline


def config(settings: Settings, host: str, port: int, archive=None):
    """The uvicorn configuration of the API (tests start the same one on a free port)."""
    import uvicorn

    from archive.api.app import create_app

    return uvicorn.Config(create_app(settings, archive), host=host, port=port, log_level="info",
                          http=head_deadline(settings.api_body_timeout_s), timeout_keep_alive=KEEP_ALIVE_S,
                          h11_max_incomplete_event_size=MAX_HEADER_BYTES, access_log=False, server_header=False)


def serve(settings: Settings, host: str, port: int) -> int:
    """Run the API in the foreground until Ctrl+C."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("archive.api").warning("listening on %s: the API is reachable from other machines", host)
    print(f"serving the archive at http://{host}:{port}/api (docs at /docs); Ctrl+C stops", flush=True)
    uvicorn.Server(config(settings, host, port)).run()
    return 0
