"""Documents: judged by content, limited in size and number, stored under generated names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.auth import Role
from tests.support.apps import bearer
from tests.support.intake import Intake, intake_service
from tests.support.natsd import NatsServer

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


def upload(
    intake: Intake,
    application: dict[str, str],
    name: str,
    content: bytes,
    declared: str = "application/pdf",
    headers: dict[str, str] | None = None,
    kind: str = "registration",
) -> httpx.Response:
    return intake.client.post(
        f"/api/v1/applications/{application['id']}/documents",
        files={"file": (name, content, declared)},
        data={"kind": kind},
        headers=headers or intake.applicant,
    )


def stored_files(intake: Intake) -> list[Path]:
    return [p for p in intake.documents_dir.rglob("*") if p.is_file()] if intake.documents_dir.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("licence.pdf", PDF, "application/pdf"),
        ("shop.png", PNG, "image/png"),
        ("quote.jpg", JPEG, "image/jpeg"),
        ("scan-without-extension", PDF, "application/pdf"),
    ],
)
def test_pdf_png_and_jpeg_are_accepted_by_their_content(
    intake: Intake, name: str, content: bytes, content_type: str
) -> None:
    response = upload(intake, intake.draft(), name, content, declared="application/octet-stream")
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == content_type
    assert response.json()["size"] == len(content)


def test_a_renamed_executable_is_415_and_nothing_is_kept(intake: Intake) -> None:
    application = intake.draft()
    response = upload(intake, application, "invoice.pdf", EXE)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert stored_files(intake) == []
    got = intake.client.get(f"/api/v1/applications/{application['id']}", headers=intake.applicant).json()
    assert got["documents"] == [] and got["status"] == "draft"


def test_an_11_mb_file_is_413_and_nothing_is_kept(intake: Intake) -> None:
    application = intake.draft()
    response = upload(intake, application, "big.pdf", PDF + b"\x00" * (11 * 1024 * 1024))
    assert response.status_code == 413
    assert stored_files(intake) == []


def test_a_path_traversal_name_is_only_a_display_name(intake: Intake) -> None:
    application = intake.draft()
    response = upload(intake, application, "../../../etc/passwd.pdf", PDF)
    assert response.status_code == 201
    assert response.json()["filename"] == "passwd.pdf"
    [stored] = stored_files(intake)
    assert intake.documents_dir in stored.parents and "passwd" not in stored.name


def test_download_by_owner_and_staff_only(intake: Intake) -> None:
    application = intake.draft()
    document = upload(intake, application, "licence.pdf", PDF).json()
    url = f"/api/v1/applications/{application['id']}/documents/{document['id']}"
    owner = intake.client.get(url, headers=intake.applicant)
    assert owner.status_code == 200 and owner.content == PDF
    assert owner.headers["content-type"] == "application/pdf"
    assert owner.headers["x-content-type-options"] == "nosniff"
    assert intake.client.get(url, headers=bearer(Role.intake)).status_code == 200
    # A registration certificate names the business: reviewers (blind) do not get it.
    assert intake.client.get(url, headers=bearer(Role.officer)).status_code == 404
    assert intake.client.get(url, headers=intake.new_applicant()).status_code == 404
    assert intake.client.get(url).status_code == 401


def test_another_applicant_cannot_upload_to_my_application(intake: Intake) -> None:
    response = upload(intake, intake.draft(), "x.pdf", PDF, headers=intake.new_applicant())
    assert response.status_code == 404
    assert stored_files(intake) == []


def test_documents_are_limited_per_application_and_frozen_after_submit(intake: Intake) -> None:
    application = intake.draft()
    for _ in range(20):
        assert upload(intake, application, "q.pdf", PDF, kind="quote").status_code == 201
    assert upload(intake, application, "q.pdf", PDF).status_code == 409
    other = intake.new_applicant()  # one application per account and call
    second = intake.draft(headers=other)
    intake.submit(second, headers=other)
    assert upload(intake, second, "late.pdf", PDF, headers=other).status_code == 409
    assert len(stored_files(intake)) == 20


def test_a_wrong_kind_is_422(intake: Intake) -> None:
    response = upload(intake, intake.draft(), "x.pdf", PDF, kind="selfie")
    assert response.status_code == 422


def test_a_draft_document_can_be_deleted(intake: Intake) -> None:
    application = intake.draft()
    document = upload(intake, application, "x.pdf", PDF).json()
    url = f"/api/v1/applications/{application['id']}/documents/{document['id']}"
    assert intake.client.delete(url, headers=intake.applicant).status_code == 204
    assert intake.client.get(url, headers=intake.applicant).status_code == 404
    assert stored_files(intake) == []
