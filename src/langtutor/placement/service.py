"""Placement ("Find my level"), the service object of `/placement*` and its pages: the
vocabulary stage from `wordfreq`'s lists (no model needed), then, when a model is connected
and the language separates its words with spaces, the gap-text stage; the level the learner
accepts goes to their profile (through the accounts service) and the activity log.

No transaction is held while the model writes the gap texts: the answers are checked in one
transaction, the texts asked for, then everything written in another, which finds the
placement as it was (else 409): nothing is stored half.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import langcodes

from langtutor.accounts import service as accounts
from langtutor.accounts.learner import Learner
from langtutor.accounts.schemas import UserPublic
from langtutor.accounts.tokens import TokenCache
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import Database, utcnow
from langtutor.enums import ContentType, Level, LogEvent
from langtutor.errors import AppError, Conflict, NotFound
from langtutor.generation.service import DEFAULT_BASE_LANGUAGE, Generation
from langtutor.languages import language_name
from langtutor.placement import ctest, repository, scoring, stages
from langtutor.placement.bank import Bank, bank, has_bank
from langtutor.placement.models import PlacementTest
from langtutor.placement.schemas import (
    AcceptRequest,
    GapAnswers,
    PlacementStart,
    PlacementView,
    VocabularyAnswers,
)
from langtutor.placement.texts import write_texts

NOT_FOUND = "placement not found"
# Today offers the test again this long after the learner last kept a level (or, never
# placed, after they signed up): a level moves with study.
RETEST_AFTER = timedelta(days=30)
# Scripts without spaces between words: no C-test can be cut from them.
UNSPACED_SCRIPTS = frozenset(
    {"Jpan", "Hani", "Hans", "Hant", "Thai", "Mymr", "Khmr", "Laoo", "Tibt"}
)


def gap_texts_possible(language: str) -> bool:
    script = langcodes.Language.get(language).maximize().script
    return script not in UNSPACED_SCRIPTS


@dataclass(frozen=True)
class Placement:
    """Placement tests, built once at start-up: the database, the model through
    `Generation`, the token cache (a level changed is a user changed), the activity log."""

    db: Database
    generation: Generation
    tokens: TokenCache
    activity: BatchLogger

    @property
    def model_connected(self) -> bool:
        return self.generation.model_connected

    def possible(self, language: str) -> bool:
        """Whether this server can place a learner in the language (a word list, or a model
        and a language whose words are spaced)."""
        return has_bank(language) or (self.model_connected and gap_texts_possible(language))

    async def retest_due(self, learner: Learner, *, now: datetime) -> bool:
        """Whether Today offers the test: the learner kept no level of a test in their
        target language for 30 days (counted from their sign-up when they never did)."""
        language = learner.default_target_language
        if language is None or not self.possible(language):
            return False
        async with self.db.reading() as session:
            last = await repository.last_accepted(
                session, user_id=learner.user_id, language=language
            )
        since = last or learner.profile.created_at
        return since is not None and now - since >= RETEST_AFTER

    async def start(self, learner: Learner, *, data: PlacementStart) -> PlacementView:
        """A new placement in the language asked (else the learner's target language)."""
        language = data.language or learner.default_target_language
        if language is None:
            raise Conflict("no language: send 'language' or set your target language")
        placement = PlacementTest(user_id=learner.user_id, language=language, rounds=1)
        if has_bank(language):
            words = scoring.first_round(await _bank(language), random.Random())
            placement.stage = stages.VOCABULARY
            placement.items = stages.vocabulary_items(words, 1, 1)
        elif self.model_connected and gap_texts_possible(language):
            around = Level(learner.self_assessed_level or Level.B1)
            placement.stage = stages.GAPS
            placement.texts, placement.items = await self._gap_texts(
                learner, language, ctest.text_levels(around)
            )
        else:
            raise Conflict(
                f"There is no placement test for {language_name(language)} on this server "
                "(no word list for it, and no language model connected for gap texts). "
                "Choose your level yourself on your profile."
            )
        async with self.db.transaction() as session:
            await repository.add(session, placement)
            return stages.view(placement)

    async def view(self, learner: Learner, *, placement_id: int) -> PlacementView:
        async with self.db.reading() as session:
            return stages.view(await _owned(session, learner, placement_id))

    async def answer(
        self, learner: Learner, *, placement_id: int, data: VocabularyAnswers | GapAnswers
    ) -> PlacementView:
        """Answers to the items shown now: the next round, the gap texts, or the result."""
        if isinstance(data, GapAnswers):
            return await self._answer_gaps(learner, placement_id, data)
        async with self.db.transaction() as session:
            placement = await _owned(session, learner, placement_id, for_update=True)
            stages.check_answers(placement, stages.VOCABULARY, data.answers)
            items = stages.with_vocabulary_answers(placement.items, data.answers)
            following = scoring.next_round(
                await _bank(placement.language),
                stages.shown_words(items),
                stages.answered(items),
                placement.rounds,
                random.Random(),
            )
            if following or not self._gaps_follow(placement, items):
                _apply_vocabulary(placement, items, following)
                await repository.save(session, placement)
                return stages.view(placement)
            rounds, language = placement.rounds, placement.language
        estimate = scoring.estimate(stages.answered(items))
        assert estimate.level is not None  # _gaps_follow
        texts, gaps = await self._gap_texts_or_none(
            learner, language, ctest.text_levels(estimate.level)
        )
        async with self.db.transaction() as session:
            placement = await _owned(session, learner, placement_id, for_update=True)
            if placement.rounds != rounds or placement.stage != stages.VOCABULARY:
                raise Conflict(repository.TAKEN)
            _apply_vocabulary(placement, items, [])
            if gaps:
                placement.stage, placement.texts = stages.GAPS, texts
                placement.items, placement.finished_at = [*items, *gaps], None
            await repository.save(session, placement)
            return stages.view(placement)

    def _gaps_follow(self, placement: PlacementTest, items: list[dict[str, Any]]) -> bool:
        """Whether the vocabulary stage, now over, is followed by gap texts."""
        placed = scoring.estimate(stages.answered(items)).level is not None
        return placed and self.model_connected and gap_texts_possible(placement.language)

    async def _answer_gaps(
        self, learner: Learner, placement_id: int, data: GapAnswers
    ) -> PlacementView:
        async with self.db.transaction() as session:
            placement = await _owned(session, learner, placement_id, for_update=True)
            stages.check_answers(placement, stages.GAPS, data.answers)
            placement.items = stages.with_gap_answers(placement.items, data.answers)
            texts = placement.texts or []
            levels = (Level(texts[0]["level"]), Level(texts[1]["level"]))
            scores = stages.gap_scores(placement.items)
            placement.texts = [text | {"score": s} for text, s in zip(texts, scores, strict=True)]
            level = ctest.refined_level(levels, scores)
            moved = placement.level is not None and placement.level != level.value
            placement.confidence = stages.refined_confidence(placement.confidence, moved)
            placement.level = level.value
            placement.stage, placement.finished_at = stages.DONE, utcnow()
            await repository.save(session, placement)
            return stages.view(placement)

    async def _gap_texts(
        self, learner: Learner, language: str, levels: tuple[Level, Level]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The two texts the model writes, and their gaps."""
        written = await write_texts(
            self.generation,
            learner,
            language=language,
            base_language=learner.default_base_language or DEFAULT_BASE_LANGUAGE,
            levels=levels,
        )
        texts = [{"level": level.value, "text": text, "score": None} for level, text in written]
        gaps = ctest.make_gaps(written[0][1], 0, ctest.FIRST_GAP_ID)
        gaps += ctest.make_gaps(written[1][1], 1, ctest.FIRST_GAP_ID + len(gaps))
        return texts, gaps

    async def _gap_texts_or_none(
        self, learner: Learner, language: str, levels: tuple[Level, Level]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The gap texts, or none when the model fails or the learner's calls are used up:
        the vocabulary's result stands alone."""
        try:
            return await self._gap_texts(learner, language, levels)
        except AppError:  # LLMError, TooManyRequests
            return [], []

    async def accept(
        self, learner: Learner, *, placement_id: int, data: AcceptRequest
    ) -> UserPublic:
        """The result's level (or the one the learner chose instead) onto their profile; 409
        before the end, or when the test could not place them and they chose none."""
        async with self.db.transaction() as session:
            placement = await _owned(session, learner, placement_id, for_update=True)
            if placement.stage != stages.DONE:
                raise Conflict("this placement is not finished: answer its items first")
            level = data.level or placement.level
            if level is None:
                raise Conflict("the test could not place you: send the 'level' you choose")
            placement.accepted_level, placement.accepted_at = level, utcnow()
            await repository.save(session, placement)
            profile = await accounts.set_level(
                session=session, tokens=self.tokens, learner=learner, level=level
            )
        await self.activity.buffered_log_query(_accepted_entry(learner, placement, level))
        return profile


async def _bank(language: str) -> Bank:
    """The language's item bank, made off the event loop the first time (then at hand:
    no hop to a thread)."""
    if language not in _BANKS:
        _BANKS[language] = await asyncio.to_thread(bank, language)
    return _BANKS[language]


_BANKS: dict[str, Bank] = {}


async def _owned(
    session: Any, learner: Learner, placement_id: int, *, for_update: bool = False
) -> PlacementTest:
    placement = await repository.owned(
        session, user_id=learner.user_id, placement_id=placement_id, for_update=for_update
    )
    if placement is None:
        raise NotFound(NOT_FOUND)
    return placement


def _apply_vocabulary(
    placement: PlacementTest, items: list[dict[str, Any]], following: list[Any]
) -> None:
    """The answers stored; the next round's words added, or the stage's result."""
    if following:
        first_id = len(stages.shown_words(items)) + 1
        placement.rounds += 1
        placement.items = [*items, *stages.vocabulary_items(following, first_id, placement.rounds)]
        return
    placement.items = items
    stages.finish_vocabulary(placement, scoring.estimate(stages.answered(items)))
    placement.stage, placement.finished_at = stages.DONE, utcnow()


def _accepted_entry(learner: Learner, placement: PlacementTest, level: str) -> LogEntry:
    return LogEntry(
        user_id=learner.user_id,
        # The log's content types name what was studied: a placement is a set of exercises.
        content_type=ContentType.exercises.value,
        query_text="placement",
        target_language=placement.language,
        event=LogEvent.placement.value,
        request_metadata={
            "placement_id": placement.placement_id,
            "override": level != placement.level,
        },
        response_metadata={
            "level": level,
            "result_level": placement.level,
            "vocabulary_size": placement.vocabulary_size,
            "confidence": placement.confidence,
        },
    )
