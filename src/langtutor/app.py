"""create_app(): routers, error handlers, and the lifespan that owns the runtime (engines,
batch logger, model client)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.types import ASGIApp

from langtutor import __version__, error_handlers, metrics
from langtutor.api.accounts import router as accounts_router
from langtutor.api.activity import router as activity_router
from langtutor.api.admin import router as admin_router
from langtutor.api.admin_stats import router as admin_stats_router
from langtutor.api.classes import router as classes_router
from langtutor.api.conversation import router as conversation_router
from langtutor.api.generation import router as generation_router
from langtutor.api.library import router as library_router
from langtutor.api.placement import router as placement_router
from langtutor.api.plan import router as plan_router
from langtutor.api.practice import router as practice_router
from langtutor.api.practice_ahead import router as practice_ahead_router
from langtutor.api.review import router as review_router
from langtutor.api.sharing import router as sharing_router
from langtutor.api.speech import router as speech_router
from langtutor.config import Settings, get_settings
from langtutor.deps import runtime_of
from langtutor.enums import ContentType
from langtutor.generation.instructions import load_instructions
from langtutor.metrics_access import MetricsReader
from langtutor.responses import document_common_errors, error_responses
from langtutor.routing import JSONRoute
from langtutor.runtime import Runtime
from langtutor.web.i18n import InterfaceLanguage
from langtutor.web.rendering import HERE as WEB_DIR
from langtutor.web.routes import router as web_router
from langtutor.web.security import SecurityHeaders

logger = logging.getLogger("langtutor")


API_DESCRIPTION = """Self-hostable AI language-learning assistant.

What the schema says is what the server takes: a request it allows is accepted (or refused
for what the account or the ids it names hold: 401, 403, 404, 409, 429), one it forbids is
refused with 422. Rules a JSON Schema cannot state are written down instead:

- Text never contains NUL characters (U+0000), anywhere in a body or query: 422.
- Numbers are finite: `NaN`, `Infinity`, `-Infinity` make a body invalid JSON: 422.
- `format: time-zone`: an IANA time zone name (`Europe/Madrid`) that the server knows.
- `format: username`: letters of any script, digits, `_`, `.` or `-` (no spaces, symbols
  or invisible characters), taken in Unicode NFKC form (`maría` however it is typed).
- `format: language`: a language code (`es`, `zh-Hant`) or an English name (`Spanish`)
  that langcodes knows; anything else is a 422 naming it.
- `x-rule` on a content schema: a rule of the content, checked on save.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="langtutor",
        version=__version__,
        description=API_DESCRIPTION,
        # Read at creation so that a missing `@file` stops the start, not the first request.
        lifespan=_lifespan(settings, load_instructions(settings)),
        max_body_size=error_handlers.MAX_BODY_BYTES,
        # Served below from the package's own files: the docs work without a network.
        docs_url=None,
        redoc_url=None,
    )
    _add_middleware(app, settings)
    # Routes are matched in order, each one a cost on every request that comes after it
    # (FastAPI tries them one by one): the operations' probes first, then the API by how
    # often learners call it, the pages (the most routes) last. No path is in two routers.
    _add_operations(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    _add_docs(app)
    return app


ROUTERS = (
    accounts_router,
    library_router,
    sharing_router,
    activity_router,
    generation_router,
    review_router,
    practice_ahead_router,
    practice_router,
    conversation_router,
    speech_router,
    placement_router,
    plan_router,
    classes_router,
    admin_stats_router,
    admin_router,
    web_router,
)


def _lifespan(
    settings: Settings, instructions: dict[ContentType, str]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings, instructions)
        app.state.runtime = runtime
        # Everything imported and built at start-up lives as long as the process: move it out
        # of the collector's sight so that full collections under load stay cheap.
        gc.collect()
        gc.freeze()
        # A request makes thousands of short-lived objects (rows, dicts, coroutines): with
        # Python's default (a young collection every 700), the collector took a fifth of the
        # time of a library page under load; every 10,000 costs little memory, saves most.
        gc.set_threshold(10_000, 20, 20)
        try:
            yield
        finally:
            # uvicorn runs this after in-flight requests end (SIGTERM, SIGINT): nothing is lost.
            await runtime.stop()
            metrics.process_ended()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.router.route_class = JSONRoute
    error_handlers.install(app, settings)
    build_stack = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        # Outside Starlette's outermost layers (ServerErrorMiddleware, the body size limit),
        # whose own answers (500, 413) would otherwise lack the headers and the app's form.
        framework_errors = error_handlers.FrameworkErrors(build_stack(), settings)
        return SecurityHeaders(InterfaceLanguage(framework_errors))

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


def _add_operations(app: FastAPI) -> None:
    """The probes and metrics an operator's tools read."""

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses=error_responses(503))
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database answers."""
        try:
            async with runtime_of(request).db.connection() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any driver error means "not ready"
            logger.warning("readiness check failed: %s", error)
            return JSONResponse({"detail": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get(
        "/metrics",
        tags=["operations"],
        response_class=PlainTextResponse,
        dependencies=[MetricsReader],
        responses=error_responses(401, 403),
    )
    async def read_metrics() -> PlainTextResponse:
        """Prometheus metrics of the server: every worker process's, added up. With
        `LANGTUTOR_METRICS_TOKEN` set, for `Authorization: Bearer <that token>` (else 401);
        unset, for clients on the server's own machine only (else 403)."""
        body, media_type = metrics.exposition()
        return PlainTextResponse(body, media_type=media_type)


def _add_docs(app: FastAPI) -> None:
    """The interactive API docs (from the package's own files) and the OpenAPI schema with
    the error answers every operation shares."""

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="langtutor API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="langtutor API",
            redoc_js_url="/static/vendor/redoc/redoc.standalone.js",
            redoc_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )

    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_common_errors(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
