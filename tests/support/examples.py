"""The secret-looking values of the repository's example files (README, docs, compose, deploy/):
what `shared.example_secrets.EXAMPLE_SECRETS` must hold, so that production refuses each.

A value is taken from `NAME=value` or `NAME: value` where NAME says secret, password, token,
key, seed or credential (not a `_FILE`/`_DIR` path, not a reference to another variable), and
from the password of every `scheme://user:password@host` URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

SECRET_NAME = re.compile(r"(secret|passw|pwd|token|key|seed|credential|nkey)", re.IGNORECASE)
NOT_A_SECRET = re.compile(r"(_file|_dir|_path|_ref|_url|keyref|_type|_email|_id|name|topologykey|_s)$", re.IGNORECASE)
ASSIGNMENT = re.compile(r"""(?<![\w.-])([A-Za-z_][A-Za-z0-9_]*)["']?[ \t]*[=:][ \t]*["']?([^\s"'`|,;)\]}]+)""")
URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s:/@'\"`]+:([^\s@/'\"`]+)@", re.IGNORECASE)
# A reference to another value, a variable's name, a number, a boolean, a label (`app.kubernetes.io/name`).
REFERENCE = re.compile(
    r"^(\$|\{|\[|<|\*|&|\?|https?://|/)|^[A-Z][A-Z0-9_]*$|^[\d.]+$|^(true|false)$|^[a-z0-9.-]+\.[a-z]{2,}/"
)
SUFFIXES = {".md", ".example", ".yml", ".yaml", ".conf", ".sh", ".env", ".txt", ".json"}


def example_files(root: Path) -> Iterator[Path]:
    yield root / "README.md"
    yield root / "docker-compose.yml"
    for folder in ("docs", "deploy"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and (path.suffix in SUFFIXES or path.name.endswith(".example")):
                yield path


def _is_value(value: str) -> bool:
    return len(value) >= 4 and not REFERENCE.search(value)


def values_in(text: str) -> set[str]:
    found = {m.group(1) for m in URL_PASSWORD.finditer(text) if _is_value(m.group(1))}
    for name, value in ASSIGNMENT.findall(text):
        if SECRET_NAME.search(name) and not NOT_A_SECRET.search(name) and _is_value(value):
            found.add(value)
    return found


def example_values(root: Path) -> dict[str, set[Path]]:
    """Each value found, with the files it is in."""
    found: dict[str, set[Path]] = {}
    for path in example_files(root):
        for value in values_in(path.read_text(errors="replace")):
            found.setdefault(value, set()).add(path.relative_to(root))
    return found
