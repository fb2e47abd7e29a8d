"""Bytes to text: encoding sniffing (BOMs, UTF-8, BOM-less UTF-16, legacy code pages), declared charsets,
and refusing binary or empty data."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from archive.errors import InputError

BINARY = "looks like binary data, not text"

# UTF-32 LE starts with the UTF-16 LE BOM, so it must be tested first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.10
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MIN_UTF8_SHARE = 0.8  # of the non-ASCII bytes, for a file with stray legacy bytes to count as UTF-8


def _cp1252_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error("archive-cp1252-fallback", _cp1252_fallback)


def decode_bytes(data: bytes) -> str:
    """Decode text of unknown encoding; raise InputError for empty, whitespace-only or binary data."""
    if not data:
        raise InputError("empty file")
    text = _decode_unicode(data)
    if text is None:
        if b"\x00" in data:  # no 8-bit text encoding puts NUL bytes in prose
            raise InputError(BINARY)
        text = _decode_legacy(data)
    return _checked_text(text)


def _decode_unicode(data: bytes) -> str | None:
    bom_codec = bom_codec_of(data)
    if bom_codec:
        return data.decode(bom_codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = utf16_codec_of(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            return None
    if _mostly_utf8(data):
        # UTF-8 text with a pasted-in legacy passage: read the stray bytes as cp1252, not the whole file.
        return data.decode("utf-8", errors="archive-cp1252-fallback")
    return None


def _mostly_utf8(data: bytes) -> bool:
    high = len(data) - len(_HIGH_BYTE.sub(b"", data))
    in_sequences = len(data) - len(_UTF8_SEQUENCE.sub(b"", data))
    return high > 0 and in_sequences >= _MIN_UTF8_SHARE * high


def bom_codec_of(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def utf16_codec_of(data: bytes) -> str | None:
    """Guess BOM-less UTF-16 from where the NUL bytes of ASCII characters fall."""
    sample = data[:4096]
    half = len(sample) // 2
    if half == 0:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _decode_legacy(data: bytes) -> str:
    # charset_normalizer misreads short Western text (e.g. as cp1125), and cp1252 is by far the most
    # common legacy encoding of news text, so it gets the first try when its decoding reads cleanly.
    for isolation in (["cp1252"], None):
        match = charset_normalizer.from_bytes(data, cp_isolation=isolation).best()
        if match is not None:
            return str(match)
    return data.decode("cp1252", errors="replace")


def _checked_text(text: str) -> str:
    if looks_binary(text):
        raise InputError(BINARY)
    if not text.strip():
        raise InputError("no text (whitespace only)")
    return text


def looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = len(text) - len(_CONTROL.sub("", text))
    return controls > _MAX_CONTROL_SHARE * len(text)


def decode_declared(data: bytes, charset: str | None) -> str:
    """Decode with a charset the input declared (HTTP header, HTML meta), unless a BOM or valid UTF-8 overrides it."""
    codec = _usable_codec(charset)
    # Non-ASCII text is almost never valid UTF-8 by accident, while stale charset labels are common.
    if codec and data and not bom_codec_of(data) and not _is_utf8(data):
        try:
            return _checked_text(data.decode(codec))
        except (UnicodeDecodeError, LookupError):  # LookupError: a label like "base64" is no text codec
            pass
    return decode_bytes(data)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _usable_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip()).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # without a BOM such labels are usually wrong; decode_bytes sniffs real UTF-16
    # Browsers read latin-1 and ASCII labels as windows-1252; pages rely on it for curly quotes.
    return "cp1252" if name in ("iso8859-1", "latin-1", "ascii") else name


def declared_html_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None
