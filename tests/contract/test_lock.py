"""constraints.txt pins every dependency that pyproject.toml declares, in every extra, at a version
the declaration allows: a dependency added or tightened without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$")
# constraints.txt is compiled for every platform (`--universal`): a package may be pinned twice,
# under markers that split on the Python version; this is the interpreter the project targets.
TARGET = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux"}


def declared() -> list[Requirement]:
    lists = [PROJECT["dependencies"], *PROJECT.get("optional-dependencies", {}).values()]
    return [Requirement(line) for requirements in lists for line in requirements]


def pins() -> dict[str, Version]:
    """The pinned version of each package for the target interpreter."""
    found: dict[str, Version] = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"not an exact pin: {line!r}"
        marker = match["marker"]
        if marker is None or Marker(marker).evaluate(TARGET):
            found[canonicalize_name(match["name"])] = Version(match["version"])
    return found


def test_every_declared_dependency_is_pinned_at_an_allowed_version() -> None:
    pinned = pins()
    missing = sorted(str(r) for r in declared() if canonicalize_name(r.name) not in pinned)
    assert not missing, f"not in constraints.txt (run `make lock`): {missing}"
    outside = {
        str(r): str(pinned[canonicalize_name(r.name)])
        for r in declared()
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    }
    assert not outside, f"pinned outside what pyproject.toml allows (run `make lock`): {outside}"


def test_the_pins_cover_what_the_declared_extras_bring() -> None:
    """e.g. uvicorn[standard] brings uvloop and httptools, psycopg[binary] brings psycopg-binary."""
    pinned = pins()
    assert {"uvloop", "httptools", "psycopg-binary", "anyio", "starlette"} <= set(pinned)


def test_installs_use_the_constraints() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet -c constraints.txt" in makefile
    assert re.search(r"^lock:", makefile, re.MULTILINE), "make lock regenerates constraints.txt"
    assert "-c constraints.txt" in (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
