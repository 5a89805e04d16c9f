"""The dependencies routes declare, API and pages alike: settings, the request's transaction,
the activity log, the generator, and the signed-in user.

The only module besides the app's lifespan that reads `app.state`: a route's signature says
everything it uses, and a test can override any of it.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar
from urllib.parse import unquote

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from langtutor.accounts.credentials import signed_in_token
from langtutor.accounts.learner import Learner, learner_of
from langtutor.accounts.models import User
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
    Authenticated,
    Profile,
    load_user,
    profile_of,
)
from langtutor.accounts.throttle import Client, client_address
from langtutor.accounts.tokens import TokenCache, VerifiedToken
from langtutor.activity.logger import BatchLogger
from langtutor.activity.service import Activity
from langtutor.config import Settings
from langtutor.conversation.service import Conversations
from langtutor.db import session_scope, utcnow
from langtutor.enums import ContentType
from langtutor.errors import AppError, Forbidden, Unauthorized
from langtutor.generation.ratelimit import RateLimiter
from langtutor.generation.schemas import (
    CountedGenerationRequest,
    GenerationRequest,
    GenerationResponse,
)
from langtutor.generation.service import Generation
from langtutor.library.service import Library
from langtutor.practice.service import Practice
from langtutor.progress import Progress
from langtutor.review.service import Review, ReviewSettings
from langtutor.runtime import Runtime
from langtutor.speech.service import Speech
from langtutor.zones import learner_zone

T = TypeVar("T")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
BearerToken = Annotated[str | None, Depends(oauth2_scheme)]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# async: FastAPI runs a plain `def` dependency in a worker thread, a costly hop.
async def app_settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the answer is sent (see SessionDep)."""
    async with session_scope(runtime_of(request).sessionmaker) as session:
        yield session


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Statements that each commit on their own, no BEGIN or COMMIT round trips: for routes
    that only read (each statement sees every write committed before it). Nothing to commit
    at the end either: the session only gives its connection back."""
    async with runtime_of(request).autocommit_sessionmaker() as session:
        yield session


async def read_engine(request: Request) -> AsyncEngine:
    """Connections whose statements each commit on their own, without the ORM's session
    around them (its own work cost about a sixth of a library page, measured): for Core
    reads on a hot path, the route holding a connection for as long as it reads."""
    return runtime_of(request).autocommit_engine


async def activity_log(request: Request) -> BatchLogger:
    return runtime_of(request).activity


async def request_time() -> datetime:
    """The time a request happens at; tests override it to control the clock."""
    return utcnow()


SettingsDep = Annotated[Settings, Depends(app_settings)]
NowDep = Annotated[datetime, Depends(request_time)]
# scope="function": the commit runs before the answer is sent. With FastAPI's default
# ("request") it ran after, so a client could read before the commit, or be told 201 about
# a write whose commit then failed.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(read_session, scope="function")]
ReadEngineDep = Annotated[AsyncEngine, Depends(read_engine)]
ActivityLogDep = Annotated[BatchLogger, Depends(activity_log)]


async def accounts_service(request: Request) -> Accounts:
    return runtime_of(request).accounts


async def activity_service(request: Request) -> Activity:
    return runtime_of(request).activity_service


async def progress_service(request: Request) -> Progress:
    return runtime_of(request).progress


AccountsDep = Annotated[Accounts, Depends(accounts_service)]
ActivityDep = Annotated[Activity, Depends(activity_service)]
ProgressDep = Annotated[Progress, Depends(progress_service)]


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
        self, *, kind: ContentType, user: Learner | Profile, data: GenerationRequest
    ) -> GenerationResponse:
        """The learner's generation of a kind (pages), cancelled when the client goes away."""
        return await unless_disconnected(
            self.request, self.generation.generate(user, kind=kind, data=data)
        )

    async def result(self, learner: Learner, *, generation_id: uuid.UUID) -> GenerationResponse:
        """A generation of the learner's again (no model call: nothing to cancel)."""
        return await self.generation.result(learner, generation_id=generation_id)


async def request_generation(request: Request) -> RequestGeneration:
    return RequestGeneration(runtime_of(request).generation, request)


GenerationDep = Annotated[RequestGeneration, Depends(request_generation)]
# The former names, for the pages that still use them (the lead removes them at the merge).
GeneratorDep = GenerationDep
RequestGenerator = RequestGeneration


async def practice(request: Request) -> Practice:
    return runtime_of(request).practice


PracticeDep = Annotated[Practice, Depends(practice)]


async def conversations(request: Request) -> Conversations:
    return runtime_of(request).conversations


ConversationsDep = Annotated[Conversations, Depends(conversations)]


async def speech(request: Request) -> Speech:
    return runtime_of(request).speech


SpeechDep = Annotated[Speech, Depends(speech)]


async def feedback_limit(request: Request) -> RateLimiter:
    return runtime_of(request).feedback_rate_limiter


FeedbackLimitDep = Annotated[RateLimiter, Depends(feedback_limit)]


async def library(request: Request) -> Library:
    return runtime_of(request).library


LibraryDep = Annotated[Library, Depends(library)]


async def review(request: Request) -> Review:
    return runtime_of(request).review


ReviewDep = Annotated[Review, Depends(review)]


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


@dataclass(frozen=True)
class SignedIn:
    """The ways to know the signed-in user, for the API (`page=False`) or for pages."""

    token: Callable[..., Awaitable[VerifiedToken]]
    user: Callable[..., Awaitable[Authenticated]]
    profile: Callable[..., Awaitable[Profile]]
    learner: Callable[..., Awaitable[Learner]]


