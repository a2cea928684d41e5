"""`/requisitions/`: a consent request, its bank link, and the accounts it ends up linking."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify

from payymo.sandbox.gocardless.agreements import create_agreement, unknown_institution
from payymo.sandbox.gocardless.catalogue import Institution, find_institution
from payymo.sandbox.gocardless.errors import field_error, field_errors, invalid_uuid, not_found
from payymo.sandbox.gocardless.state import Agreement, Requisition, Store
from payymo.sandbox.gocardless.web import (
    absolute_url,
    is_uuid,
    json_body,
    paginate,
    store,
    timestamp,
)

REQUIRED = "This field is required."
BLANK = "This field may not be blank."
LANGUAGES = frozenset(
    ("BG", "CS", "DA", "DE", "EL", "EN", "ES", "ET", "FI", "FR", "HR", "HU", "IS", "IT", "LT",
     "LV", "NL", "NO", "PL", "PT", "RO", "RU", "SK", "SL", "SV", "UK")
)  # fmt: skip

bp = Blueprint("gocardless_requisitions", __name__, url_prefix="/api/v2/requisitions")


def consent_path(requisition: Requisition) -> str:
    return f"psd2/start/{requisition.id}/{requisition.institution_id}"


def requisition_json(requisition: Requisition) -> dict[str, Any]:
    return {
        "id": requisition.id,
        "created": timestamp(requisition.created),
        "redirect": requisition.redirect,
        "status": requisition.status,
        "institution_id": requisition.institution_id,
        "agreement": requisition.agreement_id,
        "reference": requisition.reference,
        "accounts": list(requisition.accounts),
        "user_language": requisition.user_language,
        "link": absolute_url(consent_path(requisition)),
        "ssn": requisition.ssn,
        "account_selection": requisition.account_selection,
        "redirect_immediate": requisition.redirect_immediate,
    }


def _text(body: dict[str, Any], name: str, errors: dict[str, Any], *, limit: int) -> str:
    raw = body.get(name)
    if not isinstance(raw, str) or not raw.strip():
        errors[name] = [REQUIRED if raw is None else BLANK]
        return ""
    if len(raw) > limit:
        errors[name] = [f"Ensure this field has no more than {limit} characters."]
    return raw


def _redirect(body: dict[str, Any], errors: dict[str, Any]) -> str:
    redirect = _text(body, "redirect", errors, limit=1024)
    parts = urlsplit(redirect)
    if redirect and "redirect" not in errors and not (parts.scheme and parts.netloc):
        errors["redirect"] = ["Enter a valid URL."]
    return redirect


def _institution(body: dict[str, Any], errors: dict[str, Any]) -> Institution | None:
    institution_id = _text(body, "institution_id", errors, limit=256)
    institution = find_institution(institution_id) if institution_id else None
    if institution_id and institution is None:
        errors["institution_id"] = unknown_institution(institution_id)
    return institution


def _reference(sim: Store, body: dict[str, Any], errors: dict[str, Any], default: str) -> str:
    if body.get("reference") is None:
        return default
    reference = _text(body, "reference", errors, limit=256)
    if any(r.reference == reference for r in sim.data.requisitions.values()):
        errors["reference"] = field_error(
            "Client reference must be unique", f"Client reference '{reference}' already exists"
        )
    return reference


def _agreement(
    sim: Store, body: dict[str, Any], institution_id: str, errors: dict[str, Any]
) -> Agreement | None:
    raw = body.get("agreement")
    if raw is None:
        return None
    if not isinstance(raw, str) or not is_uuid(raw):
        raise invalid_uuid(str(raw), "EndUserAgreement")
    agreement = sim.data.agreements.get(raw.lower())
    if agreement is None:
        raise not_found()
    if agreement.institution_id != institution_id:
        expected = agreement.institution_id
        errors["agreement"] = field_error(
            "Incorrect Institution ID ",
            f"Provided Institution ID: '{institution_id}' for requisition does not match EUA "
            f"institution ID '{expected}'. Please provide correct institution ID: '{expected}'",
        )
    return agreement


def _options(body: dict[str, Any], institution_id: str, errors: dict[str, Any]) -> dict[str, Any]:
    institution = find_institution(institution_id)
    features = institution.supported_features if institution else ()
    language = str(body.get("user_language") or "EN").upper()
    if language not in LANGUAGES:
        errors["user_language"] = field_error(
            "Provided user_language is invalid or not supported",
            f"'{language}' is an invalid or unsupported language",
        )
    if body.get("ssn"):
        errors["ssn"] = field_error(
            "SSN verification not supported", f"SSN verification not supported for {institution_id}"
        )
    selection = body.get("account_selection") is True
    if selection and "account_selection" not in features:
        errors["account_selection"] = field_error(
            "Account selection not supported",
            f"Account selection not supported for {institution_id}",
        )
    return {
        "user_language": language,
        "account_selection": selection,
        "redirect_immediate": body.get("redirect_immediate") is True,
    }


def create_requisition(sim: Store, body: dict[str, Any]) -> Requisition:
    """Validate `body` and store a CR requisition (with a default agreement if none given)."""
    requisition_id = str(uuid.uuid4())
    errors: dict[str, Any] = {}
    with sim.lock:
        redirect = _redirect(body, errors)
        institution = _institution(body, errors)
        institution_id = institution.id if institution else ""
        asked_for = str(body.get("institution_id") or "")
        agreement = _agreement(sim, body, asked_for, errors)
        reference = _reference(sim, body, errors, default=requisition_id)
        options = _options(body, institution_id, errors)
        if errors:
            raise field_errors(errors)
        if agreement is None:
            agreement = create_agreement(sim, {"institution_id": institution_id})
        requisition = Requisition(
            requisition_id, sim.now(), redirect, institution_id, agreement.id, reference, **options
        )
        sim.data.requisitions[requisition.id] = requisition
    return requisition


def find_requisition(sim: Store, requisition_id: str) -> Requisition:
    requisition = sim.data.requisitions.get(requisition_id.lower())
    if requisition is None:
        raise not_found()  # GoCardless answers a malformed id with 404 here, not 400
    return requisition


@bp.post("/")
def post_requisition() -> tuple[Response, int]:
    return jsonify(requisition_json(create_requisition(store(), json_body()))), 201


@bp.get("/")
def list_requisitions() -> Response:
    sim = store()
    with sim.lock:
        items = [requisition_json(r) for r in reversed(sim.data.requisitions.values())]
    return jsonify(paginate(items, "requisitions/"))


@bp.get("/<requisition_id>/")
def get_requisition(requisition_id: str) -> Response:
    sim = store()
    with sim.lock:
        return jsonify(requisition_json(find_requisition(sim, requisition_id)))


@bp.delete("/<requisition_id>/")
def delete_requisition(requisition_id: str) -> Response:
    sim = store()
    with sim.lock:
        requisition = find_requisition(sim, requisition_id)
        del sim.data.requisitions[requisition.id]
        sim.data.agreements.pop(requisition.agreement_id, None)
    return jsonify(
        summary="Requisition deleted",
        detail=f"Requisition {requisition.id} deleted with all its End User Agreements",
    )
