"""Cached, shared resources for the Streamlit pages, admin unlocking, and safe text rendering."""

from __future__ import annotations

import hmac
import re

import streamlit as st

from archive import Archive, ArchiveStats, Settings
from ingest.readers.addresses import public_addresses_only

# Every character that can start Markdown syntax, and "&" so an entity in a title shows as written.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&=])")
# GitHub-flavoured Markdown links "https://…", "www.…" and "a@b.org" after parsing, whatever escapes they
# carry: such text is shown as inline code instead, which is never linked.
_AUTOLINKABLE = re.compile(r"(?i)(?:\bhttps?://|\bwww\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    """The settings, read once per server process from ``ARCHIVE_*`` variables."""
    return Settings()


class AppArchive(Archive):
    """The archive as the app uses it: whatever a user has it fetch connects to public addresses only, on
    every connection (redirects included), unless ``ARCHIVE_ALLOW_PRIVATE_URLS`` is set."""

    def ingest(self, *args, **kwargs):
        if self.settings.allow_private_urls:
            return super().ingest(*args, **kwargs)
        with public_addresses_only():
            return super().ingest(*args, **kwargs)

    def add_feed(self, *args, **kwargs):
        if self.settings.allow_private_urls:
            return super().add_feed(*args, **kwargs)
        with public_addresses_only():  # finding the feed fetches the typed URL (the poller guards its own fetches)
            return super().add_feed(*args, **kwargs)


@st.cache_resource(show_spinner="Opening the archive and loading the embedding model…")
def get_archive() -> Archive:
    """One Archive per server process; puts the sample articles in an empty, writable archive."""
    archive = AppArchive(get_settings())
    if not archive.settings.read_only:
        archive.seed_sample()
    return archive


@st.cache_data(ttl=30, show_spinner=False)
def get_stats() -> ArchiveStats:
    """Archive size and sources: a scan of every article's metadata, so kept for 30 s, not redone per rerun."""
    return get_archive().stats()


@st.cache_data(ttl=30, show_spinner=False)
def get_catalog() -> list[dict]:
    """Every article's metadata (no text) as plain rows, for the library table and charts."""
    return [a.to_dict(with_text=False) for a in get_archive().articles()]


def forget_cached_data() -> None:
    """After an ingest: the next page shows the new articles at once."""
    get_stats.clear()
    get_catalog.clear()


def admin_password() -> str:
    """The admin password from ``st.secrets["admin_password"]``, or "" when none is configured."""
    try:
        return str(st.secrets.get("admin_password", "") or "")
    except Exception:  # noqa: BLE001 - no secrets.toml at all is the normal case
        return ""


def unlock_admin(password: str) -> bool:
    """Mark this session as admin when ``password`` matches the configured one (constant-time compare)."""
    expected = admin_password()
    ok = bool(expected) and hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
    if ok:
        st.session_state["admin"] = True
    return ok


def is_admin() -> bool:
    return bool(st.session_state.get("admin"))


def ingest_allowed() -> bool:
    """Ingest is open unless the archive is read-only and this session has not unlocked it."""
    return not get_settings().read_only or is_admin()


# Result cards are containers keyed "result-<n>": their title links read at least as large as body text
# (a page link is drawn smaller by default) and wrap instead of being cut. Our own constant CSS.
_RESULT_TITLE_CSS = """<style>
[class*="st-key-result-"] [data-testid="stPageLink-NavLink"] p { font-size: 1.125rem; line-height: 1.4; }
[class*="st-key-result-"] [data-testid="stPageLink-NavLink"] * { white-space: normal; text-overflow: clip; }
</style>"""


def result_title_style() -> None:
    """Make the title links of result cards ("result-<n>" containers) no smaller than the text under them, whole."""
    st.html(_RESULT_TITLE_CSS)


def delete_allowed() -> bool:
    """Deleting articles needs admin mode; an archive that is writable and has no admin password is one
    person's own, whose user is its admin."""
    return is_admin() or (not get_settings().read_only and not admin_password())


def escape_markdown(text: str) -> str:
    """Article text shown as literal text: no Markdown, no HTML from the article is ever interpreted, and
    no URL or e-mail address becomes a link."""
    out, pos = [], 0
    for m in _AUTOLINKABLE.finditer(text):
        out += [_escaped(text[pos:m.start()]), _code(m.group(0))]
        pos = m.end()
    out.append(_escaped(text[pos:]))
    return "".join(out)


def _escaped(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def _code(text: str) -> str:
    """``text`` as an inline code span, fenced by more backticks than any run inside it."""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"

