"""create_app(): the routers, the middleware and the error handlers; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.actors.routes import router as actors_router
from app.changes.routes import router as changes_router
from app.core import errors
from app.core.body_limit import BodyLimitMiddleware
from app.core.db import create_db_engine, read_session_factory, session_factory
from app.core.exchange import ExchangeMiddleware
from app.core.metrics import router as metrics_router
from app.core.nul_guard import NulGuardMiddleware
from app.core.ratelimit import RateLimitMiddleware
from app.core.read_slots import ReadSlotsMiddleware
from app.core.settings import Settings, get_settings
from app.countries.routes import router as vocabulary_router
from app.docs import routes as docs
from app.events.routes import router as events_router
from app.events.write_routes import router as event_writes_router
from app.health.routes import router as health_router
from app.imports.routes import router as imports_router
from app.keys.auth import read_access
from app.keys.routes import router as keys_router
from app.relations.routes import router as relations_router
from app.sources.routes import router as sources_router
from app.timeline.routes import router as timeline_router
from app.web import routes as web

DESCRIPTION = """
Dated events in the relations between countries, each backed by sources with quotes,
served as filterable timelines. Dates are EDTF strings; countries are ISO 3166-1 alpha-3.
Errors are RFC 9457 `application/problem+json`.
"""


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    sessions: sessionmaker[Session] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    owned_engine = engine is None
    engine = engine or create_db_engine(
        settings.database_url,
        statement_timeout=settings.statement_timeout,
        read_only=settings.read_only,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned_engine:
            engine.dispose()

    app = FastAPI(
        title="Dyad",
        version=version("dyad"),
        summary="The history of relations between countries, as an API.",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by app.docs, without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions or session_factory(engine)
    # Tests give sessions inside their transaction: reads use them too, to see its rows.
    app.state.read_sessions = sessions or read_session_factory(engine)
    errors.install(app)
    # Added innermost first: a request meets the exchange (request id, security headers,
    # metrics, access log), CORS, the rate limit, the body limit, the NUL guard and the read
    # slots, in that order.
    app.add_middleware(ReadSlotsMiddleware, slots=settings.concurrent_reads)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
    )
    if settings.rate_limit:
        app.add_middleware(
            RateLimitMiddleware, rate=settings.rate_limit, redis_url=settings.redis_url
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=[
                "ETag",
                "Link",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
            ],
        )
    # Outermost, so that its counts and headers include every other middleware's answers.
    app.add_middleware(ExchangeMiddleware)
    app.include_router(health_router)
    app.include_router(metrics_router)  # public like /healthz: scraped without a key
    docs.install(app)
    readers = [Depends(read_access)]  # public unless DYAD_PUBLIC_READ=false
    for router in (
        events_router,
        timeline_router,
        relations_router,
        actors_router,
        sources_router,
        vocabulary_router,
        changes_router,
    ):
        app.include_router(router, dependencies=readers)
    app.include_router(event_writes_router)
    app.include_router(imports_router)
    app.include_router(keys_router)
    web.install(app)
    return app
