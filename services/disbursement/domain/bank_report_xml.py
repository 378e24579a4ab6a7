"""XML from outside, parsed without the attacks XML allows.

A bank file is untrusted input. The standard library's expat is driven directly (as defusedxml
does) and refuses any document type declaration: with no DTD there are no entity
declarations, so no entity expansion ("billion laughs"), no external entities (XXE, files or
URLs read on our side) and no external DTD to fetch. Only the five predefined entities and
character references remain. The caller limits the size before the bytes get here.
"""

from __future__ import annotations

from typing import NoReturn
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from services.disbursement.domain.bank_report_entries import ReportError

SEPARATOR = "}"


def _forbidden(*_: object) -> NoReturn:
    raise ReportError("xml_dtd_forbidden", "the file declares a document type (DTD): bank files have none")


def parse(data: bytes) -> Element:
    """The document's root element, with `{namespace}name` tags (as ElementTree writes them)."""
    if not data.strip():
        raise ReportError("empty_file", "the file is empty")
    builder = TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=SEPARATOR)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbidden
    parser.EntityDeclHandler = _forbidden
    parser.UnparsedEntityDeclHandler = _forbidden
    parser.ExternalEntityRefHandler = _forbidden
    parser.NotationDeclHandler = _forbidden
    parser.buffer_text = True
    parser.ordered_attributes = False

    def name(raw: str) -> str:
        return "{" + raw if SEPARATOR in raw else raw

    parser.StartElementHandler = lambda tag, attributes: builder.start(
        name(tag), {name(k): v for k, v in attributes.items()}
    )
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise ReportError("not_xml", f"the file is not well-formed XML ({expat.ErrorString(error.code)})") from None
    except (UnicodeError, LookupError, ValueError):  # an encoding expat does not know
        raise ReportError("not_xml", "the file is not XML in an encoding we read (UTF-8, UTF-16, ISO-8859-1)") from None
    root = builder.close()
    return root
