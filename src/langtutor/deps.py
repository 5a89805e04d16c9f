"""The dependencies routes declare, API and pages alike: settings, the request's transaction,
the activity log, the generator, and the signed-in user.

The only module besides the app's lifespan that reads `app.state`: a route's signature says
everything it uses, and a test can override any of it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar
from urllib.parse import unquote

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from langtutor.accounts.credentials import signed_in_token
from langtutor.accounts.learner import Learner, learner_of
from langtutor.accounts.security import (
    CSRF_HEADER,
    SAFE_METHODS,
    cookie_names,
    cross_origin,
    csrf_valid,
    session_cookie,
)
from langtutor.accounts.service import (
    Accounts,
)
from langtutor.accounts.throttle import Client, client_address
from langtutor.activity.service import Activity
from langtutor.admin.service import Console
from langtutor.admin.stats import AdminStats
from langtutor.classes.service import Classes
from langtutor.config import Settings
from langtutor.conversation.service import Conversations
from langtutor.db import utcnow
from langtutor.enums import ContentType
from langtutor.errors import AppError, Forbidden, Unauthorized
from langtutor.generation.schemas import (
    CountedGenerationRequest,
    GenerationRequest,
    GenerationResponse,
)
from langtutor.generation.service import Generation
from langtutor.library.service import Library
from langtutor.library.sharing import Sharing
from langtutor.placement.service import Placement
from langtutor.plan.service import Plans
from langtutor.practice.service import Practice
from langtutor.practice.speaking import Speaking
from langtutor.progress import Progress
from langtutor.review.practice_ahead import PracticeAhead
from langtutor.review.service import Review
from langtutor.runtime import Runtime
from langtutor.speech.service import Speech

T = TypeVar("T")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
_BearerToken = Annotated[str | None, Depends(oauth2_scheme)]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# async: FastAPI runs a plain `def` dependency in a worker thread, a costly hop.
async def app_settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def request_time() -> datetime:
    """The time a request happens at; tests override it to control the clock."""
    return utcnow()


SettingsDep = Annotated[Settings, Depends(app_settings)]
NowDep = Annotated[datetime, Depends(request_time)]


async def accounts_service(request: Request) -> Accounts:
    return runtime_of(request).accounts


async def activity_service(request: Request) -> Activity:
    return runtime_of(request).activity_service


async def progress_service(request: Request) -> Progress:
    return runtime_of(request).progress


async def console(request: Request) -> Console:
    return runtime_of(request).console


async def speaking(request: Request) -> Speaking:
    return runtime_of(request).speaking


async def admin_stats(request: Request) -> AdminStats:
    return runtime_of(request).admin_stats


async def practice_ahead(request: Request) -> PracticeAhead:
    return runtime_of(request).practice_ahead


async def sharing(request: Request) -> Sharing:
    return runtime_of(request).sharing


AccountsDep = Annotated[Accounts, Depends(accounts_service)]
ActivityDep = Annotated[Activity, Depends(activity_service)]
ProgressDep = Annotated[Progress, Depends(progress_service)]
ConsoleDep = Annotated[Console, Depends(console)]
SpeakingDep = Annotated[Speaking, Depends(speaking)]
AdminStatsDep = Annotated[AdminStats, Depends(admin_stats)]
PracticeAheadDep = Annotated[PracticeAhead, Depends(practice_ahead)]
SharingDep = Annotated[Sharing, Depends(sharing)]


# -- generation over HTTP -----------------------------------------------------------------------


class ClientDisconnected(AppError):
    status_code = 499  # nginx's "client closed request": nobody is left to read it


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Run the work, cancelling it (and so the LLM call) when the client goes away."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_client_gone(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        raise ClientDisconnected("the client closed the request")
    finally:
        for pending in (task, watcher):
            if not pending.done():
                pending.cancel()


async def _client_gone(request: Request) -> None:
    # The body has been read, so the next ASGI message is the disconnect, whenever it comes.
    while (await request.receive())["type"] != "http.disconnect":
        pass


@dataclass(frozen=True)
class RequestGeneration:
    """The process's `Generation`, bound to one HTTP request (API or page): each entry point
    cancelled (and so its model call) when the client goes away."""

    generation: Generation
    request: Request

    async def generate_flashcards_service(
        self, learner: Learner, *, data: CountedGenerationRequest
    ) -> GenerationResponse:
        return await unless_disconnected(
            self.request, self.generation.generate_flashcards_service(learner, data=data)
        )

    async def generate_exercises_service(
        self, learner: Learner, *, data: CountedGenerationRequest
    ) -> GenerationResponse:
        return await unless_disconnected(
            self.request, self.generation.generate_exercises_service(learner, data=data)
        )

    async def generate_simulation_service(
        self, learner: Learner, *, data: GenerationRequest
    ) -> GenerationResponse:
        return await unless_disconnected(
            self.request, self.generation.generate_simulation_service(learner, data=data)
        )

    async def generate(
        self, learner: Learner, *, kind: ContentType, data: GenerationRequest
    ) -> GenerationResponse:
        """The learner's generation of a kind (pages), cancelled when the client goes away."""
        return await unless_disconnected(
            self.request, self.generation.generate(learner, kind=kind, data=data)
        )

    async def result(self, learner: Learner, *, generation_id: uuid.UUID) -> GenerationResponse:
        """A generation of the learner's again (no model call: nothing to cancel)."""
        return await self.generation.result(learner, generation_id=generation_id)


