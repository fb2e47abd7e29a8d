"""Which URLs the app fetches: public addresses only, also after a redirect, unless a setting allows more.

Whoever can type a URL on the Add page can make the server fetch it, so without a check a URL (or a
redirect from a public page) reaches what only the server can: a Chroma server on 127.0.0.1, a router
on 192.168.*, a cloud's metadata service on 169.254.169.254. ``url_refusal`` resolves the URL's host,
then follows its redirects one by one, resolving each target before it is requested, and says why the
first address that is not public is refused. ``ARCHIVE_ALLOW_PRIVATE_URLS`` turns the check off (an
archive of an intranet). This check says early and plainly why a URL is refused; what makes the
refusal hold is the same check on the socket of every connection ingest's fetch opens (the app ingests
inside ``ingest.readers.addresses.public_addresses_only``), so a server that answers this check with one
redirect and the fetch with another, or a name that resolves to another address a moment later, is
refused all the same.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from ingest.readers.addresses import address_kind

Resolver = Callable[[str, int], list[str]]
USER_AGENT = "news-archive/0.1"


class _Refused(Exception):
    """A redirect led to an address that is not public."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (none when it does not resolve)."""
    try:
        return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)))
    except (OSError, UnicodeError):
        return []


def host_refusal(url: str, resolver: Resolver = resolve) -> str:
    """Why the host of ``url`` may not be fetched ('' when every address it resolves to is public)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL with a host"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for ip in resolver(parts.hostname, port):
        kind = address_kind(ip)
        if kind:
            named = parts.hostname if parts.hostname == ip else f"{parts.hostname} resolves to {ip}, which"
            return f"{named} is a {kind} address"
    return ""


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, resolver: Resolver) -> None:
        super().__init__()
        self._resolver = resolver

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        reason = host_refusal(newurl, self._resolver)
        if reason:
            raise _Refused(f"{req.full_url} redirects to {newurl}, and {reason}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def url_refusal(url: str, timeout: float, resolver: Resolver = resolve) -> str:
    """Why ``url`` may not be fetched: '' when it and every redirect it leads to are on public addresses.

    A URL that cannot be fetched at all is not refused here: ingest reports why it failed.
    """
    reason = host_refusal(url, resolver)
    if reason:
        return reason
    opener = urllib.request.build_opener(_CheckedRedirects(resolver))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=timeout):
            pass  # the headers say where the redirects end; the body is ingest's to read
    except _Refused as e:
        return str(e)
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException):
        return ""
    return ""
