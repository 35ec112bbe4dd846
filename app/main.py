"""create_app(): the routers, the middleware and the error handlers; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from app.core import errors
from app.core.db import create_db_engine
from app.core.request_id import RequestIdMiddleware
from app.core.settings import Settings, get_settings
from app.events.routes import router as events_router
from app.health.routes import router as health_router

DESCRIPTION = """
Dated events in the relations between countries, each backed by sources with quotes,
served as filterable timelines. Dates are EDTF strings; countries are ISO 3166-1 alpha-3.
Errors are RFC 9457 `application/problem+json`.
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    owned_engine = engine is None
    engine = engine or create_db_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned_engine:
            engine.dispose()

    app = FastAPI(
        title="Dyad",
        version="1.0",
        summary="The history of relations between countries, as an API.",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    errors.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Link", "Location", "X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health_router)
    app.include_router(events_router)
    return app
