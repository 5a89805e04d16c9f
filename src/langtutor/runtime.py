"""What the server holds for as long as it runs: built once in the app's lifespan, handed to
routes through the dependencies in `deps`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor import notices
from langtutor.accounts.service import Accounts
from langtutor.accounts.tokens import TokenCache
from langtutor.activity.logger import BatchLogger
from langtutor.activity.service import Activity
from langtutor.activity.spool import Spool
from langtutor.admin.service import Console
from langtutor.admin.stats import AdminStats
from langtutor.classes.service import CODE_TRIES_PER_MINUTE, Classes
from langtutor.config import Settings
from langtutor.conversation.service import Conversations
from langtutor.db import Database, create_engine
from langtutor.enums import ContentType
from langtutor.generation.providers import create_provider
from langtutor.generation.ratelimit import (
    ModelCalls,
    RateLimiter,
    client_rate_limiter,
    rate_limiter,
)
from langtutor.generation.service import Generation
from langtutor.jobs import care_for_activity_log, fit_periodically
from langtutor.library.service import Library, set_title
from langtutor.library.sharing import Sharing
from langtutor.placement.service import Placement
from langtutor.plan.service import Plans
from langtutor.practice.service import Practice
from langtutor.practice.speaking import Speaking
from langtutor.progress import Progress, progress_report
from langtutor.review.practice_ahead import PracticeAhead
from langtutor.review.service import Review
from langtutor.speech.service import Speech, build_speech
from langtutor.speech.transcription import Transcriber, Transcriptions


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    # What every domain's service object reaches the database through.
    db: Database
    # The activity log's batch logger, writing through an engine of its own (`activity.engine`).
    activity: BatchLogger
    tokens: TokenCache
    # The domains' service objects, each built once.
    accounts: Accounts
    # The activity log's reads (`activity` above is its batch logger, which writes it).
    activity_service: Activity
    generation: Generation
    library: Library
    review: Review
    practice: Practice
    conversations: Conversations
    speech: Speech
    speaking: Speaking
    progress: Progress
    placement: Placement
    plans: Plans
    # The operator's console's figures (`/admin/stats`, `/admin/health`, `/admin/quality`).
    admin_stats: AdminStats
    # Practice outside the schedule (a saved set's cards, the hardest cards).
    practice_ahead: PracticeAhead
    # The operator's console, its people side (learners, invitations, sign-up, audit).
    console: Console
    # Saved sets shared by link (made, revoked, read by anyone holding one, copied).
    sharing: Sharing
    # Classes: a teacher's learners, the sets assigned to them, what the teacher sees.
    classes: Classes
    background: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def engine(self) -> AsyncEngine:
        return self.db.engine

    @classmethod
    async def start(cls, settings: Settings, instructions: dict[ContentType, str]) -> Runtime:
        # The logger writes through a pool of its own: requests that flush it while holding a
        # connection (feedback, /activity) must never wait for the pool they exhaust.
        # It pings before each batch: a batch is worth a round trip, and a failed write waits.
        log_engine = create_engine(settings.DATABASE_URL, pool_size=2, pool_pre_ping=True)
        activity = _batch_logger(log_engine, settings)
        await activity.start()
        runtime = _services(
            cls, settings, Database(create_engine(settings.DATABASE_URL)), activity, instructions
        )
        runtime.background.extend(_background_tasks(runtime))
        return runtime

    async def stop(self) -> None:
        """After in-flight requests end (SIGTERM, SIGINT): the log buffer is written first."""
        for task in self.background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.activity.stop()
        await self.generation.aclose()
        await self.speech.aclose()
        await self.activity.engine.dispose()
        await self.engine.dispose()


def _batch_logger(log_engine: AsyncEngine, settings: Settings) -> BatchLogger:
    return BatchLogger(
        log_engine,
        batch_size=settings.LOG_BATCH_SIZE,
        flush_interval_s=settings.LOG_FLUSH_INTERVAL_S,
        buffer_max=settings.LOG_BUFFER_MAX,
        spool=(
            Spool(settings.data_dir / "spool", fsync=settings.LOG_SPOOL_FSYNC)
            if settings.LOG_SPOOL
            else None
        ),
    )


def _services(
    cls: type[Runtime],
    settings: Settings,
    db: Database,
    activity: BatchLogger,
    instructions: dict[ContentType, str],
) -> Runtime:
    """Each domain's service object, given the ones it asks."""
    tokens = TokenCache(settings.TOKEN_CACHE_TTL_S)
    generation = Generation(
        provider=create_provider(settings),
        instructions=instructions,
        rate_limiter=rate_limiter(db.engine, "generation", settings.GENERATION_RATE_PER_MINUTE),
        activity=activity,
        db=db,
        checks=settings.CONTENT_CHECKS,
        calls=ModelCalls(settings.MODEL_CALLS_PER_LEARNER),
    )
    review = Review(db)
    speech = _speech(settings, db)
    feedback_limit = rate_limiter(
        db.engine, "feedback", settings.FEEDBACK_RATE_PER_MINUTE, what="feedback posts"
    )
    library = Library(
        db,
        review=review,
        activity=activity,
        feedback_limit=feedback_limit,
        progress=progress_report,
    )
    return cls(
        settings=settings,
        db=db,
        activity=activity,
        tokens=tokens,
        accounts=Accounts(db, tokens, settings),
        activity_service=Activity(db, activity),
        generation=generation,
        library=library,
        review=review,
        practice=Practice(generation=generation, activity=activity, db=db),
        conversations=Conversations(
            generation=generation,
            activity=activity,
            db=db,
            max_turns=settings.CONVERSATION_MAX_TURNS,
            context_chars=settings.CONVERSATION_CONTEXT_CHARS,
        ),
        speech=speech,
        speaking=Speaking(speech, activity, db),
        progress=Progress(db, activity),
        placement=Placement(db=db, generation=generation, tokens=tokens, activity=activity),
        plans=Plans(db, generation, library, activity),
        admin_stats=AdminStats(db, cache_s=settings.ADMIN_FIGURES_CACHE_S),
        practice_ahead=PracticeAhead(db, activity, set_title=set_title),
        console=Console(db, tokens, settings),
        sharing=_sharing(settings, db, library),
        classes=Classes(db, library, code_tries=_code_tries(db)),
    )