async def request_generation(request: Request) -> RequestGeneration:
    return RequestGeneration(runtime_of(request).generation, request)


GenerationDep = Annotated[RequestGeneration, Depends(request_generation)]


async def practice(request: Request) -> Practice:
    return runtime_of(request).practice


PracticeDep = Annotated[Practice, Depends(practice)]


async def conversations(request: Request) -> Conversations:
    return runtime_of(request).conversations


ConversationsDep = Annotated[Conversations, Depends(conversations)]


async def speech(request: Request) -> Speech:
    return runtime_of(request).speech


SpeechDep = Annotated[Speech, Depends(speech)]


async def library(request: Request) -> Library:
    return runtime_of(request).library


LibraryDep = Annotated[Library, Depends(library)]


async def review(request: Request) -> Review:
    return runtime_of(request).review


ReviewDep = Annotated[Review, Depends(review)]


async def placement(request: Request) -> Placement:
    return runtime_of(request).placement


PlacementDep = Annotated[Placement, Depends(placement)]


async def plans(request: Request) -> Plans:
    return runtime_of(request).plans


PlansDep = Annotated[Plans, Depends(plans)]


async def classes(request: Request) -> Classes:
    return runtime_of(request).classes


ClassesDep = Annotated[Classes, Depends(classes)]


# -- the signed-in user -------------------------------------------------------------------------


# The browser's time zone, as the page script stores it: URL-encoded (`Europe%2FMadrid`).
TZ_COOKIE = "langtutor_tz"


def browser_zone(request: Request) -> str | None:
    """The IANA name the page script reported, decoded; None before it has run."""
    value = request.cookies.get(TZ_COOKIE)
    return unquote(value) if value else None


class LoginRequired(Exception):
    """A page asked for without a live session: the app answers with the login page."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("log in to continue")
        self.expired = expired


def api_token(request: Request, bearer: str | None, settings: Settings) -> str:
    """The bearer token, else the session cookie (a change made with it needs CSRF proof)."""
    if bearer:
        return bearer
    token = session_cookie(request, settings)
    if not token:
        raise Unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    # A browser sends the cookie with any request, a forged cross-site one included: a change
    # made with the cookie alone must also prove it comes from our pages.
    if request.method not in SAFE_METHODS:
        if cross_origin(request):
            raise Forbidden("a request authenticated by cookie must come from this site")
        if not csrf_valid(request, request.headers.get(CSRF_HEADER), settings):
            raise Forbidden(f"a request authenticated by cookie needs the {CSRF_HEADER} header")
    return token


def page_token(request: Request, settings: Settings) -> str:
    token = session_cookie(request, settings)
    if not token:
        raise LoginRequired(expired=False)
    return token


@contextmanager
def expired_means_login() -> Iterator[None]:
    """A cookie whose token was revoked or has expired: back to the login page, saying so."""
    try:
        yield
    except Unauthorized:
        raise LoginRequired(expired=True) from None


def signed_in(*, page: bool) -> Callable[..., Awaitable[Learner]]:
    """The learner dependency: API routes take the bearer token (or the cookie with CSRF
    proof) and answer 401; pages take the cookie and send a learner without a live session
    to the login page."""

    def token(request: Request, bearer: str | None, settings: Settings) -> str:
        return page_token(request, settings) if page else api_token(request, bearer, settings)

    guard = expired_means_login if page else nullcontext

    async def current_learner(
        request: Request, settings: SettingsDep, bearer: _BearerToken, now: NowDep
    ) -> Learner:
        """Who sends the request: from the token cache when it can, else from the database
        (each statement its own transaction: no connection is held past the check); pages
        count the learner's days in the browser's zone when the profile names none."""
        runtime = runtime_of(request)
        with guard():
            verified = await signed_in_token(
                tokens=runtime.tokens,
                sessions=runtime.db.autocommit_sessions,
                token=token(request, bearer, settings),
                secret_key=settings.SECRET_KEY,
                ttl_s=settings.ACCESS_TOKEN_TTL_S,
                now=now,
            )
        return learner_of(verified, settings, browser_zone=browser_zone(request) if page else None)

    return current_learner


# The signed-in learner, one frozen value with no transaction held open.
CurrentLearner = Annotated[Learner, Depends(signed_in(page=False))]


async def operator(learner: CurrentLearner) -> Learner:
    """The signed-in learner, when they are one of the server's operators (else 403)."""
    if not learner.is_admin:
        raise Forbidden("only the server's operators may do this")
    return learner


# The signed-in operator (`/admin/*`).
CurrentOperator = Annotated[Learner, Depends(operator)]


async def request_client(request: Request, settings: SettingsDep) -> Client:
    """Who asks to log in or sign up: the client's address (as uvicorn gives it: behind a
    proxy it trusts, the one in X-Forwarded-For) and the device cookie it sent."""
    return Client(
        address=client_address(request.client.host if request.client else None),
        device_cookie=request.cookies.get(cookie_names(settings).device),
    )


ClientDep = Annotated[Client, Depends(request_client)]


async def request_address(request: Request) -> str:
    """The client's address as uvicorn gives it (behind a proxy it trusts, the one in
    X-Forwarded-For), for the audit log."""
    return request.client.host if request.client else "unknown"


AddressDep = Annotated[str, Depends(request_address)]
