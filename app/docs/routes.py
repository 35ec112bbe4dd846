"""Interactive documentation at /docs, served from this process: no request leaves it.

Swagger UI comes from the swagger-ui-bundle-v2 package instead of FastAPI's default CDN,
and starts from a script file, so the page needs no inline script.
"""

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app.docs import openapi

STATIC = "/docs/static"
OWN_STATIC = "/docs/assets"

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dyad API</title>
<link rel="stylesheet" href="{static}/swagger-ui.css">
<link rel="icon" type="image/png" href="{static}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="{own}/docs.js"></script>
</body>
</html>
"""


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = PAGE.format(
        static=escape(f"{root}{STATIC}"),
        own=escape(f"{root}{OWN_STATIC}"),
        openapi=escape(f"{root}{request.app.openapi_url}"),
    )
    return HTMLResponse(page)


def install(app: FastAPI) -> None:
    """Serve /docs and its static files; create the app with docs_url=None, redoc_url=None."""
    app.mount(STATIC, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")
    own = Path(__file__).parent / "static"
    app.mount(OWN_STATIC, StaticFiles(directory=str(own)), name="docs-assets")
    app.include_router(router)
    openapi.install(app)
