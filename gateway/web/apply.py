"""The application form, `/apply/{call_code}/…`: one page per step, each saving the draft
through the public API (`POST` then `PATCH /api/v1/applications`), documents, submission."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.datastructures import UploadFile
from starlette.responses import Response

from gateway.web import forms
from gateway.web.client import Answer
from gateway.web.pages import Refused, Visit, posted, redirect, render, visit
from gateway.web.routes import account_page

CALL_CODE = re.compile(r"^[A-Za-z0-9]{2,12}$")  # as `CallSpec.code`, in any case


def known_shape(code: str) -> None:
    """A code that cannot be a call's is a 404 before anything else (it is put in links and redirects)."""
    if not CALL_CODE.fullmatch(code):
        raise Refused(404, "error.no_call")


router = APIRouter(prefix="/apply/{code}", include_in_schema=False, dependencies=[Depends(known_shape)])
Page = Annotated[Visit, Depends(visit)]
MAX_UPLOAD_READ = 11 * 1024 * 1024  # the API refuses past 10 MB and says so; read no further than that


@dataclass
class Draft:
    call: dict[str, Any]
    application: dict[str, Any] | None  # the signed-in applicant's draft for the call, if any
    submitted: dict[str, Any] | None  # …or their application already sent

    @property
    def id(self) -> str | None:
        return str(self.application["id"]) if self.application else None


async def _call(v: Visit, code: str) -> dict[str, Any]:
    call = await v.api.open_call(code)
    if call is None:
        raise Refused(404, "error.no_call")
    return call


async def _draft(v: Visit, code: str) -> Draft:
    call = await _call(v, code)
    found = await v.api.applications(call_id=str(call["id"]))
    mine = [a for a in found if a.get("applicant_id") == v.session.user_id]  # a staff token would list all
    draft = next((a for a in mine if a.get("status") == "draft"), None)
    sent = next((a for a in mine if a.get("status") not in ("draft", "withdrawn")), None)
    return Draft(call, draft, sent)


def _resume_step(application: dict[str, Any]) -> str:
    for step in ("business", "owner", "plan"):
        if not application.get(step):
            return step
    return "review" if application.get("consent") else "documents"


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise Refused(404, "error.not_found") from None


def _path(code: str, step: str) -> str:
    return f"/apply/{code}/{step}"


def _step_page(
    v: Visit, code: str, step: str, draft: Draft, form: forms.StepForm, status: int = 200, **context: Any
) -> Response:
    return render(
        v,
        f"step_{step if step in ('documents', 'consent', 'review') else 'fields'}.html",
        status=status,
        code=code,
        step=step,
        steps=forms.STEPS,
        call=draft.call,
        application=draft.application,
        form=form,
        fields=forms.FIELDS.get(step, ()),
        line_fields=forms.LINE_FIELDS,
        all_fields=forms.FIELDS,
        kinds=forms.DOCUMENT_KINDS,
        consent_version=forms.CONSENT_VERSION,
        choices=lambda spec: forms.choices(spec, draft.call, v.t.option),
        display=lambda spec, section: forms.display(spec, section, v.t.option),
        **context,
    )


def _field_errors(v: Visit, step: str, form: forms.StepForm, answer: Answer) -> None:
    """The API's 422 errors of this step, next to their fields; others at the top."""
    for error in answer.errors:
        found = forms.field_key(error.get("loc") or [])
        msg = str(error.get("msg", ""))
        if found is None or found[0] != step:
            form.errors.setdefault("_", v.t.error(msg, v.t("form.this_step")))
            continue
        key = form.row_of(found[1])
        form.errors.setdefault(key, v.t.error(msg, v.t(forms.label_key(step, key))))
    if not form.errors:
        form.errors["_"] = v.t("error.not_saved")


async def _save(v: Visit, draft: Draft, sections: dict[str, Any]) -> Answer:
    if draft.id is None:
        return await v.api.create(str(draft.call["id"]), sections)
    return await v.api.update(draft.id, sections)


def _refuse(answer: Answer) -> None:
    """What no step can show next to a field: not an applicant (403), no such draft (404)."""
    if answer.status == 403:
        raise Refused(403, "error.not_applicant")
    if answer.status == 404:
        raise Refused(404, "error.not_found")


@router.get("")
async def start(v: Page, code: str) -> Response:
    if not v.session.signed_in:
        return account_page(v, f"/apply/{code}", call=await _call(v, code))
    draft = await _draft(v, code)
    if draft.application is not None:
        return redirect(v, _path(code, _resume_step(draft.application)))
    if draft.submitted is not None:
        return render(v, "applied.html", code=code, call=draft.call, application=draft.submitted, just_now=False)
    return redirect(v, _path(code, "business"))


