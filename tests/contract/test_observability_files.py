"""The observability files in deploy/ and docs/operations.md name only metrics the processes
serve, scrape the ports they serve them on, and the Kubernetes manifests keep the gateway's
metrics port off its Service (so off the Ingress)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData

from gateway.signin import AccountThrottle, SignInGuard
from shared.bus import Bus
from shared.db import Database, define_infra_tables, make_engine
from shared.metrics import ConsumerRef, ProcessMetrics
from tests.support.natsd import free_port

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
KUBERNETES = REPO / "deploy" / "kubernetes" / "base"
METRIC = re.compile(r"\bedf_[a-z_]+\b")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def served_metrics(tmp_path: Path) -> set[str]:
    metadata = MetaData()
    infra = define_infra_tables(metadata)
    engine = make_engine(f"sqlite:///{tmp_path / 'metrics.db'}")
    metadata.create_all(engine)
    bus = Bus(f"nats://127.0.0.1:{free_port()}", "tests")
    metrics = ProcessMetrics(Database(engine, infra, "/edf/tests"), bus, [ConsumerRef("EDF_SCORING", "c")])
    metrics.lag.pending["c"] = metrics.lag.unacked["c"] = metrics.lag.ack_floor["c"] = 0
    engine.dispose()
    gateway = CollectorRegistry()  # the gateway's own metrics beside every process's
    SignInGuard(AccountThrottle(), b"pepper", gateway)
    return {family.name for registry in (metrics.registry, gateway) for family in registry.collect()}


def named_metrics(text: str) -> set[str]:
    names = set(METRIC.findall(text)) - {"edf_grants"}
    return {next((n[: -len(s)] for s in SUFFIXES if n.endswith(s)), n) for n in names}


def test_the_dashboard_the_alerts_and_the_docs_name_only_served_metrics(tmp_path: Path) -> None:
    served = served_metrics(tmp_path)
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    alerts = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    docs = (REPO / "docs" / "operations.md").read_text()
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = [rule for group in alerts["groups"] for rule in group["rules"]]
    assert rules and all(rule["alert"] and rule["expr"] for rule in rules)
    for where, text in [("dashboard", " ".join(expressions)), ("alerts", yaml.safe_dump(alerts)), ("docs", docs)]:
        assert named_metrics(text) <= served, f"{where} names metrics no process serves"
    assert served <= named_metrics(docs), "docs/operations.md does not describe every metric"


def test_the_scrape_configs_reach_each_process_where_it_serves_its_metrics() -> None:
    compose = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    targets = {t for job in compose["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    services = ("applications", "scoring", "disbursement", "monitoring")
    assert {"gateway:8010", *(f"{s}:8000" for s in services)} <= targets
    assert "gateway:8000" not in targets


def manifests(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((KUBERNETES / name).read_text()) if doc]


def test_the_pods_are_annotated_for_scraping_and_the_gateways_metrics_are_off_its_service() -> None:
    ports = {"gateway": "8010", "nats": "7777", **{s: "8000" for s in ("applications", "scoring")}}
    ports.update({s: "8000" for s in ("disbursement", "monitoring")})
    for app, port in ports.items():
        (workload,) = [d for d in manifests(f"{app}.yaml") if d["kind"] in ("Deployment", "StatefulSet")]
        template = workload["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/port"] == port, app
        container_ports = {p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
        assert int(port) in container_ports, app
    (service,) = [d for d in manifests("gateway.yaml") if d["kind"] == "Service"]
    assert [p["port"] for p in service["spec"]["ports"]] == [8000]
    ingress = yaml.safe_load((REPO / "deploy/kubernetes/overlays/production/ingress.yaml").read_text())
    backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends == [{"name": "gateway", "port": {"name": "http"}}]
