"""create_app(): routers, error handlers and the lifespan that owns engine and workers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from langtutor import __version__
from langtutor.accounts.routes import router as accounts_router
from langtutor.activity.logger import BatchLogger
from langtutor.activity.routes import router as activity_router
from langtutor.config import Settings, get_settings
from langtutor.db import create_engine, create_sessionmaker
from langtutor.errors import AppError, Unprocessable
from langtutor.generation.instructions import load_instructions
from langtutor.generation.providers import create_provider
from langtutor.generation.ratelimit import GenerationRateLimiter
from langtutor.generation.routes import router as generation_router
from langtutor.library.routes import router as library_router
from langtutor.responses import document_common_errors, error_responses
from langtutor.web import errors as web_errors
from langtutor.web.rendering import HERE as WEB_DIR
from langtutor.web.routes import router as web_router
from langtutor.web.security import SecurityHeaders

logger = logging.getLogger("langtutor")
# Above every legitimate request (saved content is capped at 256 KB); larger bodies get 413.
MAX_BODY_BYTES = 1024 * 1024


def redact(errors: Sequence[Any]) -> list[Any]:
    """Validation errors echo the input: never a password, and always as text."""
    redacted = []
    for problem in errors:
        if any("password" in str(part) for part in problem.get("loc", ())):
            problem = {key: value for key, value in problem.items() if key not in ("input", "ctx")}
        elif isinstance(problem.get("input"), bytes):  # a body that is not UTF-8
            problem = problem | {"input": problem["input"].decode("utf-8", "replace")}
        redacted.append(problem)
    return redacted


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.DATABASE_URL)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        # For reads that need no transaction (token checks): one round trip instead of three.
        app.state.autocommit_sessionmaker = create_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        app.state.provider = create_provider(settings)
        app.state.rate_limiter = GenerationRateLimiter(settings.GENERATION_RATE_PER_MINUTE)
        # The logger writes through a pool of its own: requests that flush it while holding a
        # connection (feedback, /activity) must never wait for the pool they exhaust.
        log_engine = create_engine(settings.DATABASE_URL, pool_size=2)
        activity_logger = BatchLogger(
            log_engine,
            batch_size=settings.LOG_BATCH_SIZE,
            flush_interval_s=settings.LOG_FLUSH_INTERVAL_S,
            buffer_max=settings.LOG_BUFFER_MAX,
        )
        app.state.activity_logger = activity_logger
        await activity_logger.start()
        # Everything imported and built at start-up lives as long as the process: move it out
        # of the collector's sight so that full collections under load stay cheap.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            # uvicorn runs this after in-flight requests end (SIGTERM, SIGINT): nothing is lost.
            await activity_logger.stop()
            if app.state.provider is not None:
                await app.state.provider.aclose()
            await log_engine.dispose()
            await engine.dispose()

    app = FastAPI(
        title="langtutor",
        version=__version__,
        description="Self-hostable AI language-learning assistant.",
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.settings = settings
    # Read at creation so that a missing `@file` stops the start, not the first request.
    app.state.instructions = load_instructions(settings)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )

    app.add_middleware(SecurityHeaders)
    web_errors.install(app)

    @app.exception_handler(AppError)
    async def app_error(request: Request, error: AppError) -> Response:
        if web_errors.is_page(request):
            return web_errors.error_page(request, error.status_code, error.detail, error.headers)
        detail = error.problems if isinstance(error, Unprocessable) else error.detail
        return JSONResponse(
            {"detail": detail}, status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_down(request: Request, error: Exception) -> Response:
        logger.error("database unavailable: %s", error)
        if web_errors.is_page(request):
            message = "The database is unavailable; try again in a few seconds."
            return web_errors.error_page(request, 503, message, {"Retry-After": "5"})
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 400 and "parsing the body" in str(error.detail):
            # A body that is not even text (bad UTF-8) is invalid input like any other: 422.
            problem = {"loc": ["body"], "msg": "the body is not valid JSON", "type": "json_invalid"}
            return JSONResponse({"detail": [problem]}, status_code=422)
        if web_errors.is_page(request):
            return web_errors.error_page(request, error.status_code, str(error.detail))
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        if web_errors.is_page(request):
            message = "; ".join(f"{p['loc'][-1]}: {p['msg']}" for p in error.errors())
            return web_errors.error_page(request, 422, f"This address is not valid ({message}).")
        return JSONResponse({"detail": jsonable_encoder(redact(error.errors()))}, status_code=422)

    app.include_router(accounts_router)
    app.include_router(generation_router)
    app.include_router(activity_router)
    app.include_router(library_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses=error_responses(503))
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database answers."""
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any driver error means "not ready"
            logger.warning("readiness check failed: %s", error)
            return JSONResponse({"detail": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def read_metrics() -> PlainTextResponse:
        """Prometheus metrics of this process."""
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_common_errors(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