@router.get("/done")
async def done(v: Page, code: str, id: str = "") -> Response:
    if not v.session.signed_in:
        return redirect(v, f"/apply/{code}")
    answer = await v.api.application(_uuid(id))
    _refuse(answer)
    call = await v.api.open_call(code)
    return render(v, "applied.html", code=code, call=call, application=answer.body, just_now=True)


@router.post("/submit")
async def submit(v: Page, code: str) -> Response:
    await posted(v)
    if not v.session.signed_in:
        return redirect(v, f"/apply/{code}")
    v.limit("submit")
    draft = await _draft(v, code)
    if draft.id is None:
        return redirect(v, f"/apply/{code}")
    answer = await v.api.submit(draft.id)
    if answer.ok:
        return redirect(v, f"/apply/{code}/done?id={draft.id}")
    _refuse(answer)
    problems: dict[str, dict[str, str]] = {}  # by link: one line per field
    for error in answer.errors:
        found = forms.field_key(error.get("loc") or [])
        step, key = found if found else ("review", "")
        label = v.t(forms.label_key(step, key, short=True)) if found else v.t("form.this_step")
        href = _path(code, step) + (f"#f-{key}" if key and key != step else "")
        message = v.t("error.consent") if step == "consent" else v.t.error(str(error.get("msg", "")), label)
        problems.setdefault(href, {"label": label, "message": message, "href": href, "step": v.t(f"step.{step}")})
    message = v.t("error.call_closed") if answer.status == 409 else ""
    return _step_page(
        v,
        code,
        "review",
        draft,
        forms.StepForm(),
        status=answer.status,
        problems=list(problems.values()),
        message=message,
    )


@router.post("/documents/{document_id}/delete")
async def delete_document(v: Page, code: str, document_id: str) -> Response:
    await posted(v)
    if not v.session.signed_in:
        return redirect(v, f"/apply/{code}")
    draft = await _draft(v, code)
    if draft.id is not None:
        _refuse(await v.api.delete_document(draft.id, _uuid(document_id)))
    return redirect(v, _path(code, "documents"))


@router.get("/{step}")
async def show_step(v: Page, code: str, step: str) -> Response:
    if step not in forms.STEPS:
        raise Refused(404, "error.not_found")
    if not v.session.signed_in:
        return redirect(v, f"/apply/{code}")
    draft = await _draft(v, code)
    if draft.application is None and draft.submitted is not None:
        return redirect(v, f"/apply/{code}")
    form = forms.stored_form(step, draft.application)
    form.lines = forms.pad_lines(form.lines)
    return _step_page(v, code, step, draft, form, problems=[], message="")


@router.post("/{step}")
async def save_step(v: Page, code: str, step: str) -> Response:
    if step not in forms.STEPS or step == "review":
        raise Refused(404, "error.not_found")
    posted_form = await posted(v)
    if not v.session.signed_in:
        return redirect(v, f"/apply/{code}")
    draft = await _draft(v, code)
    if draft.application is None and draft.submitted is not None:
        return redirect(v, f"/apply/{code}")
    if step == "documents":
        return await _upload(v, code, draft, posted_form.get("file"), str(posted_form.get("kind", "")))
    form, section = forms.read_section(step, posted_form)
    if posted_form.get("action") == "add_line":
        form.lines = forms.pad_lines(form.lines, extra=1)
        return _step_page(v, code, step, draft, form, problems=[], message="")
    answer = await _save(v, draft, {step: section})
    if answer.ok:
        return redirect(v, _path(code, forms.STEPS[forms.STEPS.index(step) + 1]))
    if answer.status == 409:
        return redirect(v, f"/apply/{code}")
    _refuse(answer)
    _field_errors(v, step, form, answer)
    form.lines = forms.pad_lines(form.lines)
    return _step_page(v, code, step, draft, form, status=422, problems=[], message="")


async def _upload(v: Visit, code: str, draft: Draft, file: object, kind: str) -> Response:
    form = forms.StepForm(values={"kind": kind})
    status = 422
    if not isinstance(file, UploadFile) or not file.filename:
        form.errors["file"] = v.t("error.choose_file")
    elif kind not in forms.DOCUMENT_KINDS:
        form.errors["kind"] = v.t("error.choose")
    else:
        content = await file.read(MAX_UPLOAD_READ)
        if draft.id is None:
            created = await v.api.create(str(draft.call["id"]), {})
            _refuse(created)
            draft.application = created.body
        assert draft.id is not None
        answer = await v.api.upload(
            draft.id, kind, file.filename, content, file.content_type or "application/octet-stream"
        )
        if answer.ok:
            return redirect(v, _path(code, "documents"))
        _refuse(answer)
        status = answer.status
        key = {413: "error.file_too_large", 415: "error.file_type", 409: "error.too_many_files"}.get(answer.status)
        form.errors["file"] = v.t(key) if key else v.t.error(answer.detail, v.t("field.documents.file"))
    return _step_page(v, code, "documents", draft, form, status=status, problems=[], message="")
