"""`docs/api.md` from the merged OpenAPI document the gateway serves at `/openapi.json`.

Every app is built in-process (no database is opened, no server started) and the gateway's own
merger joins their documents, so the page lists exactly the routes, bodies and answers of the
API. `python -m cli.api_doc` rewrites the page; `tests/contract/test_api_doc.py` fails when the
committed page is stale.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path
from typing import Any

from gateway.openapi import Document, merged_document
from shared.jwk import generate_signing_key, write_jwks, write_private_key
from shared.migrate import APPS

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
METHODS = ("get", "post", "put", "patch", "delete")
HEADER = """# Public API

Generated from the merged OpenAPI document the gateway serves at `/openapi.json` (interactive at
`/docs`) by `python -m cli.api_doc`; do not edit by hand (`tests/contract/test_api_doc.py` fails
when this page is stale). The conventions every route follows: base URL `http://127.0.0.1:8000`,
prefix `/api/v1`, JSON in and out; `Authorization: Bearer <token>` from `POST /api/v1/auth/token`;
ids are UUID strings; money fields are decimal strings and the object or its call names the
`currency`; times are RFC 3339 UTC, dates `YYYY-MM-DD`; lists take `?limit=` (default 50, max 200)
and `?cursor=` and answer `{"items": [...], "next_cursor": str|null}`; errors are
`application/problem+json` (`status`, `title`, `detail`, and `errors: [{"loc", "msg"}]` for
validation). The events the services publish are in [events.md](events.md).
"""


def merged_openapi() -> Document:
    """The document `GET /openapi.json` answers when every service is up."""
    with tempfile.TemporaryDirectory() as tmp:
        key = generate_signing_key()  # a throw-away token key: the document does not depend on it
        write_private_key(Path(tmp) / "signing.pem", key)
        write_jwks(Path(tmp) / "jwks.json", [key.key.public_key()])
        apps = {name: _app(name, package, Path(tmp)) for name, package in APPS.items()}
        gateway = apps.pop("gateway")
        return merged_document(gateway, {name: app.openapi() for name, app in apps.items()})


def _app(name: str, package: str, tmp: Path) -> Any:
    settings = importlib.import_module(f"{package}.settings").Settings(
        database_url=f"sqlite:///{tmp / name}.db",
        var_dir=tmp,
        jwt_public_keys_file=tmp / "jwks.json",
        **({"jwt_private_key_file": tmp / "signing.pem"} if name == "gateway" else {}),
    )
    return importlib.import_module(f"{package}.main").create_app(settings)


def rendered(document: Document) -> str:
    lines = [HEADER]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, item[method]))
    lines += ["## Routes", ""]
    for tag in sorted(by_tag):
        lines += [f"### {tag}", "", "| method, path | what | query | body | answers |", "|---|---|---|---|---|"]
        lines += [_route_row(method, path, operation) for method, path, operation in by_tag[tag]]
        lines.append("")
    lines += ["## Schemas", "", "`?` marks an optional field.", ""]
    schemas = document.get("components", {}).get("schemas", {})
    lines += [_schema_line(name, schemas[name]) for name in sorted(schemas)]
    return "\n".join(lines) + "\n"


def _route_row(method: str, path: str, operation: dict[str, Any]) -> str:
    summary = (operation.get("description") or operation.get("summary") or "").strip().split("\n\n")[0]
    what = " ".join(summary.split()).replace("|", "\\|")
    answers = []
    for status, answer in sorted(operation.get("responses", {}).items()):
        answers.append(f"{status} {_answer(answer)}".strip() if status.startswith("2") else status)
    query = ", ".join(f"`{p['name']}`" for p in operation.get("parameters", []) if p.get("in") == "query")
    return f"| {method.upper()} `{path}` | {what} | {query} | {_body(operation)} | {', '.join(answers)} |"


def _answer(answer: dict[str, Any]) -> str:
    content = answer.get("content", {})
    if "application/json" in content and content["application/json"].get("schema"):
        return _type(content["application/json"]["schema"])
    return ", ".join(f"({kind})" for kind in content)


def _body(operation: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    return ", ".join(f"{_type(media.get('schema'))} ({kind})" for kind, media in content.items())


def _schema_line(name: str, schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return f"- **{name}**: one of {', '.join(f'`{value}`' for value in schema['enum'])}"
    required = set(schema.get("required", []))
    fields = [
        f"`{field}{'' if field in required else '?'}` {_type(value)}"
        for field, value in schema.get("properties", {}).items()
    ]
    return f"- **{name}**: {', '.join(fields) if fields else _type(schema)}"


def _type(schema: dict[str, Any] | None) -> str:
    """A short name of a schema's type: `CallOut`, `string(uuid)`, `[ReviewItem]`, `a | null`."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " \\| ".join(_type(part) for part in schema[key])
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "object")
    if kind == "array":
        return f"[{_type(schema.get('items'))}]"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"{{string: {_type(schema['additionalProperties'])}}}"
    return f"{kind}({schema['format']})" if "format" in schema else str(kind)


def main() -> int:
    API_DOC.write_text(rendered(merged_openapi()), encoding="utf-8")
    print(f"wrote {API_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
