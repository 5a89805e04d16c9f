"""A learner's saved sets as files (see `exports` for the formats): with the languages and
level of the generations that made them, and the audio of each card where there is a voice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.activity import service as activity_service
from langtutor.enums import ContentType
from langtutor.errors import NotFound
from langtutor.library import exports, repository
from langtutor.library.exports import CardContext, ExportFile, ExportFormat
from langtutor.library.models import SavedContent


async def card_contexts(
    *, session: AsyncSession, items: Sequence[SavedContent | Row[Any]]
) -> list[CardContext]:
    """Languages and level of the generations that produced saved items, for Anki tags and
    `lang` attributes; one query for any number of items."""
    found = await activity_service.generation_settings(
        session=session,
        generations=(
            (item.user_id, item.generation_id) for item in items if item.generation_id is not None
        ),
    )
    contexts = []
    for item in items:
        known = found.get((item.user_id, item.generation_id)) if item.generation_id else None
        contexts.append(
            CardContext(
                target_language=known.target_language,
                base_language=known.base_language,
                level=known.level,
            )
            if known
            # A set without its generation (a copy of another learner's): its own language.
            else CardContext(target_language=getattr(item, "target_language", None))
        )
    return contexts


async def card_context(*, session: AsyncSession, item: SavedContent) -> CardContext:
    return (await card_contexts(session=session, items=[item]))[0]


# What reads a text aloud for an export: the audio file of (text, language), or None.
Speaker = Callable[[str, str], Awaitable[Path | None]]


async def card_audio(
    pairs: Sequence[tuple[SavedContent, CardContext]], speak: Speaker | None
) -> exports.CardAudio:
    """The audio of each card's front and example, in the set's language, where there is
    a voice for it."""
    audio: exports.CardAudio = {}
    if speak is None:
        return audio
    for item, context in pairs:
        if not context.target_language:
            continue
        for index, card in enumerate(item.content_data["cards"]):
            for field in ("front", "example"):
                if card.get(field):
                    path = await speak(card[field], context.target_language)
                    if path is not None:
                        audio[(item.saved_content_id, index, field)] = path
    return audio


async def export_content(
    session: AsyncSession, item: SavedContent, export_format: ExportFormat, speak: Speaker | None
) -> ExportFile:
    """One saved set as a file: apkg (with its audio) or csv (flashcards), csv (exercises),
    json, md."""
    if export_format is ExportFormat.apkg:
        context = await card_context(session=session, item=item)
        filename = f"langtutor-{item.saved_content_id}.apkg"
        audio = (
            await card_audio([(item, context)], speak)
            if item.content_type == ContentType.flashcards.value
            else {}
        )
        return await asyncio.to_thread(exports.anki_package, [(item, context)], filename, audio)
    if export_format is ExportFormat.csv:
        return exports.csv_file(item)
    if export_format is ExportFormat.md:
        return exports.markdown_file(item)
    return exports.json_file(item)


async def export_all_flashcards(
    session: AsyncSession, user_id: int, speak: Speaker | None
) -> ExportFile:
    """All the learner's saved flashcards as one Anki package, a deck per saved set."""
    items = await repository.flashcards(session, user_id=user_id)
    if not items:
        raise NotFound("you have no saved flashcards to export")
    pairs = list(zip(items, await card_contexts(session=session, items=items), strict=True))
    audio = await card_audio(pairs, speak)
    return await asyncio.to_thread(exports.anki_package, pairs, "langtutor-flashcards.apkg", audio)
