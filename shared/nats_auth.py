"""NATS identities and permissions: the one source of truth for who may publish and read what.

Every app connects as its own user (`gateway`, `applications`, `scoring`, `disbursement`,
`monitoring`); outside systems as `finance` (publishes `edf.finance.>`, reads payment instructions
through its own durable consumers) or `reader` (reads the streams that carry no payee data);
operators as `ops` (everything, including deleting a stream). What an app may consume is read
from its `consumers.SUBSCRIPTIONS` (its durable consumers are named by `durable_name`), so that
the permissions cannot drift from the code.

Everyone but `ops` may subscribe only to its own inbox (`_INBOX_<user>.>`: the replies of its
JetStream requests and pulls; see `inbox_prefix`), never to an `edf.>` subject itself, and may
never delete or purge a stream nor get a message of one that carries payee data by sequence.

`python -m shared.nats_auth` writes the server's `authorization` block to `deploy/nats/auth.conf`
(the shipped config: compose, Kubernetes, `make run` and the tests use that file). Its passwords
are variables (`$EDF_NATS_<USER>_PASSWORD`) that nats-server reads from its environment.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import ssl
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

APP_USERS = ("gateway", "applications", "scoring", "disbursement", "monitoring")
FINANCE = "finance"
READER = "reader"
OPS = "ops"
USERS = (*APP_USERS, FINANCE, READER, OPS)
OUTSIDE_USERS = (FINANCE, READER)  # the local stack writes their connection files (var/nats/<user>.json)

API = "$JS.API"
INSTRUCTIONS_STREAM = "EDF_DISBURSEMENT"
FINANCE_STREAM = "EDF_FINANCE"
# The finance user's durable consumers on EDF_DISBURSEMENT and the one subject each may follow
# (`edf finance-sim` uses `finance-sim` and `finance-sim-rejections`; a real system `finance`...).
FINANCE_CONSUMERS = {
    "finance": "edf.disbursement.payment.instructed.v1",
    "finance-rejections": "edf.disbursement.finance_report.rejected.v1",
    "finance-sim": "edf.disbursement.payment.instructed.v1",
    "finance-sim-rejections": "edf.disbursement.finance_report.rejected.v1",
}
AUTH_CONF = Path(__file__).resolve().parents[1] / "deploy" / "nats" / "auth.conf"
# Kustomize reads only files below its folder: the Kubernetes base has a copy.
AUTH_CONF_COPIES = (AUTH_CONF, AUTH_CONF.parents[1] / "kubernetes" / "base" / "auth.conf")


def inbox_prefix(user: str | None) -> str:
    """The inbox prefix a user's client uses (nats-py `inbox_prefix`); `_INBOX` without a user."""
    return f"_INBOX_{user}" if user else "_INBOX"


def password_variable(user: str) -> str:
    """The environment variable the shipped server config reads a user's password from."""
    return f"EDF_NATS_{user.upper()}_PASSWORD"


@dataclass(frozen=True)
class Permissions:
    publish_allow: tuple[str, ...]
    publish_deny: tuple[str, ...] = ()
    subscribe_allow: tuple[str, ...] = ()

    def as_config(self) -> dict[str, Any]:
        publish: dict[str, Any] = {"allow": list(self.publish_allow)}
        if self.publish_deny:
            publish["deny"] = list(self.publish_deny)
        return {"publish": publish, "subscribe": {"allow": list(self.subscribe_allow)}}


def stream_of(producer: str) -> str:
    from shared.topology import stream_name

    return stream_name(producer)


def owned_streams(app: str) -> tuple[str, ...]:
    """The streams an app creates and keeps up to date at its start (`shared.topology`): its own,
    and for disbursement EDF_FINANCE too (it consumes what finance systems publish there)."""
    if app not in APP_USERS:
        raise ValueError(f"{app!r} is no app")
    return (stream_of(app), FINANCE_STREAM) if app == "disbursement" else (stream_of(app),)


