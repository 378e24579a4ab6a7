"""docs/asyncapi.json parses without error in the AsyncAPI project's own parser (@asyncapi/parser,
pinned in tests/contract/asyncapi/package-lock.json, installed on demand into var/npm/asyncapi).
Skipped only where there is no `node`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.events.export import ASYNCAPI_PATH

HERE = Path(__file__).parent / "asyncapi"
REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "var" / "npm" / "asyncapi"
LOCK = "package-lock.json"


def parser_installed() -> Path:
    """The folder holding the pinned parser, installed with `npm ci` unless it already is."""
    installed = MODULES / "node_modules" / "@asyncapi" / "parser" / "package.json"
    lock_current = (MODULES / LOCK).exists() and (MODULES / LOCK).read_bytes() == (HERE / LOCK).read_bytes()
    if not (installed.exists() and lock_current):
        npm = shutil.which("npm")
        assert npm is not None, "node is here but npm is not: install npm to run the AsyncAPI parser"
        MODULES.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", LOCK):
            shutil.copyfile(HERE / name, MODULES / name)
        subprocess.run(
            [npm, "ci", "--prefix", str(MODULES), "--ignore-scripts", "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return MODULES


def parse(document: Path) -> tuple[int, list[dict[str, object]]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    modules = parser_installed()
    done = subprocess.run(
        [node, str(HERE / "parse.cjs"), str(modules), str(document)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_the_asyncapi_document_parses_without_errors() -> None:
    status, diagnostics = parse(ASYNCAPI_PATH)
    errors = [d for d in diagnostics if d["severity"] == 0]  # DiagnosticSeverity.Error
    assert errors == [] and status == 0, errors


def test_the_parser_reports_a_dangling_reference(tmp_path: Path) -> None:
    """The check can fail: a `$ref` to a schema that is not in the document is an error."""
    document = json.loads(ASYNCAPI_PATH.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    del schemas[next(name for name in schemas if not name.startswith("edf."))]
    broken = tmp_path / "asyncapi.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    status, diagnostics = parse(broken)
    assert status == 1 and any(d["severity"] == 0 for d in diagnostics), diagnostics
