"""The timeline page at `/` and its static files under `/static/`.

The page is plain HTML, CSS and JavaScript modules that read the public API (`/v1/...`) only,
so it doubles as the reference frontend. It holds no inline script or style, so it works under
a `default-src 'self'` Content-Security-Policy.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

HERE = Path(__file__).parent
STATIC_URL = "/static"
# The files keep their names across releases, so browsers must ask again (a cheap 304)
# rather than run yesterday's script against today's API.
REVALIDATE = "no-cache"

router = APIRouter(include_in_schema=False)


class _RevalidatedFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = REVALIDATE
        return response


@router.api_route("/", methods=["GET", "HEAD"])
def page(request: Request) -> FileResponse:
    # The page reads the public API: without public reads it could only show errors, so a
    # page saying why (and what to do) takes its place.
    public = request.app.state.settings.public_read
    return FileResponse(
        HERE / ("index.html" if public else "private.html"),
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": REVALIDATE},
    )


def install(app: FastAPI) -> None:
    """Serve the page at `/` and its assets under `/static/`."""
    app.mount(STATIC_URL, _RevalidatedFiles(directory=HERE / "static"), name="web-static")
    app.include_router(router)