@cache
def consumed(app: str) -> tuple[tuple[str, str], ...]:
    """`(stream, durable)` of each durable consumer of an app, from its `consumers.SUBSCRIPTIONS`
    (read by name, as `shared.migrate` finds migrations: the library imports no service)."""
    from shared.inbox.consumer import durable_name
    from shared.migrate import APPS
    from shared.topology import stream_for_subject

    try:
        module = importlib.import_module(f"{APPS[app]}.consumers")
    except ModuleNotFoundError as exc:
        if exc.name != f"{APPS[app]}.consumers":
            raise
        return ()  # this app consumes no events (the gateway)
    streams = sorted({stream_for_subject(s.subject) for s in module.SUBSCRIPTIONS})
    return tuple((stream, durable_name(app, stream)) for stream in streams)


@cache
def sensitive_streams() -> tuple[str, ...]:
    """Streams that hold an event whose class carries payee data (`carries_payee_data`)."""
    from shared.events.catalogue import CATALOGUE
    from shared.topology import stream_for_subject

    return tuple(sorted({stream_for_subject(e.subject) for e in CATALOGUE if e.carries_payee_data}))


def readable_streams() -> tuple[str, ...]:
    """The streams the `reader` user may consume: every EDF stream without payee data."""
    from shared.topology import PRODUCERS

    return tuple(s for s in (stream_of(p) for p in PRODUCERS) if s not in sensitive_streams())


def _denied_to_all() -> list[str]:
    denied = [f"{API}.STREAM.DELETE.>", f"{API}.STREAM.PURGE.>", f"{API}.STREAM.MSG.DELETE.>"]
    for stream in sensitive_streams():  # no message by sequence or subject: only through a consumer
        denied += [f"{API}.STREAM.MSG.GET.{stream}", f"{API}.DIRECT.GET.{stream}", f"{API}.DIRECT.GET.{stream}.>"]
    return denied


