"""The envelope consumers accept (`IncomingCloudEvent`): CloudEvents 1.0's required attributes
only, any JSON media type; a report is identified by `source` + `id`."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError

from shared.events.calls import CallClosedV1
from shared.events.envelope import IncomingCloudEvent, make_event

MINIMAL = {"specversion": "1.0", "id": "1", "source": "urn:example:erp", "type": "edf.finance.payment.settled.v1"}


def incoming(**attributes: object) -> IncomingCloudEvent:
    return IncomingCloudEvent.model_validate_json(json.dumps({**MINIMAL, **attributes}))


@pytest.mark.parametrize(
    "media_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/json",
        "application/cloudevents+json",
        "APPLICATION/JSON",
    ],
)
def test_any_json_media_type_is_accepted(media_type: str) -> None:
    assert incoming(datacontenttype=media_type).datacontenttype == media_type


@pytest.mark.parametrize("media_type", ["application/xml", "text/plain", "json", "application/jsonx", ""])
def test_a_media_type_that_is_not_json_is_refused(media_type: str) -> None:
    with pytest.raises(ValidationError):
        incoming(datacontenttype=media_type)


@pytest.mark.parametrize("missing", ["specversion", "id", "source", "type"])
def test_each_required_attribute_is_required(missing: str) -> None:
    with pytest.raises(ValidationError):
        IncomingCloudEvent.model_validate({k: v for k, v in MINIMAL.items() if k != missing})


def test_the_required_four_suffice_and_extensions_are_kept() -> None:
    event = incoming(erpbatch="B-7")
    assert (event.subject, event.time, event.data) == (None, None, None)
    assert event.model_extra == {"erpbatch": "B-7"}


def test_two_sources_same_id_are_two_events_and_a_key_fits_36_characters() -> None:
    first, second = incoming(source="urn:erp:a"), incoming(source="urn:erp:b")
    assert first.key != second.key and len(first.key) == len(second.key) == 36
    assert incoming(source="urn:erp:a").key == first.key
    same_uuid = str(uuid.uuid4())  # a UUID from outside is scoped by its source too
    assert incoming(source="urn:erp:a", id=same_uuid).key != incoming(source="urn:erp:b", id=same_uuid).key


def test_our_own_events_keep_their_id_as_key() -> None:
    ours = make_event(source="/edf/applications", subject="x", data=CallClosedV1(call_id=uuid.uuid4()))
    parsed = IncomingCloudEvent.model_validate_json(ours.model_dump_json())
    assert parsed.key == str(ours.id)


def test_correlation_ids_our_columns_cannot_keep_are_dropped() -> None:
    assert incoming(correlationid="x" * 65).correlationid is None
    assert incoming(correlationid=7).correlationid is None
    assert incoming(correlationid="abc").correlationid == "abc"
