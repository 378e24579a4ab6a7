"""English and Arabic: the catalogue (`locales/*.json`), choosing the visitor's language, and
turning the API's validation messages into words for people.

The API's messages are English and meant for developers; the ones known here are said again
in the visitor's language. An unknown one is shown as is in English and as a generic
"invalid value in <field>" in Arabic: never a wrong translation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request

from gateway.web.session import LANG_COOKIE

LANGUAGES = ("en", "ar")
DEFAULT = "en"
RTL = frozenset({"ar"})
LOCALES = Path(__file__).parent / "locales"

# The API's message (after pydantic's "Value error, " prefix) → the catalogue key of ours;
# groups of the pattern become {0}, {1}… in the translation. First match wins.
ERROR_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), key)
    for p, key in [
        (r"^Field required$", "error.required"),
        (r"^String should have at least 1 character", "error.required"),
        (r"^String should have at least (\d+) characters", "error.min_length"),
        (r"^required before submitting$", "error.required_to_submit"),
        (r"^consent to data processing is required$", "error.consent"),
        (r"^Input should be a valid integer", "error.integer"),
        (r"^Input should be a valid (number|decimal)", "error.number"),
        (r"^not a (finite|decimal) number", "error.number"),
        (r"^Input should be greater than or equal to (\S+)$", "error.min"),
        (r"^Input should be greater than (\S+)$", "error.gt"),
        (r"^Input should be less than or equal to (\S+)$", "error.max"),
        (r"^String should have at most (\d+) characters?$", "error.max_length"),
        (r"^List should have at most (\d+) items?", "error.max_items"),
        (r"^Input should be '", "error.choose"),
        (r"^unknown governorate", "error.choose"),
        (r"^String should match pattern", "error.choose"),
        (r"^must be 4 to 32 letters or digits$", "error.identifier"),
        (r"^not a (valid )?phone number", "error.phone"),
        (r"^\w+ amounts have at most (\d+) decimal places$", "error.decimals"),
        (r"^at most (\d+) decimal places$", "error.decimals"),
        (r"^cannot be in the future$", "error.future"),
        (r"^the owner must be between (\d+) and (\d+) years old$", "error.owner_age"),
        (
            r"^budget lines sum to (\S+); they must equal requested amount \+ co-contribution \((\S+)\)$",
            "error.budget_sum",
        ),
        (r"^not a valid email address$", "error.email"),
        (r"^must have at least (\d+) characters$", "error.password_short"),
        (r"^must have at most (\d+) characters$", "error.max_length"),
        (r"^must not be only spaces$", "error.required"),
        (r"^Input should be a valid boolean", "error.choose"),
    ]
]


@cache
def catalogue(lang: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    return messages


def accepted(header: str) -> list[str]:
    """The primary language subtags of an Accept-Language header, best first."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(request: Request) -> tuple[str, bool]:
    """The page's language and whether it was chosen now (`?lang=`), to be remembered."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE, "")
    if remembered in LANGUAGES:
        return remembered, False
    for tag in accepted(request.headers.get("accept-language", "")):
        if tag in LANGUAGES:
            return tag, False
        if tag == "*":
            break
    return DEFAULT, False


@dataclass(frozen=True)
class Translator:
    lang: str

    @property
    def dir(self) -> str:
        return "rtl" if self.lang in RTL else "ltr"

    @property
    def other(self) -> str:
        return "en" if self.lang == "ar" else "ar"

    def __call__(self, key: str, *args: object, **kwargs: object) -> str:
        text = catalogue(self.lang).get(key) or catalogue(DEFAULT).get(key) or key
        return text.format(*args, **kwargs) if args or kwargs else text

    def has(self, key: str) -> bool:
        return key in catalogue(self.lang)

    def option(self, key: str, value: str) -> str:
        """The words for a choice, or the value made readable when the catalogue has none."""
        if key in catalogue(self.lang) or key in catalogue(DEFAULT):
            return self(key)
        return value.replace("_", " ").capitalize()

    def local(self, texts: object) -> str:
        """A call's `{"en": …, "ar": …}` text in this language, else the other."""
        if not isinstance(texts, dict):
            return ""
        return str(texts.get(self.lang) or texts.get(DEFAULT) or texts.get(self.other) or "")

    def error(self, msg: str, label: str) -> str:
        """The API's validation message `msg` about the field `label`, for people."""
        text = msg.removeprefix("Value error, ").strip()
        for pattern, key in ERROR_PATTERNS:
            match = pattern.search(text)
            if match:
                return self(key, *match.groups(), label=label)
        if self.lang == DEFAULT:
            return text[:1].upper() + text[1:] if text else self("error.invalid", label=label)
        return self("error.invalid", label=label)
