"""`/agreements/enduser/`: end-user agreements (history window, access period, scopes)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, jsonify

from payymo.sandbox.gocardless.catalogue import Institution, find_institution
from payymo.sandbox.gocardless.errors import (
    api_error,
    field_error,
    field_errors,
    invalid_uuid,
    not_found,
)
from payymo.sandbox.gocardless.state import SCOPES, Agreement, Store
from payymo.sandbox.gocardless.web import json_body, paginate, require_uuid, store, timestamp

MAX_HISTORICAL_DAYS = 730
MAX_ACCESS_DAYS = 180
DEFAULT_DAYS = 90
REQUIRED = "This field is required."
NOT_AN_INTEGER = "A valid integer is required."

bp = Blueprint("gocardless_agreements", __name__, url_prefix="/api/v2/agreements/enduser")


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "created": timestamp(agreement.created),
        "institution_id": agreement.institution_id,
        "max_historical_days": agreement.max_historical_days,
        "access_valid_for_days": agreement.access_valid_for_days,
        "access_scope": list(agreement.access_scope),
        "accepted": timestamp(agreement.accepted),
    }


def unknown_institution(institution_id: str) -> dict[str, str]:
    return field_error(
        f"Unknown Institution ID {institution_id}",
        "Get Institution IDs from /institutions/?country={$COUNTRY_CODE}",
    )


def _institution(body: dict[str, Any], errors: dict[str, Any]) -> Institution | None:
    raw = body.get("institution_id")
    if not isinstance(raw, str) or not raw:
        errors["institution_id"] = [REQUIRED if raw is None else "This field may not be blank."]
        return None
    institution = find_institution(raw)
    if institution is None:
        errors["institution_id"] = unknown_institution(raw)
    return institution


def _days(body: dict[str, Any], name: str, ceiling: int, errors: dict[str, Any]) -> int:
    raw = body.get(name, min(DEFAULT_DAYS, ceiling))
    text = str(raw).strip()
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not text.lstrip("-").isdigit():
        errors[name] = [NOT_AN_INTEGER]
        return 0
    return int(text)


def _check_days(
    values: dict[str, int], institution: Institution | None, errors: dict[str, Any]
) -> None:
    history_cap = MAX_HISTORICAL_DAYS
    history_text = str(MAX_HISTORICAL_DAYS)
    access_cap = MAX_ACCESS_DAYS
    if institution is not None:
        history_cap = min(history_cap, institution.transaction_total_days)
        history_text = f"{institution.id} transaction_total_days ({history_cap})"
        access_cap = institution.max_access_valid_for_days
    history, access = values["max_historical_days"], values["access_valid_for_days"]
    if "max_historical_days" not in errors and not 0 < history <= history_cap:
        errors["max_historical_days"] = field_error(
            "Incorrect max_historical_days",
            f"max_historical_days must be > 0 and <= {history_text}",
        )
    if "access_valid_for_days" not in errors and not 0 < access <= access_cap:
        errors["access_valid_for_days"] = field_error(
            "Incorrect access_valid_for_days",
            f"access_valid_for_days must be > 0 and <= {access_cap}",
        )


def _scopes(body: dict[str, Any], errors: dict[str, Any]) -> list[str]:
    raw = body.get("access_scope", list(SCOPES))
    if not isinstance(raw, list) or not raw or any(s not in SCOPES for s in raw):
        errors["access_scope"] = field_error(
            "Unknown value in access_scope",
            f"access_scope must be a non-empty list of: {', '.join(SCOPES)}",
        )
        return []
    return sorted(set(raw))


def validated_terms(body: dict[str, Any]) -> tuple[str, int, int, list[str]]:
    """(institution_id, max_historical_days, access_valid_for_days, scopes) or a 400."""
    errors: dict[str, Any] = {}
    institution = _institution(body, errors)
    history_cap = institution.transaction_total_days if institution else MAX_HISTORICAL_DAYS
    access_cap = institution.max_access_valid_for_days if institution else MAX_ACCESS_DAYS
    values = {
        "max_historical_days": _days(body, "max_historical_days", history_cap, errors),
        "access_valid_for_days": _days(body, "access_valid_for_days", access_cap, errors),
    }
    _check_days(values, institution, errors)
    scopes = _scopes(body, errors)
    if errors or institution is None:
        raise field_errors(errors)
    return institution.id, values["max_historical_days"], values["access_valid_for_days"], scopes


def create_agreement(sim: Store, body: dict[str, Any]) -> Agreement:
    """Validate `body` and store a new, not yet accepted agreement."""
    institution_id, history, access, scopes = validated_terms(body)
    agreement = Agreement(str(uuid.uuid4()), sim.now(), institution_id, history, access, scopes)
    with sim.lock:
        sim.data.agreements[agreement.id] = agreement
    return agreement


def find_agreement(sim: Store, agreement_id: str) -> Agreement:
    require_uuid(agreement_id, invalid_uuid(agreement_id, "EndUserAgreement"))
    agreement = sim.data.agreements.get(agreement_id.lower())
    if agreement is None:
        raise not_found()
    return agreement


@bp.post("/")
def post_agreement() -> tuple[Response, int]:
    return jsonify(agreement_json(create_agreement(store(), json_body()))), 201


@bp.get("/")
def list_agreements() -> Response:
    sim = store()
    with sim.lock:
        items = [agreement_json(a) for a in reversed(sim.data.agreements.values())]
    return jsonify(paginate(items, "agreements/enduser/"))


@bp.get("/<agreement_id>/")
def get_agreement(agreement_id: str) -> Response:
    sim = store()
    with sim.lock:
        return jsonify(agreement_json(find_agreement(sim, agreement_id)))


@bp.delete("/<agreement_id>/")
def delete_agreement(agreement_id: str) -> Response:
    sim = store()
    with sim.lock:
        agreement = find_agreement(sim, agreement_id)
        del sim.data.agreements[agreement.id]
    return jsonify(
        summary="End User Agreement deleted",
        detail=f"End User Agreement {agreement.id} deleted",
    )


@bp.put("/<agreement_id>/accept/")
def accept_agreement(agreement_id: str) -> Response:
    sim = store()
    with sim.lock:
        find_agreement(sim, agreement_id)
    raise api_error(
        403,
        "Insufficient permissions",
        "Your company doesn't have permission to accept EUA. "
        "You'll have to use our default form for this action.",
    )