def signed_in(*, page: bool) -> SignedIn:
    """API routes take the bearer token (or the cookie with CSRF proof) and answer 401; pages
    take the cookie and send a learner without a live session to the login page."""

    def token(request: Request, bearer: str | None, settings: Settings) -> str:
        return page_token(request, settings) if page else api_token(request, bearer, settings)

    guard = expired_means_login if page else nullcontext

    async def current_token(
        request: Request, settings: SettingsDep, bearer: BearerToken, now: NowDep
    ) -> VerifiedToken:
        """Who sends the request: from the token cache when it can, else from the database
        (each statement its own transaction: no connection is held past the check)."""
        runtime = runtime_of(request)
        with guard():
            return await signed_in_token(
                tokens=runtime.tokens,
                sessions=runtime.autocommit_sessionmaker,
                token=token(request, bearer, settings),
                secret_key=settings.SECRET_KEY,
                ttl_s=settings.ACCESS_TOKEN_TTL_S,
                now=now,
            )

    # Defaults, not annotations: the annotations are strings (postponed evaluation) that
    # FastAPI resolves in the module's globals, where `current_token` is not.
    token_dependency = Depends(current_token)

    async def current_user(
        session: SessionDep, verified: VerifiedToken = token_dependency
    ) -> Authenticated:
        """The user as an ORM object in the request's transaction, for routes that change it
        or render it."""
        with guard():
            return await load_user(session=session, token=verified)

    async def current_profile(verified: VerifiedToken = token_dependency) -> Profile:
        """The user's profile as the token check read it, with no transaction held open:
        for routes that wait on a language model, since holding a pooled connection for the
        length of an LLM call would let a few slow generations starve every other request."""
        return profile_of(verified.user)

    async def current_learner(
        request: Request, settings: SettingsDep, verified: VerifiedToken = token_dependency
    ) -> Learner:
        """The learner, as the token check read them (pages: in the browser's zone when the
        profile names none)."""
        return learner_of(verified, settings, browser_zone=browser_zone(request) if page else None)

    return SignedIn(
        token=current_token, user=current_user, profile=current_profile, learner=current_learner
    )


_api = signed_in(page=False)
# The signed-in learner, one frozen value with no transaction held open.
CurrentLearner = Annotated[Learner, Depends(_api.learner)]
# Who sends the request (the token, the user as the API shows them), with no database read
# when the token is cached: for routes that change nothing of the user.
CurrentToken = Annotated[VerifiedToken, Depends(_api.token)]
# The signed-in user (with the token of this request), in the request's transaction.
CurrentUser = Annotated[Authenticated, Depends(_api.user)]
# The signed-in user's profile as plain values, with no transaction held open.
CurrentProfile = Annotated[Profile, Depends(_api.profile)]


async def request_client(request: Request, settings: SettingsDep) -> Client:
    """Who asks to log in or sign up: the client's address (as uvicorn gives it: behind a
    proxy it trusts, the one in X-Forwarded-For) and the device cookie it sent."""
    return Client(
        address=client_address(request.client.host if request.client else None),
        device_cookie=request.cookies.get(cookie_names(settings).device),
    )


ClientDep = Annotated[Client, Depends(request_client)]


# Headers a proxy adds: a request that carries one comes from elsewhere, whatever address
# it arrives from.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


async def metrics_reader(request: Request, settings: SettingsDep) -> None:
    """Who may read `/metrics`: with LANGTUTOR_METRICS_TOKEN set, whoever sends it as a
    bearer token; unset, only a client on this machine that no proxy relays. (The header is
    read here, not declared as the API's OAuth2 scheme: a learner's token is not this one.)"""
    if settings.METRICS_TOKEN:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        expected = settings.METRICS_TOKEN.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), expected):
            raise Unauthorized("metrics need 'Authorization: Bearer <LANGTUTOR_METRICS_TOKEN>'")
        return
    host = request.client.host if request.client else ""
    if not _loopback(host) or any(name in request.headers for name in FORWARDING_HEADERS):
        raise Forbidden(
            "metrics are served to this machine only; set LANGTUTOR_METRICS_TOKEN to read "
            "them from elsewhere"
        )


def _loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


MetricsReader = Depends(metrics_reader)


async def token_cache(request: Request) -> TokenCache:
    return runtime_of(request).tokens


TokensDep = Annotated[TokenCache, Depends(token_cache)]


# -- review -------------------------------------------------------------------------------------


def review_settings_for(
    user: User, settings: Settings, *, browser_zone: str | None = None
) -> ReviewSettings:
    """The learner's scheduling: their own retention, new cards and time zone (see
    `learner_zone`), else the server's; their fitted FSRS parameters if any."""
    return ReviewSettings(
        desired_retention=user.review_desired_retention or settings.REVIEW_DESIRED_RETENTION,
        new_per_day=(
            settings.REVIEW_NEW_PER_DAY
            if user.review_new_per_day is None
            else user.review_new_per_day
        ),
        maximum_interval_days=settings.REVIEW_MAXIMUM_INTERVAL_DAYS,
        timezone=learner_zone(user.timezone, browser_zone),
        parameters=user.fsrs_parameters,
    )


async def review_settings(current: CurrentUser, settings: SettingsDep) -> ReviewSettings:
    return review_settings_for(current.user, settings)


ReviewSettingsDep = Annotated[ReviewSettings, Depends(review_settings)]
