"""Which message a file is, by the namespace of its `Document` (banks' versions differ)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from services.disbursement.domain.bank_report_entries import ReportError

PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
# message -> (the element below Document, the versions we read)
MESSAGES = {
    "pain.002": ("CstmrPmtStsRpt", ("03", "10", "11")),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", ("02", "04", "08")),
    "camt.053": ("BkToCstmrStmt", ("02", "04", "08")),
}


@dataclass(frozen=True)
class Message:
    kind: str  # pain.002
    version: str  # pain.002.001.10
    namespace: str
    body: Element  # the message element below Document

    def q(self, path: str) -> str:
        """`A/B` in this message's namespace, for `find`."""
        return "/".join(f"{{{self.namespace}}}{step}" if step not in (".", "..") else step for step in path.split("/"))


def detect(root: Element) -> Message:
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "Document" or not namespace.startswith(PREFIX):
        raise ReportError(
            "unknown_message", "the file is not an ISO 20022 message (no Document in an ISO 20022 namespace)"
        )
    version = namespace.removeprefix(PREFIX)
    kind, _, variant = version.rpartition(".")
    if kind.endswith(".001"):
        kind = kind.removesuffix(".001")
    if kind not in MESSAGES or not version.startswith(f"{kind}.001."):
        raise ReportError(
            "unknown_message", f"{version} is not a status report: pain.002, camt.054 or camt.053 are read"
        )
    element, versions = MESSAGES[kind]
    if variant not in versions:
        known = ", ".join(f"{kind}.001.{v}" for v in versions)
        raise ReportError("unsupported_version", f"{version} is not a version we read ({known})")
    body = root.find(f"{{{namespace}}}{element}")
    if body is None:
        raise ReportError("missing_element", f"{version} has no {element} below Document")
    return Message(kind=kind, version=version, namespace=namespace, body=body)
