"""Every service keeps the one shape docs/architecture.md ("Service shape") describes.

Fails when a service drifts: a required file or folder missing, an unexpected top-level module,
a `common.py` drawer, an event handler outside `handlers/events/`, a subscription to anything
else, a route reading `app.state` or declaring its own dependencies instead of `api/deps.py`,
or a copy of what lives once in `shared/`.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("applications", "scoring", "disbursement", "monitoring")
REQUIRED = (
    "__init__.py",
    "main.py",
    "settings.py",
    "consumers.py",
    "api/__init__.py",
    "api/deps.py",
    "handlers/__init__.py",
    "handlers/events/__init__.py",
    "domain/__init__.py",
    "models/__init__.py",
    "models/base.py",
    "models/api.py",
    "migrations/env.py",
)
MODULES = {"__init__.py", "main.py", "settings.py", "consumers.py"}
TOP_LEVEL = MODULES | {"api", "handlers", "domain", "models", "migrations"}
# Folders a service may have below handlers/ besides events/ (exports: files a route hands out).
HANDLER_PACKAGES = {"events", "exports"}
GRAB_BAGS = {"common.py", "utils.py", "helpers.py", "misc.py", "util.py"}
# Defined once in shared/ (shared.clock, shared.tables, shared.downloads, shared.application_status).
SHARED_ONLY = {"now", "today", "locked", "attachment", "moves_forward", "money_column"}
WEB = ("fastapi", "starlette")


def service_dir(name: str) -> Path:
    return ROOT / "services" / name


def python_files(folder: Path) -> Iterator[Path]:
    yield from (p for p in sorted(folder.rglob("*.py")) if "migrations" not in p.relative_to(folder).parts)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(module: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def is_event_handler(node: ast.AST) -> bool:
    """A function taking a `CloudEvent`: the inbox's handler signature `(uow, event, data)`."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return any(a.annotation is not None and "CloudEvent" in ast.unparse(a.annotation) for a in node.args.args)


def event_modules(name: str) -> list[ModuleType]:
    package = importlib.import_module(f"services.{name}.handlers.events")
    return [importlib.import_module(m.name) for m in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")]


@pytest.mark.parametrize("name", SERVICES)
def test_required_files_and_folders(name: str) -> None:
    missing = [path for path in REQUIRED if not (service_dir(name) / path).is_file()]
    assert not missing, f"services/{name} lacks {missing}"


@pytest.mark.parametrize("name", SERVICES)
def test_no_unexpected_top_level_modules(name: str) -> None:
    entries = {p.name for p in service_dir(name).iterdir() if p.name != "__pycache__"}
    assert entries <= TOP_LEVEL, f"services/{name} has {sorted(entries - TOP_LEVEL)}: see docs/architecture.md"
    handlers = service_dir(name) / "handlers"
    packages = {p.name for p in handlers.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages <= HANDLER_PACKAGES, f"services/{name}/handlers has {sorted(packages - HANDLER_PACKAGES)}"
    for folder in ("api", "domain", "models"):
        nested = [p.name for p in (service_dir(name) / folder).iterdir() if p.is_dir() and p.name != "__pycache__"]
        assert not nested, f"services/{name}/{folder} is flat, found {nested}"


@pytest.mark.parametrize("root", ["services", "gateway", "shared"])
def test_no_grab_bag_modules(root: str) -> None:
    found = [str(p.relative_to(ROOT)) for p in (ROOT / root).rglob("*.py") if p.name in GRAB_BAGS]
    assert not found, f"name helpers by what they are, not {found}"


@pytest.mark.parametrize("name", SERVICES)
def test_event_handlers_live_in_handlers_events_only(name: str) -> None:
    events = service_dir(name) / "handlers" / "events"
    strays = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"  # type: ignore[attr-defined]
        for path in python_files(service_dir(name))
        if events not in path.parents
        for node in ast.walk(tree(path))
        if is_event_handler(node)
    ]
    assert not strays, f"event handlers belong in services/{name}/handlers/events/: {strays}"


@pytest.mark.parametrize("name", SERVICES)
def test_consumers_subscribe_only_handlers_from_handlers_events(name: str) -> None:
    path = service_dir(name) / "consumers.py"
    own = {m for m in imported_modules(tree(path)) if m.startswith("services.")}
    allowed = f"services.{name}.handlers.events"
    assert all(m == allowed or m.startswith(f"{allowed}.") for m in own), f"consumers.py imports {own}"
    handlers = {id(value) for module in event_modules(name) for value in vars(module).values() if callable(value)}
    subscriptions = importlib.import_module(f"services.{name}.consumers").SUBSCRIPTIONS
    assert subscriptions, f"services/{name} subscribes nothing"
    strays = [s for s in subscriptions if id(s.handler) not in handlers]
    assert not strays, f"subscribed handlers not in services/{name}/handlers/events/: {strays}"


@pytest.mark.parametrize("name", SERVICES)
def test_routes_take_their_dependencies_from_api_deps(name: str) -> None:
    deps = importlib.import_module(f"services.{name}.api.deps")
    assert {"SettingsDep", "DatabaseDep", "get_settings"} <= set(vars(deps)), f"services/{name}/api/deps.py"
    for path in sorted((service_dir(name) / "api").glob("*.py")):
        if path.name == "deps.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "app.state" not in text, f"{path.relative_to(ROOT)} reads app.state: use api/deps.py"
        for node in tree(path).body:
            if isinstance(node, ast.Assign) and "Depends(" in ast.unparse(node.value):
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} declares a dependency: api/deps.py")
    routers = importlib.import_module(f"services.{name}.api").routers
    modules = {p.stem for p in (service_dir(name) / "api").glob("*.py")} - {"__init__", "deps"}
    owners = {getattr(r.routes[0].endpoint, "__module__", "").rsplit(".", 1)[-1] for r in routers if r.routes}
    assert owners == modules, f"services/{name}/api/__init__.py routers come from {owners}, modules are {modules}"


