"""Interactive documentation at /docs, served from this process: no request leaves it.

Swagger UI comes from the swagger-ui-bundle-v2 package instead of FastAPI's default CDN.
"""

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = "/docs/static"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title="Dyad API",
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon-32x32.png",
        swagger_ui_parameters={"defaultModelsExpandDepth": 0, "tryItOutEnabled": True},
    )


def install(app: FastAPI) -> None:
    """Serve /docs and its static files; create the app with docs_url=None, redoc_url=None."""
    app.mount(STATIC, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")
    app.include_router(router)
