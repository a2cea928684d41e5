"""The bank's consent page a requisition `link` points to: approve or reject, then redirect."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request
from markupsafe import escape

from payymo.sandbox.gocardless.catalogue import find_institution
from payymo.sandbox.gocardless.lifecycle import OPEN_STATUSES, approve, reject
from payymo.sandbox.gocardless.state import Requisition
from payymo.sandbox.gocardless.web import store

bp = Blueprint("gocardless_consent", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p>{actions}</body></html>
"""
ACTIONS = """<form method="post"><button name="action" value="approve">Allow access</button>
<button name="action" value="reject">Cancel</button></form>"""


def _page(title: str, message: str, status: int, *, actions: bool = False) -> Response:
    html = PAGE.format(
        title=escape(title), message=escape(message), actions=ACTIONS if actions else ""
    )
    return Response(html, status=status, mimetype="text/html")


def _back(requisition: Requisition, **extra: str) -> Response:
    """302 to the requisition's `redirect`, with `ref` (and any error) in the query."""
    separator = "&" if "?" in requisition.redirect else "?"
    query = urlencode({"ref": requisition.reference, **extra})
    return Response(status=302, headers={"Location": f"{requisition.redirect}{separator}{query}"})


@bp.route("/psd2/start/<requisition_id>/<institution_id>", methods=["GET", "POST"])
def consent(requisition_id: str, institution_id: str) -> Response:
    sim = store()
    action = request.values.get("action", "")
    with sim.lock:
        requisition = sim.data.requisitions.get(requisition_id.lower())
        if requisition is None or requisition.institution_id != institution_id:
            return _page("Link not found", "This consent link is not valid.", 404)
        if requisition.status not in OPEN_STATUSES:
            return _page("Link no longer valid", f"This request is {requisition.status}.", 410)
        if action == "approve":
            approve(sim, requisition)
            return _back(requisition)
        if action == "reject":
            reject(requisition)
            return _back(
                requisition, error="UserCancelledSession", details="User cancelled the session."
            )
        if requisition.status == "CR":
            requisition.move("GC")
    institution = find_institution(institution_id)
    name = institution.name if institution else institution_id
    return _page(name, f"Allow access to your {name} accounts?", 200, actions=True)
