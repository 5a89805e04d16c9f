"""Every setting of the service, read from `LANGTUTOR_*` environment variables and `.env`."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./langtutor.db"
SECRET_KEY_FILE_SUFFIX = ".secret_key"
# Values that people copy from examples; refusing them keeps a demo key out of production.
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev", "test"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LANGTUTOR_", env_file=".env", extra="ignore", validate_default=True
    )

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    SECRET_KEY: str = ""
    LLM_PROVIDER: Literal["openai", "anthropic", "none"] = "none"
    LLM_BASE_URL: str | None = None
    LLM_API_KEY: str = ""
    LLM_MODEL: str | None = None
    LLM_TIMEOUT_S: float = Field(default=60.0, gt=0)
    LLM_JSON_MODE: Literal["json_schema", "json_object", "prompt"] = "json_schema"
    LOG_BATCH_SIZE: int = Field(default=100, ge=1)
    LOG_FLUSH_INTERVAL_S: float = Field(default=2.0, gt=0)
    LOG_BUFFER_MAX: int = Field(default=100_000, ge=1)
    # Each entry also appended to a file of the process's (under DATA_DIR/spool) until its
    # batch is written: a process killed hard loses nothing; the next start writes it.
    LOG_SPOOL: bool = True
    # fsync after each append: a power cut loses nothing either, at a disk flush per entry.
    LOG_SPOOL_FSYNC: bool = False
    # Days of activity-log entries kept in the table: once a day, older ones are archived
    # (`langtutor activity archive`) to DATA_DIR/archive. 0: keep everything.
    ACTIVITY_RETENTION_DAYS: int = Field(default=0, ge=0)
    # The console's figures of the days still open (today, the last 24 hours, this week) are
    # read again from the log when older than this; settled days are read once per process.
    ADMIN_FIGURES_CACHE_S: float = Field(default=60.0, ge=0, le=3600)
    ACCESS_TOKEN_TTL_S: int = Field(default=86_400, ge=1)
    # A browser session lasts ACCESS_TOKEN_TTL_S from its last use, up to this long in all.
    SESSION_MAX_AGE_S: int = Field(default=30 * 86_400, ge=1)
    # A process remembers a verified token this long: the most another process may take to
    # refuse a token revoked elsewhere (the revoking one refuses it at once). 0: no cache.
    TOKEN_CACHE_TTL_S: float = Field(default=5.0, ge=0, le=300)
    REGISTRATION: Literal["open", "invite", "closed"] = "open"
    # The first account made on a server with no users becomes its operator (even when
    # registration is closed): how an operator bootstraps a private server from the browser.
    FIRST_USER_ADMIN: bool = False
    # Per client address (accounts.throttle): failed logins in 15 minutes, whatever the
    # names, and sign-up attempts in an hour; beyond them, 429 before any password is hashed.
    LOGIN_FAILURES_PER_CLIENT: int = Field(default=30, ge=1)
    SIGNUP_RATE_PER_HOUR: int = Field(default=30, ge=1)
    GENERATION_RATE_PER_MINUTE: int = Field(default=20, ge=1)
    # A learner's model calls under way at once in one process (generations, grading and
    # explanations, conversation turns, streamed or not). At most 100: far below the 1,000
    # connections of a process's model client, so one learner never holds all of them.
    MODEL_CALLS_PER_LEARNER: int = Field(default=3, ge=1, le=100)
    # Every generated set checked for its languages and repeated cards (re-asked once).
    CONTENT_CHECKS: bool = True
    CORS_ORIGINS: list[str] = Field(default_factory=list)
    COOKIE_SECURE: bool = False
    # `/metrics` wants `Authorization: Bearer <this>`; unset, it answers this machine only.
    METRICS_TOKEN: str = ""
    FLASHCARDS_INSTRUCTIONS: str | None = None
    EXERCISES_INSTRUCTIONS: str | None = None
    SIMULATION_INSTRUCTIONS: str | None = None
    REVIEW_NEW_PER_DAY: int = Field(default=20, ge=0, le=9999)
    REVIEW_DESIRED_RETENTION: float = Field(default=0.9, ge=0.7, le=0.97)
    REVIEW_MAXIMUM_INTERVAL_DAYS: int = Field(default=36_500, ge=1)
    REVIEW_OPTIMIZE_AFTER: int = Field(default=400, ge=1)
    # A conversation: the learner's lines it takes at most, and the characters of context
    # (scene, roles, recent turns) sent to the model with each turn.
    CONVERSATION_MAX_TURNS: int = Field(default=40, ge=1, le=10_000)
    CONVERSATION_CONTEXT_CHARS: int = Field(default=12_000, ge=2_000)
    # Speech: eSpeak NG offline, an OpenAI-compatible speech endpoint, or none.
    TTS_PROVIDER: Literal["espeak", "openai", "none"] = "espeak"
    TTS_MODEL: str = "gpt-4o-mini-tts"
    TTS_VOICE: str = "alloy"
    TTS_CACHE_MAX_MB: int = Field(default=200, ge=1)
    AUDIO_RATE_PER_MINUTE: int = Field(default=120, ge=1)
    # Speaking: the learner's recordings written out by an OpenAI-compatible transcription
    # server (OpenAI, speaches / faster-whisper, whisper.cpp's server), or none (no
    # microphone buttons). Its own address and key: it need not be the model's server.
    STT_PROVIDER: Literal["openai", "none"] = "none"
    STT_BASE_URL: str | None = None
    STT_API_KEY: str = ""
    STT_MODEL: str = "whisper-1"
    STT_TIMEOUT_S: float = Field(default=30.0, gt=0)
    STT_RATE_PER_MINUTE: int = Field(default=20, ge=1)
    # Feedback posts (ratings, comments, reported problems) per learner and minute.
    FEEDBACK_RATE_PER_MINUTE: int = Field(default=30, ge=1)
    # Views of shared sets (their page, the API, "Add to my library") per client address and
    # minute: what anyone may ask without an account.
    SHARE_VIEWS_PER_MINUTE: int = Field(default=120, ge=1)
    # Where audio and other files live: by default beside the SQLite database, or
    # ./langtutor-data for other databases.
    DATA_DIR: Path | None = None

    @field_validator("DATABASE_URL")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the URLs operators already have and give SQLAlchemy the async driver."""
        for prefix, replacement in (
            ("postgres://", "postgresql+psycopg://"),
            ("postgresql://", "postgresql+psycopg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if url.startswith(prefix):
                return replacement + url[len(prefix) :]
        return url

    @field_validator("CORS_ORIGINS", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _secret_key(self) -> Settings:
        if self.SECRET_KEY.lower() in PLACEHOLDER_SECRETS:
            raise ValueError("LANGTUTOR_SECRET_KEY is a placeholder; set a long random value")
        if not self.SECRET_KEY:
            self.SECRET_KEY = load_or_create_secret_key(self.secret_key_file)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @property
    def data_dir(self) -> Path:
        if self.DATA_DIR is not None:
            return self.DATA_DIR
        if self.is_sqlite and ":///" in self.DATABASE_URL:
            db_path = self.DATABASE_URL.split(":///", 1)[1].split("?", 1)[0]
            if db_path and db_path != ":memory:":
                return Path(db_path).parent / "langtutor-data"
        return Path("langtutor-data")

    @property
    def secret_key_file(self) -> Path:
        """Next to the SQLite file; in the working directory for other databases."""
        if self.is_sqlite and ":///" in self.DATABASE_URL:
            db_path = self.DATABASE_URL.split(":///", 1)[1].split("?", 1)[0]
            if db_path and db_path != ":memory:":
                return Path(db_path + SECRET_KEY_FILE_SUFFIX)
        return Path("langtutor" + SECRET_KEY_FILE_SUFFIX)


def load_or_create_secret_key(path: Path) -> str:
    """Generate the key once and keep it, so tokens survive restarts."""
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting together must end up with the same key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
