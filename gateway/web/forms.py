"""The form's steps and fields: how each is shown, and how what people type becomes the
partial application the API takes. No business rule lives here: every value is sent as typed
(numbers only made ASCII) and the API says what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.iraq import GOVERNORATES

STEPS = ("business", "owner", "plan", "documents", "consent", "review")
SECTION_STEPS = ("business", "owner", "plan", "consent")  # the steps that are a section of the application
DOCUMENT_KINDS = ("registration", "quote", "photo", "other")
CONSENT_VERSION = "2026-01"
SECTORS = (
    "agriculture",
    "manufacturing",
    "food_processing",
    "trade",
    "services",
    "construction",
    "handicrafts",
    "technology",
    "transport",
    "tourism",
    "other",
)
MIN_LINE_ROWS = 3
MAX_LINE_ROWS = 50
_NUMBER_NOISE = re.compile(r"[\s,\u066c\u060c_']")  # spaces, commas, Arabic thousands separator


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str = "text"  # text | textarea | integer | money | tel | select
    options: tuple[tuple[str, str], ...] = ()  # (value, catalogue key) for selects
    max_length: int | None = None
    autocomplete: str = ""
    secret: bool = False  # never shown back (the API keeps only its last digits)

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "money")


@dataclass
class StepForm:
    """One step as shown: values as typed (or as stored) and the errors of each field."""

    values: dict[str, str] = field(default_factory=dict)
    lines: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    line_rows: list[int] = field(default_factory=list)  # the row each budget line sent came from

    def row_of(self, key: str) -> str:
        """An error key of the n-th line sent → the key of the row it was typed in."""
        match = re.fullmatch(r"lines-(\d+)-(\w+)", key)
        if match is None or int(match.group(1)) >= len(self.line_rows):
            return key
        return f"lines-{self.line_rows[int(match.group(1))]}-{match.group(2)}"


def _choices(prefix: str, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((value, f"{prefix}.{value}") for value in values)


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "business": (
        FieldSpec("name", max_length=200, autocomplete="organization"),
        FieldSpec("registration_number", max_length=64),
        FieldSpec("sector", "select", _choices("sector", SECTORS)),
        FieldSpec("governorate", "select", _choices("governorate", tuple(GOVERNORATES))),
        FieldSpec("district", max_length=100),
        FieldSpec("address", max_length=300, autocomplete="street-address"),
        FieldSpec("founded_year", "integer"),
        FieldSpec("employees_female", "integer"),
        FieldSpec("employees_male", "integer"),
    ),
    "owner": (
        FieldSpec("full_name", max_length=200, autocomplete="name"),
        FieldSpec("national_id", max_length=64, secret=True),
        FieldSpec("phone", "tel", max_length=32, autocomplete="tel"),
        FieldSpec("sex", "select", _choices("sex", ("female", "male"))),
        FieldSpec("birth_year", "integer"),
        FieldSpec("displacement_status", "select", _choices("displacement", ("idp", "returnee", "host"))),
    ),
    "plan": (
        FieldSpec("summary", "textarea", max_length=5000),
        FieldSpec("jobs_planned_female", "integer"),
        FieldSpec("jobs_planned_male", "integer"),
        FieldSpec("requested_amount", "money"),
        FieldSpec("co_contribution", "money"),
    ),
}
LINE_FIELDS = (FieldSpec("item", max_length=200), FieldSpec("quantity", "integer"), FieldSpec("unit_cost", "money"))


def choices(spec: FieldSpec, call: Mapping[str, Any], label: Callable[[str, str], str]) -> list[tuple[str, str]]:
    """A select's options as (value, words); sectors also list those the call names."""
    options = list(spec.options)
    if spec.name == "sector":
        known = {value for value, _ in options}
        sectors = (call.get("eligibility") or {}).get("sectors") or []
        options += [(value, f"sector.{value}") for value in sectors if value not in known]
    return [(value, label(key, value)) for value, key in options]


def display(spec: FieldSpec, section: Mapping[str, Any], label: Callable[[str, str], str]) -> str:
    """A stored value in words, for the review page ("" when not given)."""
    if spec.secret:
        last4 = section.get(f"{spec.name}_last4")
        return f"•••• {last4}" if last4 else ""
    value = section.get(spec.name)
    if value is None or value == "":
        return ""
    if spec.kind == "select":
        key = dict(spec.options).get(str(value), f"{spec.options[0][1].split('.')[0]}.{value}")
        return label(key, str(value))
    return str(value)


