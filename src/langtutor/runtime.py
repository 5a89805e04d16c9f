"""What the server holds for as long as it runs: built once in the app's lifespan, handed to
routes through the dependencies in `deps`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from langtutor import notices
from langtutor.accounts.service import Accounts
from langtutor.accounts.tokens import TokenCache
from langtutor.activity.logger import BatchLogger
from langtutor.activity.service import Activity
from langtutor.activity.spool import Spool
from langtutor.config import Settings
from langtutor.conversation.service import Conversations
from langtutor.db import Database, create_engine
from langtutor.enums import ContentType
from langtutor.generation.providers import create_provider
from langtutor.generation.ratelimit import ModelCalls, RateLimiter, rate_limiter
from langtutor.generation.service import Generation
from langtutor.jobs import care_for_activity_log, fit_periodically
from langtutor.library.service import Library
from langtutor.practice.service import Practice
from langtutor.progress import Progress, progress_report
from langtutor.review.service import Review
from langtutor.speech.service import Speech, build_speech


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    # What every domain's service object reaches the database through.
    db: Database
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # For reads that need no transaction (token checks, lists): each statement commits on
    # its own, one round trip instead of three.
    autocommit_engine: AsyncEngine
    autocommit_sessionmaker: async_sessionmaker[AsyncSession]
    activity: BatchLogger
    generation: Generation
    practice: Practice
    conversations: Conversations
    speech: Speech
    library: Library
    review: Review
    audio_rate_limiter: RateLimiter
    feedback_rate_limiter: RateLimiter
    log_engine: AsyncEngine
    tokens: TokenCache
    accounts: Accounts
    # The activity log's reads (`activity` above is its batch logger, which writes it).
    activity_service: Activity
    progress: Progress
    background: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def start(cls, settings: Settings, instructions: dict[ContentType, str]) -> Runtime:
        engine = create_engine(settings.DATABASE_URL)
        # The logger writes through a pool of its own: requests that flush it while holding a
        # connection (feedback, /activity) must never wait for the pool they exhaust.
        # It pings before each batch: a batch is worth a round trip, and a failed write waits.
        log_engine = create_engine(settings.DATABASE_URL, pool_size=2, pool_pre_ping=True)
        activity = BatchLogger(
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
        await activity.start()
        db = Database(engine)
        tokens = TokenCache(settings.TOKEN_CACHE_TTL_S)
        sessionmaker = db.sessions
        autocommit_engine = db.autocommit_engine
        generation = Generation(
            provider=create_provider(settings),
            instructions=instructions,
            rate_limiter=rate_limiter(engine, "generation", settings.GENERATION_RATE_PER_MINUTE),
            activity=activity,
            db=db,
            checks=settings.CONTENT_CHECKS,
            calls=ModelCalls(settings.MODEL_CALLS_PER_LEARNER),
        )
        review = Review(db)
        audio_rate_limiter = rate_limiter(
            engine, "audio", settings.AUDIO_RATE_PER_MINUTE, what="audio requests"
        )
        feedback_rate_limiter = rate_limiter(
            engine, "feedback", settings.FEEDBACK_RATE_PER_MINUTE, what="feedback posts"
        )
        runtime = cls(
            settings=settings,
            db=db,
            engine=engine,
            sessionmaker=sessionmaker,
            autocommit_engine=autocommit_engine,
            autocommit_sessionmaker=db.autocommit_sessions,
            activity=activity,
            generation=generation,
            practice=Practice(generation=generation, activity=activity, db=db),
            conversations=Conversations(
                generation=generation,
                activity=activity,
                db=db,
                max_turns=settings.CONVERSATION_MAX_TURNS,
                context_chars=settings.CONVERSATION_CONTEXT_CHARS,
            ),
            speech=Speech(
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
                audio_rate_limiter,
            ),
            audio_rate_limiter=audio_rate_limiter,
            library=Library(
                db,
                review=review,
                activity=activity,
                feedback_limit=feedback_rate_limiter,
                progress=progress_report,
            ),
            review=review,
            feedback_rate_limiter=feedback_rate_limiter,
            log_engine=log_engine,
            tokens=tokens,
            accounts=Accounts(db, tokens, settings),
            activity_service=Activity(db, activity),
            progress=Progress(db, activity),
        )
        if engine.dialect.name == "postgresql":
            handlers: dict[str, Callable[[str], None]] = {
                notices.USERS: runtime.tokens.user_changed,
                notices.FLUSH: activity.flush_soon,
            }
            runtime.background.append(
                asyncio.create_task(
                    notices.listen(
                        settings.DATABASE_URL, handlers, on_listening=runtime.tokens.clear
                    ),
                    name="notices",
                )
            )
        runtime.background.append(
            asyncio.create_task(
                fit_periodically(runtime.sessionmaker, after=settings.REVIEW_OPTIMIZE_AFTER),
                name="review-fit",
            )
        )
        if engine.dialect.name == "postgresql" or settings.ACTIVITY_RETENTION_DAYS:
            runtime.background.append(
                asyncio.create_task(
                    care_for_activity_log(
                        engine,
                        retention_days=settings.ACTIVITY_RETENTION_DAYS,
                        data_dir=settings.data_dir,
                    ),
                    name="activity-log-care",
                )
            )
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
        await self.log_engine.dispose()
        await self.engine.dispose()
