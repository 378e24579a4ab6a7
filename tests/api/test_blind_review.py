"""Blind review by construction (shared/privacy.py): officers, committee and finance read no
identity of an application; intake and admin do, and every such read is in the audit trail,
listed by `edf audit reads`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cli.main import app as cli
from shared.auth import Role
from shared.privacy import READ_ACTION, view_of
from tests.support.apps import bearer
from tests.support.intake import Intake, intake_service
from tests.support.natsd import NatsServer

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
OWNER = {"full_name": "Canary Samira Younis", "national_id": "CAN4471902", "phone": "0771 555 0199"}
BUSINESS = {"name": "Canary Sweets", "registration_number": "CANR-5512", "address": "Canary lane 7"}
CANARIES = ["Canary Samira", "CAN4471902", "1902", "+9647715550199", "Canary Sweets", "CANR5512", "Canary lane"]
BLIND_ROLES = (Role.officer, Role.committee, Role.finance, Role.monitor)


@pytest.fixture
def intake(
    database_url: str, own_nats: NatsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Intake]:
    monkeypatch.setenv("APPLICATIONS_DATABASE_URL", database_url)
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


def _reads(database_url: str, application_id: str) -> list[dict[str, Any]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT actor_id, actor_role, after FROM audit_log WHERE action = :a AND entity_id = :e"),
                {"a": READ_ACTION, "e": application_id},
            ).all()
    finally:
        engine.dispose()
    return [{"actor_id": r[0], "role": r[1], "after": r[2]} for r in rows]


def _upload(intake: Intake, application: dict[str, Any], kind: str) -> str:
    response = intake.client.post(
        f"/api/v1/applications/{application['id']}/documents",
        headers=intake.applicant,
        data={"kind": kind},
        files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_reviewers_committee_and_finance_read_no_identity(intake: Intake, database_url: str) -> None:
    draft = intake.draft(owner=OWNER, business=BUSINESS)
    registration, photo = _upload(intake, draft, "registration"), _upload(intake, draft, "photo")
    url = f"/api/v1/applications/{draft['id']}"
    for role in BLIND_ROLES:
        staff = bearer(role)
        one = intake.client.get(url, headers=staff)
        listed = intake.client.get("/api/v1/applications", headers=staff, params={"call_id": intake.call["id"]})
        for response in (one, listed):
            assert response.status_code == 200
            assert [c for c in CANARIES if c in response.text] == [], role
        body = one.json()
        assert body["owner"]["full_name"] is None and body["owner"]["national_id_last4"] is None
        assert body["owner"]["sex"] == "female" and body["plan"]["summary"]  # what review needs stays
        assert not {"name", "registration_number", "address"} & set(body["business"])
        assert [d["id"] for d in body["documents"]] == [photo]
        assert intake.client.get(f"{url}/documents/{photo}", headers=staff).status_code == 200
        missing = intake.client.get(f"{url}/documents/{registration}", headers=staff)
        assert missing.status_code == 404 and "Canary" not in missing.text
    assert _reads(database_url, draft["id"]) == []  # nothing was shown, nothing to record


def test_intake_and_admin_read_identity_and_each_read_is_audited(intake: Intake, database_url: str) -> None:
    draft = intake.draft(owner=OWNER, business=BUSINESS)
    registration = _upload(intake, draft, "registration")
    url = f"/api/v1/applications/{draft['id']}"
    clerk_id = uuid.uuid4()
    clerk = bearer(Role.intake, clerk_id)
    shown = intake.client.get(url, headers=clerk).json()
    assert shown["owner"]["full_name"] == OWNER["full_name"] and shown["business"]["name"] == BUSINESS["name"]
    assert shown["owner"]["national_id_last4"] == "1902"
    assert intake.client.get(f"{url}/documents/{registration}", headers=clerk).content == PDF
    listed = intake.client.get(
        "/api/v1/applications", headers=bearer(Role.admin), params={"call_id": intake.call["id"]}
    )
    assert OWNER["full_name"] in listed.text
    # The blind view asked for (the gateway's timeline does): no identity, no read.
    blind = intake.client.get(url, headers=clerk, params={"view": "blind"})
    assert [c for c in CANARIES if c in blind.text] == []
    # The owner reads their own: not a staff read.
    assert intake.client.get(url, headers=intake.applicant).json()["owner"]["full_name"] == OWNER["full_name"]

    reads = _reads(database_url, draft["id"])
    routes = [(r["role"], _after(r)["route"]) for r in reads]
    assert routes == [
        ("intake", "GET /api/v1/applications/{id}"),
        ("intake", "GET /api/v1/applications/{id}/documents/{document_id}"),
        ("admin", "GET /api/v1/applications"),
    ]
    assert reads[0]["actor_id"] == str(clerk_id)
    assert set(_after(reads[0])["fields"]) == {
        "owner.full_name",
        "owner.national_id_last4",
        "owner.phone",
        "business.name",
        "business.registration_number",
        "business.address",
        "document.registration",
    }
    assert _after(reads[1])["fields"] == [f"document.registration:{registration}"]
    for row in reads:  # the audit names fields, never their values
        assert [c for c in CANARIES if c in str(row)] == []

    for given in (draft["id"], draft["reference"].lower()):
        listing = CliRunner().invoke(cli, ["audit", "reads", "--application", given])
        assert listing.exit_code == 0, listing.output
        assert listing.output.count("intake") == 2 and str(clerk_id) in listing.output
        assert "owner.full_name" in listing.output and "GET /api/v1/applications" in listing.output
    unknown = CliRunner().invoke(cli, ["audit", "reads", "--application", str(uuid.uuid4())])
    assert unknown.exit_code == 1


def test_who_sees_what() -> None:
    """The policy's table (docs/architecture.md, "Who sees what")."""
    assert view_of(Role.officer, owner=False, status="awarded").blind
    assert view_of(Role.committee, owner=False, status="scored").blind
    assert view_of(Role.finance, owner=False, status="awarded").blind
    assert view_of(Role.monitor, owner=False, status="under_review").blind
    grantee = view_of(Role.monitor, owner=False, status="awarded")
    assert grantee.fields == {"owner.full_name", "owner.phone", "business.name", "business.address"}
    assert grantee.audited and not grantee.identifying_documents
    assert view_of(Role.intake, owner=False, status="submitted").audited
    assert not view_of(Role.applicant, owner=True, status="draft").audited
    assert view_of(Role.applicant, owner=False, status="draft").blind
    assert view_of(Role.admin, owner=False, status="draft", blind=True).blind


def _after(row: dict[str, Any]) -> dict[str, Any]:
    after = row["after"]
    if isinstance(after, str):
        return dict(json.loads(after))
    return dict(after)
