"""Staff sign-in with a second factor for the tools that drive a stack (end-to-end tests, the
bench, the chaos run, the demo): staff accounts are enrolled in TOTP on their first sign-in and
sign in with a code from then on, since money and award routes refuse a token without one.

The secrets of a stack's accounts are kept in its var dir (`totp-secrets.json`, mode 0600;
a development stack's throw-away accounts only), with the last step used, so that the next
process that signs the same account in (the demo, then a test) never reuses a code.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt

from shared.totp import CodeSource

STORE_FILE = "totp-secrets.json"
STAFF_ROLES = frozenset({"officer", "committee", "finance", "monitor", "admin", "intake"})

_STORES: dict[Path, TotpStore] = {}
_STORES_LOCK = threading.Lock()
Send = Callable[..., Awaitable[httpx.Response]]  # (method, path, **httpx kwargs) -> response


class TotpStore:
    """Per email, the secret and the last step used, in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def of(cls, var_dir: Path) -> TotpStore:
        """The one store of this var dir in this process (one lock for its threads)."""
        path = (var_dir / STORE_FILE).resolve()
        with _STORES_LOCK:
            return _STORES.setdefault(path, cls(path))

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data: dict[str, dict[str, Any]] = json.loads(self.path.read_text())
            return data
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(data, file)
        temporary.replace(self.path)

    def next_code(self, email: str) -> str | None:
        """A code the gateway has not seen for this account (None for an unknown one)."""
        with self._lock:
            data = self._read()
            entry = data.get(email.lower())
            if entry is None:
                return None
            source = CodeSource(entry["secret"], entry.get("last_step"))
            code = source.next_code()
            entry["last_step"] = source.last_step
            self._write(data)
            return code

    def save(self, email: str, secret: str) -> None:
        with self._lock:
            data = self._read()
            data[email.lower()] = {"secret": secret, "last_step": None}
            self._write(data)


def has_second_factor(token: str) -> bool:
    """Whether the gateway's token says `amr` "otp" (read, not verified: the gateway just sent it).
    A known account of another stack's database (the same email) is enrolled again."""
    claims = jwt.decode(token, options={"verify_signature": False})
    amr = claims.get("amr")
    return isinstance(amr, list) and "otp" in amr


def _form(email: str, password: str, code: str | None) -> dict[str, str]:
    return {"username": email, "password": password, **({"totp": code} if code else {})}


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        request = response.request
        raise RuntimeError(f"{request.method} {request.url.path}: {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body


def sign_in(
    client: httpx.Client, store: TotpStore, email: str, password: str, enrol: bool = True, prefix: str = ""
) -> str:
    """An access token; a staff account is enrolled first when `enrol` and it has no second factor
    yet. `client`'s base URL and `prefix` make the gateway's `/api/v1`."""
    signed = _ok(client.post(f"{prefix}/auth/token", data=_form(email, password, store.next_code(email))))
    token: str = signed["access_token"]
    if not enrol or has_second_factor(token):
        return token
    headers = {"Authorization": f"Bearer {token}"}
    if _ok(client.get(f"{prefix}/auth/me", headers=headers))["role"] not in STAFF_ROLES:
        return token
    started = _ok(client.post(f"{prefix}/auth/totp", headers=headers))
    store.save(email, started["secret"])
    _ok(client.post(f"{prefix}/auth/totp/confirm", headers=headers, json={"code": store.next_code(email)}))
    again = _ok(client.post(f"{prefix}/auth/token", data=_form(email, password, store.next_code(email))))
    token = again["access_token"]
    return token


async def sign_in_async(send: Send, store: TotpStore, email: str, password: str, enrol: bool = True) -> str:
    """`sign_in` through the caller's own request function (its retries, its limits): `send(method,
    path, **kwargs)` answers a response whose status the caller accepted."""
    code = await _next_code(store, email)
    signed = _ok(await send("POST", "/auth/token", data=_form(email, password, code)))
    token: str = signed["access_token"]
    if not enrol or has_second_factor(token):
        return token
    headers = {"Authorization": f"Bearer {token}"}
    if _ok(await send("GET", "/auth/me", headers=headers))["role"] not in STAFF_ROLES:
        return token
    started = _ok(await send("POST", "/auth/totp", headers=headers))
    store.save(email, started["secret"])
    confirm = {"code": await _next_code(store, email)}
    _ok(await send("POST", "/auth/totp/confirm", headers=headers, json=confirm))
    code = await _next_code(store, email)
    again: str = _ok(await send("POST", "/auth/token", data=_form(email, password, code)))["access_token"]
    return again


async def _next_code(store: TotpStore, email: str) -> str | None:
    return await asyncio.to_thread(store.next_code, email)  # it may sleep until the next step
