"""`/institutions/`: the bank catalogue, filtered by country and supported features."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from payymo.sandbox.gocardless.catalogue import (
    ALL_FEATURES,
    EEA_AND_GB,
    INSTITUTIONS,
    Institution,
    find_institution,
)
from payymo.sandbox.gocardless.errors import field_error, field_errors, not_found

bp = Blueprint("gocardless_institutions", __name__, url_prefix="/api/v2/institutions")


def _by_country(found: list[Institution], country: str) -> list[Institution]:
    code = country.upper()
    if code not in EEA_AND_GB:
        raise field_errors(
            {"country": field_error("Invalid country choice.", f"{code} is not a valid choice.")}
        )
    return [i for i in found if code in i.countries]


def _by_features(found: list[Institution]) -> list[Institution]:
    """Apply `<feature>_supported=true|false` filters for the features we model."""
    for name, value in request.args.items():
        feature = name.removesuffix("_supported")
        if feature == name or feature not in ALL_FEATURES:
            continue
        wanted = value.lower() == "true"
        found = [i for i in found if (feature in i.supported_features) == wanted]
    return found


@bp.get("/")
def list_institutions() -> Response:
    found = list(INSTITUTIONS)
    country = request.args.get("country")
    if country is not None:
        found = _by_country(found, country)
    return jsonify([i.summary() for i in _by_features(found)])


@bp.get("/<institution_id>/")
def get_institution(institution_id: str) -> Response:
    institution = find_institution(institution_id)
    if institution is None:
        raise not_found()
    return jsonify(institution.detail())
