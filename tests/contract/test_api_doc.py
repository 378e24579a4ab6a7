"""docs/api.md is what the merged OpenAPI document says (`python -m cli.api_doc` rewrites it)."""

from __future__ import annotations

from cli.api_doc import API_DOC, merged_openapi, rendered


def test_committed_api_page_is_current() -> None:
    document = merged_openapi()
    assert document["info"]["x-unavailable"] == []  # every service's routes are in it
    assert "/api/v1/calls/{call_id}/payments.xml" in document["paths"]
    assert API_DOC.read_text(encoding="utf-8") == rendered(document), "stale: run `python -m cli.api_doc`"
