"""NATS users for the local stack: a password per user of `shared.nats_auth`, generated once into
`var/nats/passwords.json` (mode 0600) and reused; the server reads the shipped
`deploy/nats/auth.conf` (copied beside its config) with the passwords in its environment; each app
gets its own user (EDF_NATS_USER, EDF_NATS_PASSWORD); and the connection files of the outside
users and of the operators are written as CONTRACT.md describes them: `var/nats/finance.json`,
`var/nats/reader.json`, `var/nats/ops.json` (`{"url", "user", "password"}`, mode 0600)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from shared.nats_auth import (
    AUTH_CONF,
    OPS,
    OUTSIDE_USERS,
    USERS,
    credentials_document,
    generate_password,
    server_environment,
    write_private,
)

PASSWORDS = "passwords.json"
INCLUDE = 'include "auth.conf"\n'


def local_passwords(folder: Path) -> dict[str, str]:
    """Every user's password, generated on the first run (a user added later gets one then)."""
    path = folder / PASSWORDS
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if missing := [user for user in USERS if user not in known]:
        known.update({user: generate_password() for user in missing})
        write_private(path, json.dumps(known, indent=2) + "\n")
    return known


def server_files(folder: Path, passwords: dict[str, str]) -> dict[str, str]:
    """Copies the shipped authorization beside the server's config; returns the server's env."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(AUTH_CONF, folder / "auth.conf")
    return server_environment(passwords)


def write_single_config(folder: Path) -> Path:
    """The single server's config file: the authorization only (the rest are flags)."""
    path = folder / "edf.conf"
    path.write_text("# Written by the local stack (devstack.natsauth).\n" + INCLUDE)
    return path


def write_client_files(folder: Path, url: str, passwords: dict[str, str]) -> None:
    for user in (*OUTSIDE_USERS, OPS):
        write_private(folder / f"{user}.json", json.dumps(credentials_document(url, user, passwords[user])) + "\n")


def remove_client_files(folder: Path) -> None:
    """The connection files of an earlier run with users (a NATS started without any now)."""
    for user in (*OUTSIDE_USERS, OPS):
        (folder / f"{user}.json").unlink(missing_ok=True)


def app_environment(app: str, passwords: dict[str, str]) -> dict[str, str]:
    return {"EDF_NATS_USER": app, "EDF_NATS_PASSWORD": passwords[app]}


def ops_url(url: str, folder: Path) -> str:
    """`url` (one server or a cluster's, comma-separated) as the `ops` user of `folder`'s files."""
    password = local_passwords(folder)[OPS]
    return ",".join(part.replace("nats://", f"nats://{OPS}:{password}@", 1) for part in shown_url(url).split(","))


def shown_url(url: str) -> str:
    """`url` without the credentials in it, to print."""

    def plain(part: str) -> str:
        scheme, _, rest = part.rpartition("://")
        return f"{scheme}://{rest.split('@', 1)[-1]}" if scheme else rest.split("@", 1)[-1]

    return ",".join(plain(part.strip()) for part in url.split(","))
