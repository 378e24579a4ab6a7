"""The deployment files hold together: what `make check` validates against schemas
(deploy/validate.py), checked here for what schemas cannot see: references between services,
files and secrets, probes, limits, autoscalers, disruption budgets, durability settings."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.migrate import APPS
from shared.nats_auth import USERS
from tests.support.apps import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
INFRA = {"nats", "postgres"}


def _validate_module() -> Any:
    spec = importlib.util.spec_from_file_location("deploy_validate", REPO / "deploy" / "validate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return dict(_validate_module().render_all())


# docker-compose.yml ------------------------------------------------------------------------


def test_every_depends_on_names_a_real_service() -> None:
    for name, service in SERVICES.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"


def test_every_referenced_file_exists() -> None:
    for name, service in SERVICES.items():
        build = service.get("build")
        if build:
            context = REPO / build["context"]
            assert context.is_dir(), name
            assert (context / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in COMPOSE["volumes"], f"{name} uses undeclared volume {source}"
    for env_file in ("deploy/compose.env.example",):
        assert (REPO / env_file).is_file()


def test_only_the_gateway_is_published_and_apps_are_healthy_and_restarted() -> None:
    published = {n: s["ports"] for n, s in SERVICES.items() if s.get("ports")}
    assert [n for n in published if "profiles" not in SERVICES[n]] == ["gateway"]
    # Prometheus, only with `--profile observability`, and on the host's loopback only.
    assert SERVICES["prometheus"]["profiles"] == ["observability"]
    assert all(port.startswith("127.0.0.1:") for port in published["prometheus"])
    for app in APPS:
        service = SERVICES[app]
        assert service["command"] == [app]
        assert service["healthcheck"]["test"] and service["restart"] == "unless-stopped", app
        assert service["environment"]["EDF_MIGRATE_ON_START"] == "0", app
        assert f"{app.upper()}_DATABASE_URL" in service["environment"], app
        # Each app waits for its one-shot migration job, which migrates and exits.
        job = SERVICES[f"migrate-{app}"]
        assert job["command"] == ["migrate", app] and job["restart"] == "no"
        assert service["depends_on"][f"migrate-{app}"]["condition"] == "service_completed_successfully"
        assert {"nats", "postgres"} <= set(service["depends_on"])
    for name in INFRA:
        assert SERVICES[name]["healthcheck"]["test"], name


def test_compose_runs_nats_with_jetstream_on_a_volume_and_fsync_always() -> None:
    nats = SERVICES["nats"]
    assert any(v.startswith("nats-data:") for v in nats["volumes"])
    conf = (REPO / "deploy" / "nats" / "single.conf").read_text()
    assert 'include "auth.conf"' in conf and "tls {" in conf
    assert "./deploy/nats/auth.conf:/etc/nats/auth.conf:ro" in nats["volumes"]
    assert all(f"EDF_NATS_{u.upper()}_PASSWORD" in nats["environment"] for u in USERS)
    for app in ("gateway", "applications", "scoring", "disbursement", "monitoring"):
        assert SERVICES[app]["environment"]["EDF_NATS_USER"] == app
        assert SERVICES[app]["environment"]["EDF_NATS_URL"].startswith("tls://")
    assert "sync_interval: always" in conf and "store_dir: /data" in conf and "http_port: 8222" in conf
    assert SERVICES["applications"]["environment"]["APPLICATIONS_DOCUMENTS_DIR"] == "/var/lib/edf/documents"


# Image ---------------------------------------------------------------------------------------


def test_the_image_runs_as_non_root_with_a_health_check_and_knows_every_app() -> None:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    final = dockerfile.split("AS runtime", 1)[1]
    assert "USER 10001" in final and "HEALTHCHECK" in final
    assert "gcc" not in final and "build-essential" not in final
    entrypoint = (REPO / "deploy" / "entrypoint.sh").read_text()
    for app in APPS:
        assert app in entrypoint
    ignore = (REPO / "deploy" / "Dockerfile.dockerignore").read_text()
    assert "!deploy/entrypoint.sh" in ignore and "!deploy/wait_migrated.py" in ignore


# Kubernetes ------------------------------------------------------------------------------


def by_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def generated(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, str]:
    """The data of a generated ConfigMap or Secret (its name carries a hash suffix)."""
    return dict(next(r["data"] for r in resources if r["kind"] == kind and r["metadata"]["name"].startswith(name)))


def test_the_overlays_exist(rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert {"dev", "production", "production-cnpg"} <= set(rendered)


def test_every_app_has_probes_limits_an_autoscaler_a_budget_and_a_migration_job(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    for overlay, resources in rendered.items():
        deployments = by_kind(resources, "Deployment")
        assert set(deployments) == set(APPS), overlay
        autoscalers = by_kind(resources, "HorizontalPodAutoscaler").values()
        autoscaled = {h["spec"]["scaleTargetRef"]["name"] for h in autoscalers}
        budgets = [p["spec"]["selector"]["matchLabels"] for p in by_kind(resources, "PodDisruptionBudget").values()]
        jobs = by_kind(resources, "Job")
        for name, deployment in deployments.items():
            where = f"{overlay}: {name}"
            pod = deployment["spec"]["template"]["spec"]
            main = pod["containers"][0]
            assert main["readinessProbe"]["httpGet"]["path"] == "/readyz", where
            assert main["livenessProbe"]["httpGet"]["path"] == "/healthz", where
            for container in pod["containers"] + pod.get("initContainers", []):
                assert {"requests", "limits"} <= set(container["resources"]), where
                assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
            assert pod["securityContext"]["runAsNonRoot"] is True, where
            assert pod["initContainers"][0]["args"] == ["wait-migrated", name], where
            assert name in autoscaled, where
            assert deployment["spec"]["selector"]["matchLabels"] in budgets, where
            assert jobs[f"migrate-{name}"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate", name]


def test_every_referenced_secret_and_config_key_exists(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay, resources in rendered.items():
        data = {
            r["metadata"]["name"]: set(r.get("data", {})) for r in resources if r["kind"] in ("Secret", "ConfigMap")
        }
        # Secrets that cert-manager makes from a Certificate (the NATS server's certificate)
        certificates = {r["spec"]["secretName"] for r in resources if r["kind"] == "Certificate"}
        for workload in [r for r in resources if r["kind"] in ("Deployment", "Job", "StatefulSet")]:
            pod = workload["spec"]["template"]["spec"]
            for container in pod["containers"] + pod.get("initContainers", []):
                for source in container.get("envFrom", []):
                    assert (source.get("configMapRef") or source["secretRef"])["name"] in data, overlay
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        assert ref["key"] in data.get(ref["name"], set()), f"{overlay}: {env['name']}"
            for volume in pod.get("volumes", []):
                if "configMap" in volume:
                    assert volume["configMap"]["name"] in data, overlay
                if "secret" in volume:
                    assert volume["secret"]["secretName"] in data.keys() | certificates, overlay


def test_nats_has_users_and_tls_and_each_app_its_own_user(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay, resources in rendered.items():
        nats_config = generated(resources, "ConfigMap", "nats-config")
        assert 'include "auth.conf"' in nats_config["nats.conf"] and "tls {" in nats_config["nats.conf"], overlay
        assert nats_config["auth.conf"] == (REPO / "deploy" / "nats" / "auth.conf").read_text(), overlay
        assert generated(resources, "ConfigMap", "edf-config")["EDF_NATS_URL"].startswith("tls://"), overlay
        for name, deployment in by_kind(resources, "Deployment").items():
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e for e in container.get("env", [])}
            if "EDF_NATS_USER" not in env:
                continue
            app = env["EDF_NATS_USER"]["value"]
            assert name.startswith(app), (overlay, name)
            ref = env["EDF_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "edf-nats-users", "key": f"EDF_NATS_{app.upper()}_PASSWORD"}, (overlay, name)


def test_nats_is_a_cluster_of_three_on_volumes_with_fsync_always(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay, resources in rendered.items():
        nats = by_kind(resources, "StatefulSet")["nats"]
        assert nats["spec"]["replicas"] == 3 and nats["spec"]["volumeClaimTemplates"], overlay
        text = generated(resources, "ConfigMap", "nats-config")["nats.conf"]
        assert "sync_interval: always" in text and text.count("nats-headless:6222") == 3, overlay


def test_stream_replicas_are_three_in_production_and_one_in_dev(rendered: dict[str, list[dict[str, Any]]]) -> None:
    def config(overlay: str) -> dict[str, str]:
        return generated(rendered[overlay], "ConfigMap", "edf-config")

    assert config("production")["EDF_STREAM_REPLICAS"] == "3"
    assert config("production")["EDF_ENV"] == "production"
    assert config("dev")["EDF_STREAM_REPLICAS"] == "1"


def test_network_policies_deny_by_default_and_expose_only_the_gateway(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    for overlay, resources in rendered.items():
        policies = by_kind(resources, "NetworkPolicy")
        assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        open_to_all = [n for n, p in policies.items() if any("from" not in r for r in p["spec"].get("ingress", []))]
        assert open_to_all == ["gateway"], overlay
        services = policies["services"]["spec"]["ingress"]
        assert services == [
            {
                "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/component": "gateway"}}}],
                "ports": [{"protocol": "TCP", "port": 8000}],
            }
        ]


def test_cloudnative_pg_variant_adds_a_cluster_and_a_database_per_service(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    resources = rendered["production-cnpg"]
    assert by_kind(resources, "Cluster")["edf-postgres"]["spec"]["instances"] == 3
    owners = {d["spec"]["owner"] for d in by_kind(resources, "Database").values()}
    assert owners | {"edf_gateway"} == {f"edf_{app}" for app in APPS}
    assert not by_kind(rendered["production"], "Cluster")


def test_no_real_secret_file_is_tracked() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "deploy", "docker-compose.yml"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [path for path in tracked if path.endswith(".env")]
    assert "*.env" in (REPO / "deploy" / "kubernetes" / ".gitignore").read_text()
    examples = list((REPO / "deploy").rglob("*.env.example"))
    assert len(examples) >= 5
    for example in examples:
        for line in Path(example).read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                if "SECRET" in key or "KEY" in key or "PASSWORD" in key:
                    assert any(word in value for word in ("replace", "change-me")), f"{example}: {key}"


# Tokens and keys: the private key is the gateway's alone -----------------------------------

PRIVATE_KEY_VARIABLES = ("EDF_JWT_PRIVATE_KEY_FILE", "EDF_JWT_SECRET")


def test_compose_mounts_the_signing_key_into_the_gateway_only() -> None:
    assert {"jwt-signing"} <= set(COMPOSE["secrets"]) and set(COMPOSE["configs"]) == {"jwks"}
    for name, service in SERVICES.items():
        secrets = [s["source"] if isinstance(s, dict) else s for s in service.get("secrets", [])]
        env = service.get("environment", {})
        if name == "gateway":
            assert "jwt-signing" in secrets
            assert env["EDF_JWT_PRIVATE_KEY_FILE"] == "/run/secrets/jwt-signing.pem"
        else:
            assert "jwt-signing" not in secrets, name
            assert not [v for v in PRIVATE_KEY_VARIABLES if v in env], name
    for app in APPS:
        service = SERVICES[app]
        assert service["environment"]["EDF_JWT_PUBLIC_KEYS_FILE"] == "/etc/edf/jwks.json", app
        assert {"source": "jwks", "target": "/etc/edf/jwks.json"} in service["configs"], app
        assert service["environment"]["EDF_ENV"], app  # set explicitly (the image has no default)


def _mounted_secrets(pod: dict[str, Any]) -> dict[str, str]:
    """Each secret volume of a pod: volume name → secret name (without the hash suffix)."""
    return {v["name"]: v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}


def test_kubernetes_mounts_the_signing_key_into_the_gateway_only(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay, resources in rendered.items():
        signing = next(
            r["metadata"]["name"]
            for r in resources
            if r["kind"] == "Secret" and r["metadata"]["name"].startswith("edf-jwt-signing")
        )
        assert "jwt-signing.pem" in generated(resources, "Secret", "edf-jwt-signing"), overlay
        assert "jwks.json" in generated(resources, "ConfigMap", "edf-jwks"), overlay
        config = generated(resources, "ConfigMap", "edf-config")
        assert config["EDF_JWT_PUBLIC_KEYS_FILE"] == "/etc/edf/jwks/jwks.json" and config["EDF_ENV"], overlay
        assert not [v for v in PRIVATE_KEY_VARIABLES if v in config], overlay
        for workload in [r for r in resources if r["kind"] in ("Deployment", "Job", "StatefulSet")]:
            name, pod = workload["metadata"]["name"], workload["spec"]["template"]["spec"]
            env_names = {e["name"] for c in pod["containers"] + pod.get("initContainers", []) for e in c.get("env", [])}
            uses_key = signing in _mounted_secrets(pod).values() or bool(env_names & set(PRIVATE_KEY_VARIABLES))
            if workload["kind"] == "Deployment" and name == "gateway":
                assert signing in _mounted_secrets(pod).values(), overlay
                mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
                volume = next(k for k, v in _mounted_secrets(pod).items() if v == signing)
                assert mounts[volume]["readOnly"] is True
                assert mounts[volume]["mountPath"] + "/jwt-signing.pem" == next(
                    e["value"] for e in pod["containers"][0]["env"] if e["name"] == "EDF_JWT_PRIVATE_KEY_FILE"
                )
            else:
                assert not uses_key, f"{overlay}: {workload['kind']}/{name} gets the token signing key"
            if workload["kind"] == "Deployment":
                paths = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
                assert "/etc/edf/jwks" in paths, f"{overlay}: {name}"


def test_the_container_refuses_to_serve_without_edf_env(tmp_path: Path) -> None:
    """deploy/entrypoint.sh with bash, a `python` on the PATH that only says how it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text('#!/bin/sh\necho "python $*"\n')
    (bin_dir / "python").chmod(0o755)
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "EDF_MIGRATE_ON_START": "0"}

    def entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        command = ["bash", str(REPO / "deploy" / "entrypoint.sh"), *args]
        return subprocess.run(command, env={**base, **env}, capture_output=True, text=True, timeout=30, check=False)

    for app in APPS:
        refused = entrypoint(app)
        assert refused.returncode == 78 and "EDF_ENV is not set" in refused.stderr, app
        assert "python" not in refused.stdout, app
    for wrong in ("prod", "Production", " "):
        refused = entrypoint("gateway", EDF_ENV=wrong)
        assert refused.returncode == 78 and "expected production or development" in refused.stderr, wrong
    for value in ("production", "development"):
        served = entrypoint("scoring", EDF_ENV=value)
        assert served.returncode == 0 and "python -m uvicorn services.scoring.main:create_app" in served.stdout
    runtime = (REPO / "deploy" / "Dockerfile").read_text().split("AS runtime", 1)[1]
    assert "EDF_ENV=" not in runtime  # the image sets no default


