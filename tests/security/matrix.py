"""Who may call what: the expected answer for every route of the merged OpenAPI document, for
every principal, on their own and on someone else's objects. docs/api.md lists the routes.

A row is `R(method, path, cells)`, `cells` nine answers in the order of `COLUMNS`:

    anonymous  applicant_a  applicant_b  officer  committee  finance  monitor  admin  intake

An answer is `401`, `403`, `404` (exactly that status), `2xx` (any success), or `ok`: 2xx or
409, for a state change that several roles may make, where the first allowed principal changes
the object and the next ones find it changed (at least one `ok` cell of a row must be 2xx).
`x/y` is x on the principal's own object and y on a foreign one (see `tests/security/seed.py`
for "own" and "foreign"); for `ids={"p": "a|b"}` it is x with object a and y with object b.

Path parameters take the seeded object named in `ids`, else the default for their name
(`DEFAULT_IDS`); `=value` is a literal. Rows run in the order below (reads and safe changes
first, then changes that later rows build on), and within a row the refusals before the
successes, so that a success for an unexpected principal is seen before the object changes.
A body (`body=`) is a minimal valid one: the matrix tests authorization, not validation.

Every route of the OpenAPI document needs a row: a new route without one fails the tests.

Blind review (shared/privacy.py): whatever the status, no body answered to a principal of
`BLIND` holds an identity value of any seeded application (`tests/security/seed.py` gives each
its own canary name, national ID, phone, business name, registration number and address) —
the officer's reviews included; `finance` sees the account holder's name of payout details on
the payment routes (`PAYEE_DATA`), their duty. `intake` sees identity where officers used to,
with no money or award powers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLUMNS = (
    "anonymous",
    "applicant_a",
    "applicant_b",
    "officer",
    "committee",
    "finance",
    "monitor",
    "admin",
    "intake",
)
# The principals who never see an applicant's identity, and where finance sees a payee's name.
BLIND = ("officer", "committee", "finance")
PAYEE_DATA = ("/api/v1/grants", "/api/v1/payments", "/api/v1/payment-batches", "/api/v1/calls/{call_id}/pay")
DENIED = frozenset({"401", "403", "404"})
ANSWERS = DENIED | {"2xx", "ok"}
DEFAULT_IDS = {
    "application_id": "draft",
    "document_id": "document",
    "call_id": "call",
    "grant_id": "grant",
    "tranche_id": "tranche",
    "instruction_id": "instruction",
    "batch_id": "batch",
    "flag_id": "flag",
    "review_id": "review",
    "key": "=agreement_signed",
    "letter_id": "=999999",
}


@dataclass(frozen=True)
class R:
    method: str
    path: str
    cells: str
    ids: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def answers(self) -> dict[str, tuple[str, ...]]:
        cells = self.cells.split()
        assert len(cells) == len(COLUMNS), f"{self.key}: {len(cells)} cells"
        return {column: tuple(cell.split("/")) for column, cell in zip(COLUMNS, cells, strict=True)}


ALL = "2xx 2xx 2xx 2xx 2xx 2xx 2xx 2xx 2xx"
SIGNED_IN = "401 2xx 2xx 2xx 2xx 2xx 2xx 2xx 2xx"
ADMIN = "401 403 403 403 403 403 403 2xx 403"
OWNER_READS = "401 2xx/404 2xx/404 2xx 2xx 2xx 2xx 2xx 2xx"
OWNER_CHANGES = "401 2xx/404 2xx/404 403 403 403 403 403 403"
STAFF = "401 403 403 2xx 2xx 2xx 2xx 2xx 2xx"
OFFICER = "401 403 403 2xx 403 403 403 403 403"
OWN_REVIEW = "401 403 403 2xx/404 403 403 403 403 403"
FINANCE = "401 403 403 403 403 2xx 403 403 403"
OWNER_OR_OFFICER = "401 2xx/404 2xx/404 2xx 403 403 403 403 2xx"
FINANCE_ADMIN = "401 403 403 403 403 2xx 403 2xx 403"
COMMITTEE = "401 403 403 403 2xx 403 403 403 403"
MONITOR_OFFICER = "401 403 403 2xx 403 403 2xx 403 403"
# No dead letter has this id: the admin passes the role check and finds nothing.
ADMIN_FINDS_NOTHING = "401 403 403 403 403 403 403 404 403"
NOBODY = "00000000-0000-4000-8000-000000000001"  # no account has this id
SERVICES = ("applications", "scoring", "disbursement", "monitoring")

ROUTES: list[R] = [
    # Accounts (gateway).
    R("GET", "/api/v1/auth/me", SIGNED_IN),
    R("POST", "/api/v1/auth/token", ALL, body="sign_in"),
    R("POST", "/api/v1/auth/register", ALL, body="sign_up"),
    R("GET", "/.well-known/jwks.json", ALL),  # the public keys only
    R("POST", "/api/v1/users", ADMIN, body="new_user"),
    # Staff are enrolled by the seed (409 `totp_enabled`), applicants A and B enrol here (2xx).
    R("GET", "/api/v1/auth/totp", SIGNED_IN),
    R("POST", "/api/v1/auth/totp", "401 ok ok ok ok ok ok ok ok"),
    R("POST", "/api/v1/auth/totp/confirm", "401 ok ok ok ok ok ok ok ok", body="totp_confirm"),
    R("DELETE", "/api/v1/users/{user_id}/totp", ADMIN_FINDS_NOTHING, ids={"user_id": f"={NOBODY}"}),
    # Calls (applications) and a call's results (scoring, disbursement, monitoring).
    R("GET", "/api/v1/calls", ALL),
    R(
        "GET",
        "/api/v1/calls/{call_id}",
        "2xx/404 2xx/404 2xx/404 2xx 2xx 2xx 2xx 2xx 2xx",
        ids={"call_id": "call|draft_call"},
    ),
    R("POST", "/api/v1/calls", ADMIN, body="call"),
    R("POST", "/api/v1/calls/{call_id}/open", ADMIN, ids={"call_id": "openable_call"}),
    R("POST", "/api/v1/calls/{call_id}/close", ADMIN, ids={"call_id": "closable_call"}),
    R("GET", "/api/v1/calls/{call_id}/ranking", "401 403 403 2xx 2xx 403 403 403 403"),
    R("GET", "/api/v1/calls/{call_id}/selection", COMMITTEE),
    R("POST", "/api/v1/calls/{call_id}/decisions", COMMITTEE, body="decisions"),
    R("GET", "/api/v1/calls/{call_id}/decisions/proposals", COMMITTEE),
    R("POST", "/api/v1/calls/{call_id}/decisions/recusals", COMMITTEE, body="committee_recusal"),
    R("GET", "/api/v1/calls/{call_id}/ledger", FINANCE_ADMIN),
    R("GET", "/api/v1/calls/{call_id}/payments.xml", FINANCE),
    R("GET", "/api/v1/calls/{call_id}/indicators", STAFF),
    R("GET", "/api/v1/calls/{call_id}/dashboard", STAFF),
    R("GET", "/api/v1/calls/{call_id}/export.csv", STAFF),
    R("GET", "/api/v1/calls/{call_id}/export.iati.xml", STAFF),
    R("GET", "/api/v1/calls/{call_id}/export.360giving.json", STAFF),
    # Applications and documents.
    R("GET", "/api/v1/applications", SIGNED_IN),
    R("POST", "/api/v1/applications", "401 2xx 2xx 403 403 403 403 403 403", body="application"),
    R("GET", "/api/v1/applications/{application_id}", OWNER_READS),
    R("GET", "/api/v1/applications/{application_id}/timeline", OWNER_READS),
    R("PATCH", "/api/v1/applications/{application_id}", OWNER_CHANGES, body="patch"),
    R("POST", "/api/v1/applications/{application_id}/documents", OWNER_CHANGES, body="upload"),
    # The seeded document is a registration certificate: it names the business (reviewers get 404).
    R(
        "GET",
        "/api/v1/applications/{application_id}/documents/{document_id}",
        "401 2xx/404 2xx/404 404 404 404 404 2xx 2xx",
    ),
    R(
        "DELETE",
        "/api/v1/applications/{application_id}/documents/{document_id}",
        OWNER_CHANGES,
        ids={"document_id": "doc_to_delete"},
    ),
    R("POST", "/api/v1/applications/{application_id}/submit", OWNER_CHANGES, ids={"application_id": "to_submit"}),
    R("POST", "/api/v1/applications/{application_id}/withdraw", OWNER_CHANGES, ids={"application_id": "to_withdraw"}),
    # Reviews (scoring): an officer's own reviews.
    R("GET", "/api/v1/reviews", OFFICER),
    R("GET", "/api/v1/reviews/recusals", "401 403 403 403 2xx 403 403 2xx 403"),
    R("GET", "/api/v1/reviews/{review_id}", OWN_REVIEW),
    R("PUT", "/api/v1/reviews/{review_id}", OWN_REVIEW, body="review_draft"),
    R("POST", "/api/v1/reviews/{review_id}/submit", OWN_REVIEW, body="review_scores"),
    R("POST", "/api/v1/reviews/{review_id}/recuse", OWN_REVIEW, ids={"review_id": "review_recuse"}, body="recusal"),
    # Grants (disbursement) and their monitoring.
    R("GET", "/api/v1/grants", SIGNED_IN),
    R("GET", "/api/v1/grants/{grant_id}", OWNER_READS),
    R("GET", "/api/v1/grants/{grant_id}/monitoring", OWNER_READS),
    R("PUT", "/api/v1/grants/{grant_id}/payee", "401 2xx/404 2xx/404 2xx 403 403 403 403 2xx", body="payee"),
    # The body first records pending details as a second officer, so that each call has some to confirm.
    R("POST", "/api/v1/grants/{grant_id}/payee/confirm", OWNER_OR_OFFICER, body="payee_confirm"),
    R("POST", "/api/v1/grants/{grant_id}/milestones/{key}/verify", MONITOR_OFFICER),
    R("POST", "/api/v1/grants/{grant_id}/visits", "401 403 403 403 403 403 2xx 403 403", body="visit"),
    R("POST", "/api/v1/grants/{grant_id}/flags", MONITOR_OFFICER, body="flag"),
    R("POST", "/api/v1/flags/{flag_id}/resolve", "401 403 403 ok 403 403 ok 403 403"),
    # Screening flags: intake (and admin for the list and the approval). The seeded flagged
    # application (two applicants with one phone) is resolved by intake and approved by admin.
    R("GET", "/api/v1/calls/{call_id}/screening-flags", "401 403 403 403 403 403 403 2xx 2xx"),
    R(
        "POST",
        "/api/v1/applications/{application_id}/screening/resolution",
        "401 403 403 403 403 403 403 403 2xx",
        body="resolution",
        ids={"application_id": "flagged"},
    ),
    R(
        "POST",
        "/api/v1/applications/{application_id}/screening/resolution/approve",
        "401 403 403 403 403 403 403 2xx 403",
        ids={"application_id": "flagged"},
    ),
    R("POST", "/api/v1/tranches/{tranche_id}/request", OFFICER),
    R("POST", "/api/v1/tranches/{tranche_id}/approve", FINANCE),
    R("GET", "/api/v1/payments/alerts", FINANCE_ADMIN),
    R("GET", "/api/v1/payments/{instruction_id}", FINANCE_ADMIN),
    R("POST", "/api/v1/payments/{instruction_id}/settlement", FINANCE, body="settlement"),
    # Payment batches of the seeded (bank_file) call: A's batch read, its file taken, sent; B's
    # cancelled, and its payment (back in the pool, with the one approved above) in a new batch.
    R("GET", "/api/v1/payment-batches/{batch_id}", FINANCE),
    R("GET", "/api/v1/payment-batches/{batch_id}/pain.001.xml", FINANCE),
    R("POST", "/api/v1/payment-batches/{batch_id}/status-reports", FINANCE, body="bank_report"),
    R("POST", "/api/v1/payment-batches/{batch_id}/sent", FINANCE),
    R("POST", "/api/v1/payment-batches/{batch_id}/cancel", FINANCE, ids={"batch_id": "batch_to_cancel"}),
    R("POST", "/api/v1/calls/{call_id}/payment-batches", FINANCE),
    # Operations: each service's dead letters.
    *(R("GET", f"/api/v1/ops/{service}/dead-letters", ADMIN) for service in SERVICES),
    *(R("GET", f"/api/v1/ops/{service}/outbox", ADMIN) for service in SERVICES),
    *(
        R("POST", f"/api/v1/ops/{service}/dead-letters/{{letter_id}}/replay", ADMIN_FINDS_NOTHING)
        for service in SERVICES
    ),
]
