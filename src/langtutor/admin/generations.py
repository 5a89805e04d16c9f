"""One generation as an operator sees it, whoever made it: what was asked and what the model
answered (the quality page's low-rated comments link here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.activity.models import ActivityLog
from langtutor.enums import LogEvent
from langtutor.errors import NotFound

SHOWN = (LogEvent.query.value, LogEvent.output.value, LogEvent.explain.value, LogEvent.error.value)


class GenerationView(BaseModel):
    generation_id: uuid.UUID
    user_id: int
    asked_at: datetime
    content_type: str
    query: str
    target_language: str
    base_language: str | None
    # How it ended: `output`, `explain` or `error` (None while under way).
    ended: str | None
    model: str | None
    prompt_version: str | None
    error: str | None
    content: Any


async def read_generation(connection: AsyncConnection, generation_id: uuid.UUID) -> GenerationView:
    """Its `query` entry and the entry that ended it (index: generation_id); 404 without."""
    found = (
        await connection.execute(
            select(
                ActivityLog.event,
                ActivityLog.user_id,
                ActivityLog.timestamp,
                ActivityLog.content_type,
                ActivityLog.query_text,
                ActivityLog.target_language,
                ActivityLog.base_language,
                ActivityLog.response_metadata,
            )
            .where(ActivityLog.generation_id == generation_id, ActivityLog.event.in_(SHOWN))
            .order_by(ActivityLog.log_id)
        )
    ).all()
    asked = next((row for row in found if row.event == LogEvent.query.value), None)
    if asked is None:
        raise NotFound("no generation has this id")
    end = next((row for row in reversed(found) if row.event != LogEvent.query.value), None)
    metadata: dict[str, Any] = (end.response_metadata if end is not None else None) or {}
    return GenerationView(
        generation_id=generation_id,
        user_id=asked.user_id,
        asked_at=asked.timestamp,
        content_type=asked.content_type,
        query=asked.query_text,
        target_language=asked.target_language,
        base_language=asked.base_language,
        ended=end.event if end is not None else None,
        model=metadata.get("model"),
        prompt_version=metadata.get("prompt_version"),
        error=metadata.get("error"),
        content=metadata.get("content"),
    )