@pytest.mark.parametrize("name", SERVICES)
def test_main_builds_the_app_from_the_shared_factory_only(name: str) -> None:
    module = tree(service_dir(name) / "main.py")
    functions = [n.name for n in module.body if isinstance(n, ast.FunctionDef)]
    assert functions == ["create_app"], f"services/{name}/main.py defines {functions}"
    text = ast.unparse(module)
    assert "create_service_app(" in text and "app.state" not in text, f"services/{name}/main.py"


@pytest.mark.parametrize("name", SERVICES)
def test_use_cases_and_models_import_no_web_framework(name: str) -> None:
    for folder in ("handlers", "domain", "models"):
        for path in python_files(service_dir(name) / folder):
            web = {m for m in imported_modules(tree(path)) if m.split(".")[0] in WEB}
            assert not web, f"{path.relative_to(ROOT)} imports {web}: the web edge is api/"
    for module in ("consumers.py", "settings.py"):
        web = {m for m in imported_modules(tree(service_dir(name) / module)) if m.split(".")[0] in WEB}
        assert not web, f"services/{name}/{module} imports {web}"


@pytest.mark.parametrize("name", SERVICES)
def test_no_copy_of_what_shared_holds(name: str) -> None:
    copies = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in python_files(service_dir(name))
        for node in ast.walk(tree(path))
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
        and (node.name in SHARED_ONLY or node.name in {"ApplicationStatus", "Status"})
    ]
    assert not copies, f"use shared/ instead of {copies}"
    numeric = [
        str(p.relative_to(ROOT)) for p in python_files(service_dir(name)) if "Numeric(18, 4)" in p.read_text("utf-8")
    ]
    assert not numeric, f"amounts use shared.tables.money_column(): {numeric}"


def test_gateway_routes_take_their_dependencies_from_gateway_deps() -> None:
    deps = importlib.import_module("gateway.deps")
    assert {"SettingsDep", "DatabaseDep", "get_settings"} <= set(vars(deps))
    for name in ("api.py", "timeline.py"):
        text = (ROOT / "gateway" / name).read_text(encoding="utf-8")
        assert "app.state" not in text, f"gateway/{name} reads app.state: use gateway/deps.py"


def test_the_shape_is_written_down() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## Service shape" in text
    section = text.split("## Service shape", 1)[1].split("\n## ", 1)[0]
    for path in (*REQUIRED, "handlers/exports/", "handlers/access.py", "handlers/outputs.py"):
        for part in path.strip("/").split("/"):
            name = part if part.endswith(".py") else f"{part}/"
            assert name in section, f"docs/architecture.md's Service shape does not name {name} ({path})"


def test_every_service_is_checked() -> None:
    found = {p.name for p in (ROOT / "services").iterdir() if p.is_dir() and (p / "main.py").exists()}
    assert found == set(SERVICES)


def test_the_applications_status_filter_is_the_shared_status_list() -> None:
    """The query parameter spells the statuses out (its OpenAPI enum); they are the shared list."""
    from typing import get_args

    from services.applications.api.applications import StatusFilter
    from shared.application_status import ApplicationStatus

    assert list(get_args(StatusFilter)) == [s.value for s in ApplicationStatus]
