"""The CloudEvents 1.0 structured-JSON envelope every event travels in."""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from shared.fields import refuse_nul


class EventData(BaseModel):
    """Base of every event's `data` and of the models nested in it.

    An event's own class names its subject once, as a class argument:
    `class CallClosedV1(EventData, subject="edf.applications.call.closed.v1")`; a nested model
    (e.g. `BudgetLineFacts`) has none. Producers are strict (`extra="forbid"`); consumers
    validate with `extra="ignore"` so that a version can grow optional fields without breaking them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    subject: ClassVar[str]  # the NATS subject and CloudEvents `type` (events only)
    # The event carries a payee's name and account: the relay publishes it with a maximum age
    # (`Nats-TTL`, EDF_PAYEE_DATA_MAX_AGE_DAYS) and only its consumers may read it (shared.nats_auth).
    carries_payee_data: ClassVar[bool] = False

    def __init_subclass__(
        cls, *, subject: str | None = None, carries_payee_data: bool | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if subject is not None:
            cls.subject = subject
        if carries_payee_data is not None:
            cls.carries_payee_data = carries_payee_data

    @field_validator("*")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        """No text of an event holds a NUL character (a call's spec is also a request body)."""
        return refuse_nul(value)


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    correlationid: str | None = None
    causationid: str | None = None


def json_media_type(value: str) -> str:
    """A media type that declares JSON content by the CloudEvents JSON format (3.1): without its
    parameters, `*/json` or `*/*+json` (`application/json; charset=utf-8`, `text/json`,
    `application/cloudevents+json`)."""
    essence = value.split(";", 1)[0].strip().lower()
    kind, _, subtype = essence.partition("/")
    if not kind or not (subtype == "json" or subtype.endswith("+json")):
        raise ValueError("datacontenttype is not a JSON media type")
    return value


class IncomingCloudEvent(BaseModel):
    """An event as a consumer accepts it: any structured-mode CloudEvent 1.0 with JSON data.

    Only `specversion`, `id` (any non-empty string), `source` and `type` are required; `subject`,
    `time`, `datacontenttype` and extensions are optional (events from outside, e.g. finance
    systems, need not look like ours). What is in `data` is the subscribed class's to judge, so a
    missing or malformed `data` is invalid data, not an unparseable envelope.
    """

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"]
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = Field(default=None, min_length=1)
    time: datetime | None = None
    datacontenttype: Annotated[str, AfterValidator(json_media_type)] | None = None
    data: Any = None
    correlationid: str | None = None
    causationid: str | None = None

    @field_validator("correlationid", "causationid", mode="before")
    @classmethod
    def keepable_id(cls, value: Any) -> str | None:
        """Extensions from outside that our columns cannot keep (not text, over 64 characters)
        are dropped: a unit of work then starts its own correlation."""
        return value if isinstance(value, str) and 0 < len(value) <= 64 else None

    @property
    def key(self) -> str:
        """What identifies the event to an inbox. CloudEvents makes `source` + `id` unique, not
        `id` alone: an outside event is named by a UUID derived from both, so two finance
        systems' `"1"` (or the same UUID) never collide, and the key fits the inbox's 36
        characters. Our services' own ids (`/edf/…` sources) are random UUIDs and stay as they
        are, as the inbox rows written before this key hold them."""
        return event_key(self.source, self.id)


def event_key(source: str, event_id: str) -> str:
    """An event's inbox key (`IncomingCloudEvent.key`)."""
    if source.startswith(OWN_SOURCES):
        with suppress(ValueError):
            return str(uuid.UUID(event_id))
    return str(uuid.uuid5(INCOMING_IDS, f"{source}\n{event_id}"))


OWN_SOURCES = "/edf/"  # every service's `source` is /edf/<service> (shared/app.py)
INCOMING_IDS = uuid.UUID("0b6f3d8e-2c41-5a7e-9f10-6d2e8c4b1a95")  # namespace of derived event keys


def make_event(
    *,
    source: str,
    subject: str,
    data: EventData,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: uuid.UUID | None = None,
) -> CloudEvent:
    """The envelope of `data` about the aggregate `subject`; its `type` is the subject that
    `data`'s class names. Its id is random unless given (an event that must go out at most once
    for a cause gets an id derived from it: the outbox holds each id once)."""
    if not hasattr(type(data), "subject"):
        raise TypeError(f"{type(data).__name__} is not an event: its class names no subject")
    event_id = event_id or uuid.uuid4()
    return CloudEvent(
        id=event_id,
        source=source,
        type=type(data).subject,
        subject=subject,
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
        correlationid=correlation_id or str(event_id),
        causationid=causation_id,
    )
