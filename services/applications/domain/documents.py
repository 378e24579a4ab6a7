"""Documents: what a file is judged by (its first bytes), and the name shown for it."""

from __future__ import annotations

import re
import unicodedata

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
SNIFF_BYTES = 8
KINDS = ("registration", "quote", "photo", "other")
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def content_type_of(head: bytes) -> str | None:
    """The type by magic bytes: the name and the declared type are not believed."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def display_name(raw: str | None) -> str:
    """The last path component, without control characters or path tricks, for display only."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:120] or "document"