def _default(value: str) -> str:
    """The default of a compose interpolation: `${NAME-default}` or `${NAME:-default}`."""
    match = re.fullmatch(r"\$\{[A-Z_]+:?-(.*)\}", value)
    assert match is not None, value
    return match.group(1)


def test_the_gateway_trusts_its_ingress_range_and_reads_forwarded_headers_itself(
    rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    from gateway.forwarded import TrustedProxies

    trusted = _default(SERVICES["gateway"]["environment"]["EDF_TRUSTED_PROXIES"])
    subnet = _default(COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"])
    assert trusted == subnet and TrustedProxies.parse(trusted).networks
    for app in APPS:
        if app != "gateway":
            assert "EDF_TRUSTED_PROXIES" not in SERVICES[app]["environment"], app
    for overlay, resources in rendered.items():
        configs = [r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"].startswith("edf-config")]
        config = configs[0]
        assert TrustedProxies.parse(config["data"]["EDF_TRUSTED_PROXIES"]).networks, overlay
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text('#!/bin/sh\necho "python $*"\n')
    (bin_dir / "python").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "EDF_MIGRATE_ON_START": "0", "EDF_ENV": "production"}
    for app, flag in (("gateway", "--no-proxy-headers"), ("scoring", "--proxy-headers")):
        served = subprocess.run(
            ["bash", str(REPO / "deploy" / "entrypoint.sh"), app], env=env, capture_output=True, text=True, timeout=30
        )
        assert served.returncode == 0 and served.stdout.split()[-1] == flag, served.stdout