def _own_consumer(stream: str, durable: str) -> list[str]:
    return [
        f"{API}.CONSUMER.CREATE.{stream}.{durable}",
        f"{API}.CONSUMER.CREATE.{stream}.{durable}.>",
        f"{API}.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"{API}.CONSUMER.INFO.{stream}.{durable}",
        f"{API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    ]


def app_permissions(app: str) -> Permissions:
    allow = [f"edf.{app}.>"]
    for stream in owned_streams(app):
        allow += [f"{API}.STREAM.INFO.{stream}", f"{API}.STREAM.CREATE.{stream}", f"{API}.STREAM.UPDATE.{stream}"]
    for stream, durable in consumed(app):
        allow += _own_consumer(stream, durable)
    return Permissions(tuple(allow), tuple(_denied_to_all()), (f"{inbox_prefix(app)}.>",))


def finance_permissions() -> Permissions:
    """Publishes `edf.finance.>`; reads only through its own consumers, each created with the
    one subject it may follow in the request's subject (the server checks that it is the filter)."""
    allow = [f"edf.{FINANCE}.>"]
    for durable, subject in FINANCE_CONSUMERS.items():
        allow += [
            f"{API}.CONSUMER.CREATE.{INSTRUCTIONS_STREAM}.{durable}.{subject}",
            f"{API}.CONSUMER.INFO.{INSTRUCTIONS_STREAM}.{durable}",
            f"{API}.CONSUMER.MSG.NEXT.{INSTRUCTIONS_STREAM}.{durable}",
            f"$JS.ACK.{INSTRUCTIONS_STREAM}.{durable}.>",
        ]
    return Permissions(tuple(allow), tuple(_denied_to_all()), (f"{inbox_prefix(FINANCE)}.>",))


def reader_permissions() -> Permissions:
    """Any consumer of its own on the streams without payee data; never one of the apps'
    durable consumers (pulling or acking one would take events away from the app)."""
    allow: list[str] = []
    deny = _denied_to_all()
    readable = readable_streams()
    for stream in readable:
        allow += [
            f"{API}.STREAM.INFO.{stream}",
            f"{API}.STREAM.MSG.GET.{stream}",
            f"{API}.DIRECT.GET.{stream}",
            f"{API}.DIRECT.GET.{stream}.>",
            f"{API}.CONSUMER.CREATE.{stream}",
            f"{API}.CONSUMER.CREATE.{stream}.*",
            f"{API}.CONSUMER.CREATE.{stream}.*.>",
            f"{API}.CONSUMER.DURABLE.CREATE.{stream}.*",
            f"{API}.CONSUMER.INFO.{stream}.*",
            f"{API}.CONSUMER.DELETE.{stream}.*",
            f"{API}.CONSUMER.MSG.NEXT.{stream}.*",
            f"$JS.ACK.{stream}.>",
        ]
    for app in APP_USERS:
        for stream, durable in consumed(app):
            if stream in readable:
                deny += [s for s in _own_consumer(stream, durable) if ".INFO." not in s]
                deny.append(f"{API}.CONSUMER.DELETE.{stream}.{durable}")
    return Permissions(tuple(allow), tuple(deny), (f"{inbox_prefix(READER)}.>",))


def permissions(user: str) -> Permissions | None:
    """A user's permissions; None for `ops` (no restriction)."""
    if user in APP_USERS:
        return app_permissions(user)
    if user == FINANCE:
        return finance_permissions()
    if user == READER:
        return reader_permissions()
    if user == OPS:
        return None
    raise ValueError(f"unknown NATS user {user!r}")


def authorization_block() -> str:
    """The server's `authorization` block, passwords read from `$EDF_NATS_<USER>_PASSWORD`."""
    lines = [
        "# Generated by `python -m shared.nats_auth` from shared/nats_auth.py: do not edit by hand.",
        "# Each user's password is read from the server's environment ($EDF_NATS_<USER>_PASSWORD);",
        "# a missing variable stops the server from starting (docs/deploy.md).",
        "authorization {",
        "  users = [",
    ]
    for user in USERS:
        rules = permissions(user)
        lines += [f"    {{user: {json.dumps(user)}, password: ${password_variable(user)}"]
        if rules is None:
            lines.append("     # no permissions: everything (operators only)")
        else:
            lines.append("     permissions: {")
            for direction, kinds in rules.as_config().items():
                lines.append(f"       {direction}: {{")
                for kind, subjects in kinds.items():
                    lines.append(f"         {kind}: [")
                    lines += [f"           {json.dumps(subject)}" for subject in subjects]
                    lines.append("         ]")
                lines.append("       }")
            lines.append("     }")
        lines.append("    }")
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def generate_password() -> str:
    """Letters and digits, starting with a letter: nats-server parses a variable's value as a
    config value, so a password must read as a plain string there (docs/deploy.md)."""
    return "edf" + secrets.token_hex(24)


def generate_passwords() -> dict[str, str]:
    return {user: generate_password() for user in USERS}


def server_environment(passwords: Mapping[str, str]) -> dict[str, str]:
    """The variables nats-server needs to read the shipped `auth.conf`."""
    return {password_variable(user): passwords[user] for user in USERS}


@dataclass(frozen=True)
class NatsLogin:
    """How a client authenticates and verifies the server: the options of `nats.connect`."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_ca_file: Path | None = None

    def connect_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"inbox_prefix": inbox_prefix(self.user)}
        if self.user:
            options.update(user=self.user, password=self.password or "")
        if self.tls_ca_file is not None:
            options["tls"] = ssl.create_default_context(cafile=str(self.tls_ca_file))
        return options


def write_private(path: Path, text: str) -> None:
    """Writes a file only its owner can read (mode 0600), replacing it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def credentials_document(url: str, user: str, password: str) -> dict[str, str]:
    """A connection file as CONTRACT.md describes it (`var/nats/finance.json`)."""
    return {"url": url, "user": user, "password": password}


def read_credentials(path: Path) -> tuple[str | None, NatsLogin]:
    """The URL and login of a connection file `{"url", "user", "password"}`."""
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or "user" not in document:
        raise ValueError(f"{path}: not a NATS connection file with a user and password")
    return document.get("url"), NatsLogin(str(document["user"]), str(document.get("password", "")))


def write_auth_conf(path: Path = AUTH_CONF) -> bool:
    """Writes the generated block; True when the file changed."""
    text = authorization_block()
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def main(argv: Sequence[str] = ()) -> int:
    for path in AUTH_CONF_COPIES:
        print(f"{path}: {'written' if write_auth_conf(path) else 'up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