def _sharing(settings: Settings, db: Database, library: Library) -> Sharing:
    """Shared links, their views counted per client address across the server's processes."""
    views = client_rate_limiter(
        db.engine, "share_views", settings.SHARE_VIEWS_PER_MINUTE, what="shared set views"
    )
    return Sharing(db, library=library, views=views)


def _code_tries(db: Database) -> RateLimiter:
    """Each learner's join codes tried, counted across the server's processes."""
    return rate_limiter(db.engine, "class_code_tries", CODE_TRIES_PER_MINUTE, "join code tries")


def _speech(settings: Settings, db: Database) -> Speech:
    transcriber = None
    if settings.STT_PROVIDER == "openai":
        transcriber = Transcriber(
            base_url=settings.STT_BASE_URL,
            api_key=settings.STT_API_KEY,
            model=settings.STT_MODEL,
            timeout_s=settings.STT_TIMEOUT_S,
        )
    transcriptions = Transcriptions(
        transcriber,
        rate_limiter(
            db.engine, "transcription", settings.STT_RATE_PER_MINUTE, what="transcriptions"
        ),
    )
    return Speech(
        build_speech(
            provider=settings.TTS_PROVIDER,
            data_dir=settings.data_dir,
            max_mb=settings.TTS_CACHE_MAX_MB,
            base_url=settings.LLM_BASE_URL,
            api_key=settings.LLM_API_KEY,
            model=settings.TTS_MODEL,
            voice=settings.TTS_VOICE,
            timeout_s=settings.LLM_TIMEOUT_S,
        ),
        rate_limiter(db.engine, "audio", settings.AUDIO_RATE_PER_MINUTE, what="audio requests"),
        transcriptions,
    )


def _background_tasks(runtime: Runtime) -> list[asyncio.Task[None]]:
    """Work besides requests: notices between processes (PostgreSQL), fitting learners'
    FSRS parameters, the activity log's daily care."""
    settings, engine = runtime.settings, runtime.engine
    tasks = []
    if engine.dialect.name == "postgresql":
        handlers: dict[str, Callable[[str], None]] = {
            notices.USERS: runtime.tokens.user_changed,
            notices.FLUSH: runtime.activity.flush_soon,
        }
        listening = notices.listen(
            settings.DATABASE_URL,
            handlers,
            on_listening=runtime.tokens.notices_heard,
            on_lost=runtime.tokens.notices_lost,
        )
        tasks.append(asyncio.create_task(listening, name="notices"))
    fitting = fit_periodically(runtime.db.sessions, after=settings.REVIEW_OPTIMIZE_AFTER)
    tasks.append(asyncio.create_task(fitting, name="review-fit"))
    if engine.dialect.name == "postgresql" or settings.ACTIVITY_RETENTION_DAYS:
        care = care_for_activity_log(
            engine, retention_days=settings.ACTIVITY_RETENTION_DAYS, data_dir=settings.data_dir
        )
        tasks.append(asyncio.create_task(care, name="activity-log-care"))
    return tasks
