"""`GET /calls/{id}/payments.xml`: pain.001.001.09 for the call's instructed bank payments that
are not settled yet, valid against the official XSD (skipped with a reason when it is absent)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from services.disbursement.domain.pain001 import NAMESPACE
from shared.auth import Role
from tests.support.apps import bearer
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.natsd import NatsServer
from tests.unit.test_disbursement_pain001 import validate

FINANCE = bearer(Role.finance)
NS = {"p": NAMESPACE}


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(
        database_url,
        own_nats.url,
        debtor_name="EDF Iraq",
        debtor_iban="IQ06 CBIQ 8612 3456 7890 123",
        debtor_bic="CBIQIQBA",
    ) as running:
        yield running


def instruct(service: Disbursement, call_id: object, **payee: object) -> str:
    grant, tranche = service.ready_tranche(call_id=call_id)  # type: ignore[arg-type]
    if payee:
        assert service.set_payee(grant["id"], **payee).status_code == 200
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    return str(service.approve(tranche["id"], FINANCE).json()["instruction_id"])


def test_the_file_holds_instructed_unsettled_bank_payments_and_validates(service: Disbursement) -> None:
    call_id = service.open_call()
    by_iban = instruct(service, call_id)
    by_number = instruct(service, call_id, iban=None, account_number="0012-3456-78", bank_name="Rafidain Bank")
    instruct(service, call_id, method="mobile_money", iban=None, bank_name=None, wallet_phone="07701234567")
    settled = instruct(service, call_id)
    assert service.settle(settled).status_code == 200

    response = service.client.get(f"/api/v1/calls/{call_id}/payments.xml", headers=FINANCE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    root = validate(response.content)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert Decimal(header.findtext("p:CtrlSum", namespaces=NS)) == Decimal("18000.00")
    assert header.findtext("p:MsgId", namespaces=NS).startswith(service.scalar("SELECT code FROM calls"))
    block = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert block.findtext("p:Dbtr/p:Nm", namespaces=NS) == "EDF Iraq"
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "IQ06CBIQ861234567890123"
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "CBIQIQBA"
    ids = [e.text for e in root.iterfind(".//p:EndToEndId", NS)]
    assert sorted(ids) == sorted(i.replace("-", "") for i in (by_iban, by_number))
    assert [e.text for e in root.iterfind(".//p:CdtrAcct/p:Id/p:Othr/p:Id", NS)] == ["0012345678"]
    assert all(e.attrib["Ccy"] == "USD" for e in root.iterfind(".//p:InstdAmt", NS))
    audit = service.sql("SELECT count(*) FROM audit_log WHERE action = 'payments_file.made'")
    assert audit[0][0] == 1


def test_only_finance_takes_the_file_and_an_empty_one_is_a_clear_409(service: Disbursement) -> None:
    call_id = service.open_call()
    nothing = service.client.get(f"/api/v1/calls/{call_id}/payments.xml", headers=FINANCE)
    assert nothing.status_code == 409 and "no instructed bank payments" in nothing.json()["detail"]
    instruct(service, call_id)
    for role in (Role.officer, Role.admin, Role.applicant):
        assert service.client.get(f"/api/v1/calls/{call_id}/payments.xml", headers=bearer(role)).status_code == 403
    assert (
        service.client.get(
            "/api/v1/calls/00000000-0000-4000-8000-000000000000/payments.xml", headers=FINANCE
        ).status_code
        == 404
    )
