"""Disbursement and monitoring in-process on a real JetStream: a grant created in disbursement
reaches monitoring; a milestone verified through monitoring's API makes the tranche eligible in
disbursement; a flag holding payments puts the grant on hold until it is resolved."""

from __future__ import annotations

from collections.abc import Callable

from shared.auth import Role
from tests.support.apps import bearer, wait_until
from tests.support.disbursement import disbursement_service
from tests.support.monitoring import Monitoring, monitoring_service
from tests.support.natsd import NatsServer


def known(monitoring: Monitoring, grant_id: str) -> bool:
    response = monitoring.client.get(f"/api/v1/grants/{grant_id}/monitoring", headers=bearer(Role.officer))
    return response.status_code == 200


def test_a_verified_milestone_reaches_disbursement(make_database_url: Callable[[], str], own_nats: NatsServer) -> None:
    with (
        disbursement_service(make_database_url(), own_nats.url) as disbursement,
        monitoring_service(make_database_url(), own_nats.url) as monitoring,
    ):
        grant = disbursement.award(disbursement.open_call())
        wait_until(lambda: known(monitoring, grant["id"]))
        view = monitoring.monitoring(grant["id"])
        assert [s["milestone"] for s in view["schedule"]] == [t["milestone"] for t in grant["tranches"]]

        response = monitoring.visit(grant["id"], milestones_verified=["assets_purchased"])
        assert response.status_code == 201, response.text
        wait_until(
            lambda: (
                [t["status"] for t in disbursement.grant(grant["id"])["tranches"]] == ["planned", "eligible", "planned"]
            )
        )
        verify = monitoring.client.post(
            f"/api/v1/grants/{grant['id']}/milestones/agreement_signed/verify", headers=bearer(Role.officer)
        )
        assert verify.status_code == 200
        wait_until(lambda: disbursement.grant(grant["id"])["tranches"][0]["status"] == "eligible")

        flag = monitoring.client.post(
            f"/api/v1/grants/{grant['id']}/flags",
            json={"reason": "Premises closed", "hold_payments": True},
            headers=bearer(Role.monitor),
        )
        assert flag.status_code == 201
        wait_until(lambda: disbursement.grant(grant["id"])["status"] == "on_hold")
        assert (
            monitoring.client.post(
                f"/api/v1/flags/{flag.json()['id']}/resolve", headers=bearer(Role.monitor)
            ).status_code
            == 200
        )
        wait_until(lambda: disbursement.grant(grant["id"])["status"] == "active")
