"""Which network addresses a URL fetch may connect to, checked on the socket each connection opens.

The app lets whoever can type a URL make the server fetch it. A check of the name before the fetch is
not enough: a redirect, or a name that resolves to another address a moment later (DNS rebinding),
can still lead the fetch to 127.0.0.1 (a Chroma server), 192.168.* or a cloud's metadata service on
169.254.169.254. So the check runs where the fetch connects: inside ``public_addresses_only()`` every
connection ``ingest.readers.html`` opens (the first and each redirect's) is refused unless the address
the socket actually reached is public. Outside it (the command-line ingest) nothing is checked.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
from collections.abc import Callable, Iterator

Classifier = Callable[[str], str]


def address_kind(ip: str) -> str:
    """'' for a public address, else what it is: 'loopback', 'private', 'link-local' or 'reserved'."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    return "" if address.is_global else "reserved"


class AddressRefused(OSError):
    """A fetch's connection reached an address that is not public."""


_POLICY: contextvars.ContextVar[Classifier | None] = contextvars.ContextVar("url_address_policy", default=None)


@contextlib.contextmanager
def public_addresses_only(classify: Classifier = address_kind) -> Iterator[None]:
    """Within the block, URL fetches connect to public addresses only (``classify`` says what is not)."""
    token = _POLICY.set(classify)
    try:
        yield
    finally:
        _POLICY.reset(token)


def checked_connection(address: tuple[str, int], *args, **kwargs) -> socket.socket:
    """``socket.create_connection``, then the policy's verdict on the peer the socket is connected to."""
    sock = socket.create_connection(address, *args, **kwargs)
    classify = _POLICY.get()
    if classify is None:
        return sock
    peer = sock.getpeername()[0]
    kind = classify(peer)
    if kind:
        sock.close()
        named = address[0] if address[0] == peer else f"{address[0]} connected to {peer}, which"
        raise AddressRefused(f"{named} is a {kind} address (ARCHIVE_ALLOW_PRIVATE_URLS lets the app fetch it)")
    return sock
