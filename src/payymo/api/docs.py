"""`/api/v1/openapi.json` and the interactive docs at `/api/docs`, served from the pinned
flask-swagger-ui package's bundled Swagger UI (no CDN)."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, jsonify, send_from_directory

from payymo.api.openapi import build_openapi

SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
STATIC = Path(__file__).parent / "static"
SPEC_URL = "/api/v1/openapi.json"
DOCS_HTML = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Payymo API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body data-spec-url="{SPEC_URL}">
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
"""

blueprint = Blueprint("docs", __name__)


@blueprint.get(SPEC_URL)
def openapi_json() -> Response:
    return jsonify(build_openapi())


@blueprint.get("/api/docs")
def docs_page() -> Response:
    return Response(DOCS_HTML, mimetype="text/html")


@blueprint.get("/api/docs/init.js")
def docs_init() -> Response:
    return send_from_directory(STATIC, "docs-init.js", mimetype="text/javascript")


@blueprint.get("/api/docs/assets/<path:filename>")
def docs_assets(filename: str) -> Response:
    return send_from_directory(SWAGGER_DIST, filename, max_age=86400)
