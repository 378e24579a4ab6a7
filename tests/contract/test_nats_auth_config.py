"""The shipped NATS authorization is generated from shared/nats_auth.py and current everywhere
it is used (compose, Kubernetes, `make run`, the tests' nats-server)."""

from __future__ import annotations

from deploy.validate import NATS_USERS
from shared.nats_auth import (
    APP_USERS,
    AUTH_CONF_COPIES,
    FINANCE_CONSUMERS,
    OPS,
    USERS,
    authorization_block,
    permissions,
    sensitive_streams,
)
from shared.relay import PAYEE_DATA_SUBJECTS


def test_auth_conf_is_current_in_every_copy() -> None:
    for path in AUTH_CONF_COPIES:
        assert path.read_text() == authorization_block(), f"{path}: run `python -m shared.nats_auth`"


def test_deploy_validation_knows_every_user() -> None:
    assert set(NATS_USERS) == set(USERS)


def test_only_ops_is_unrestricted_and_nobody_else_may_delete_or_read_instructions_by_sequence() -> None:
    assert permissions(OPS) is None
    for user in (u for u in USERS if u != OPS):
        rules = permissions(user)
        assert rules is not None
        assert "$JS.API.STREAM.DELETE.>" in rules.publish_deny and "$JS.API.STREAM.PURGE.>" in rules.publish_deny
        assert "$JS.API.DIRECT.GET.EDF_DISBURSEMENT.>" in rules.publish_deny
        assert rules.subscribe_allow == (f"_INBOX_{user}.>",)
        assert not any(s.startswith("edf.") for s in rules.subscribe_allow)


def test_payment_instructions_are_the_payee_data_and_only_finance_consumes_them() -> None:
    assert sensitive_streams() == ("EDF_DISBURSEMENT",)
    assert {"edf.disbursement.payment.instructed.v1"} == PAYEE_DATA_SUBJECTS
    assert "edf.disbursement.payment.instructed.v1" in FINANCE_CONSUMERS.values()
    gateway = permissions("gateway")
    assert gateway is not None and not [s for s in gateway.publish_allow if "EDF_DISBURSEMENT" in s]
    for app in APP_USERS:
        rules = permissions(app)
        assert rules is not None
        assert [s for s in rules.publish_allow if s.startswith("edf.")] == [f"edf.{app}.>"]
