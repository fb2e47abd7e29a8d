"""One spelling per link: the same article reached through two feeds, or with another tracking parameter,
has one canonical URL, and so one origin and one article id."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that say who sent the reader, never which page it is (analytics and ad-click ids).
_TRACKING = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "cmpid", "ncid", "ocid",
    "s_cid", "sr_share", "guccounter", "guce_referrer", "guce_referrer_sig", "at_medium", "at_campaign",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking(name: str) -> bool:
    """Whether a query parameter only tracks the visit."""
    lower = name.lower()
    return lower in _TRACKING or lower.startswith(_TRACKING_PREFIXES)


def canonical_link(url: str) -> str:
    """``url`` with its scheme and host in lower case, no default port, no fragment and no tracking
    parameters (the others keep their order); a string that is no http(s) URL comes back stripped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query, doseq=True), ""))