def ascii_number(raw: str) -> str:
    """Digits of any script (Arabic-Indic ٠-٩, Eastern ۰-۹…) made ASCII; the Arabic decimal
    separator made a point; spaces and thousands separators dropped."""
    text = "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c for c in raw)
    return _NUMBER_NOISE.sub("", text.replace("\u066b", ".")).strip()


def _clean(spec: FieldSpec, raw: str) -> str | None:
    text = raw.strip()
    if spec.numeric:
        text = ascii_number(text)
    return text or None


def read_section(step: str, form: Mapping[str, Any]) -> tuple[StepForm, dict[str, Any]]:
    """What was typed on a step (kept to show again) and the section to send to the API."""
    shown = StepForm()
    section: dict[str, Any] = {}
    for spec in FIELDS.get(step, ()):
        raw = str(form.get(spec.name, ""))[: (spec.max_length or 40) * 4]
        shown.values[spec.name] = raw
        value = _clean(spec, raw)
        if spec.secret and value is None:
            continue  # left empty: the one stored stays
        section[spec.name] = value
    if step == "plan":
        shown.lines, section["budget_lines"], shown.line_rows = read_lines(form)
    if step == "consent":
        section = {"data_processing": form.get("data_processing") == "yes", "text_version": CONSENT_VERSION}
    return shown, section


def read_lines(form: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, Any]], list[int]]:
    """The budget rows as typed, the non-empty ones to send, and the row each sent line came from."""
    rows: list[dict[str, str]] = []
    for index in range(MAX_LINE_ROWS):
        if f"lines-{index}-item" not in form:
            break
        rows.append({spec.name: str(form.get(f"lines-{index}-{spec.name}", ""))[:400] for spec in LINE_FIELDS})
    sent: list[dict[str, Any]] = []
    index_map: list[int] = []
    for index, row in enumerate(rows):
        if any(value.strip() for value in row.values()):
            sent.append({spec.name: _clean(spec, row[spec.name]) for spec in LINE_FIELDS})
            index_map.append(index)
    return rows, sent, index_map


def stored_form(step: str, application: Mapping[str, Any] | None) -> StepForm:
    """A step filled from the stored draft (for showing it again when someone comes back)."""
    shown = StepForm()
    if application is None:
        return shown
    if step == "consent":
        shown.values["data_processing"] = "yes" if application["consent"].get("data_processing") else ""
        return shown
    section = application.get(step) or {}
    for spec in FIELDS.get(step, ()):
        value = section.get(spec.name)
        shown.values[spec.name] = "" if value is None or spec.secret else str(value)
    if step == "plan":
        shown.lines = [
            {spec.name: str(line.get(spec.name, "")) for spec in LINE_FIELDS}
            for line in section.get("budget_lines") or []
        ]
    return shown


def pad_lines(lines: list[dict[str, str]], extra: int = 0) -> list[dict[str, str]]:
    """At least a few rows, plus `extra` empty ones (the "add a line" button without JavaScript)."""
    wanted = min(MAX_LINE_ROWS, max(MIN_LINE_ROWS, len(lines) + extra))
    return lines + [{spec.name: "" for spec in LINE_FIELDS} for _ in range(wanted - len(lines))]


def field_key(loc: list[Any]) -> tuple[str, str] | None:
    """An API error location → (step, field key on that step's page), e.g.
    `["body", "plan", "budget_lines", 0, "quantity"]` → `("plan", "lines-0-quantity")`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    if not parts or parts[0] not in SECTION_STEPS:
        return None
    step = parts[0]
    if step == "plan" and len(parts) >= 2 and parts[1] == "budget_lines":
        if len(parts) >= 4 and parts[2].isdigit():
            return step, f"lines-{parts[2]}-{parts[3]}"
        return step, "budget_lines"
    if step == "consent":
        return step, "data_processing"  # the one thing people do on that step; it sets the text version too
    return step, parts[1] if len(parts) > 1 else step


def label_key(step: str, key: str, short: bool = False) -> str:
    """The catalogue key naming a field, e.g. `field.business.name` or `field.line.quantity`;
    `short` for a list of problems (the consent checkbox's label is a whole sentence)."""
    if key.startswith("lines-"):
        return f"field.line.{key.rsplit('-', 1)[-1]}"
    if short and step == "consent":
        return "step.consent"
    return f"field.{step}.{key}"
