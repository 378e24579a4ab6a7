"""The CloudEvents 1.0 structured-JSON envelope every event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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

    def __init_subclass__(cls, *, subject: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if subject is not None:
            cls.subject = subject

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


def make_event(
    *,
    source: str,
    subject: str,
    data: EventData,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> CloudEvent:
    """The envelope of `data` about the aggregate `subject`; its `type` is the subject that
    `data`'s class names."""
    if not hasattr(type(data), "subject"):
        raise TypeError(f"{type(data).__name__} is not an event: its class names no subject")
    event_id = uuid.uuid4()
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
