"""Saved sets shared by link: their owner makes a link (one live link a set, its token 192
random bits from `secrets`, nothing derived from an id) and may revoke it at any time;
anyone holding it reads the set (counted per client address: `SHARE_VIEWS_PER_MINUTE`), and
a signed-in learner copies it into their library through `Library.add_copies`, credited to
its owner.

`Sharing` is the service object (built in the `Runtime` with the `Library` and the views'
limiter): its methods own their transactions."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.learner import Learner
from langtutor.accounts.people import live_name
from langtutor.db import Database
from langtutor.errors import Conflict, NotFound
from langtutor.generation.ratelimit import ClientRateLimiter
from langtutor.library import sharing_repository
from langtutor.library.content import get_content
from langtutor.library.copies import CopyFor
from langtutor.library.models import SavedContent
from langtutor.library.schemas import SharedSet
from langtutor.library.service import Library

# 24 random bytes: 192 bits, 32 URL-safe characters.
TOKEN_BYTES = 24
# Said by the API and, translated, by the page (`web.sharing_routes` marks it).
NO_LINK = "This link leads to no shared set: its owner may have stopped sharing it."
YOURS = "this shared set is yours already: it is in your library"
# What `new_token` makes (and a little more): any other text is no link, unread.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class Link:
    """A set's link: its token, and whether this request made it."""

    token: str
    created: bool


@dataclass(frozen=True)
class Shown:
    """A shared set as a visitor sees it, and, when the visitor is its owner, their own set's
    id (the page links there instead of offering a copy)."""

    shared: SharedSet
    yours: int | None


@dataclass(frozen=True)
class _Found:
    item: SavedContent
    owner: str


class Sharing:
    """Links to saved sets: made and revoked by their owner, read by anyone holding one,
    copied by a signed-in learner."""

    def __init__(self, db: Database, *, library: Library, views: ClientRateLimiter) -> None:
        self.db = db
        self.library = library
        self.views = views

    async def share(self, learner: Learner, *, saved_content_id: int) -> Link:
        """The set's live link, made now if it has none (404 for anyone else's set)."""
        async with self.db.transaction() as session:
            await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            values = {
                "saved_content_id": saved_content_id,
                "user_id": learner.user_id,
                "token": new_token(),
            }
            if made := await sharing_repository.insert_once(session, values):
                return Link(made, created=True)
            live = await sharing_repository.token_of(
                session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            assert live is not None
            return Link(live, created=False)

    async def unshare(self, learner: Learner, *, saved_content_id: int) -> None:
        """The set's link revoked, if it has one (404 for anyone else's set)."""
        async with self.db.transaction() as session:
            await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            await sharing_repository.remove(
                session, user_id=learner.user_id, saved_content_id=saved_content_id
            )

    async def link(self, learner: Learner, *, saved_content_id: int) -> str | None:
        """The token of the learner's set's live link, if it has one."""
        async with self.db.reading() as session:
            return await sharing_repository.token_of(
                session, user_id=learner.user_id, saved_content_id=saved_content_id
            )

    async def view(self, *, token: str, address: str, viewer: Learner | None = None) -> Shown:
        """The set a live link shows (404 otherwise), counted against the client's views."""
        await self.views.check(address)
        async with self.db.reading() as session:
            found = await _found(session, token)
        yours = viewer is not None and found.item.user_id == viewer.user_id
        return Shown(_shared(found), found.item.saved_content_id if yours else None)

    async def copy(self, learner: Learner, *, token: str, address: str) -> SavedContent:
        """The learner's own copy of a shared set, credited to its owner, its cards in their
        review as they chose (`review_auto_cards`); each copy a new set. Their own set: 409."""
        await self.views.check(address)
        async with self.db.reading() as session:
            found = await _found(session, token)
        if found.item.user_id == learner.user_id:
            raise Conflict(YOURS)
        recipient = CopyFor(
            user_id=learner.user_id,
            base_language=learner.default_base_language,
            review_cards=learner.review_auto_cards,
        )
        (copy,) = await self.library.add_copies(
            source=found.item, recipients=[recipient], shared_by=found.owner
        )
        return copy


async def _found(session: AsyncSession, token: str) -> _Found:
    if not TOKEN_SHAPE.fullmatch(token):
        raise NotFound(NO_LINK)
    item = await sharing_repository.shared_set(session, token=token)
    owner = None if item is None else await live_name(session, user_id=item.user_id)
    if item is None or owner is None:
        raise NotFound(NO_LINK)
    return _Found(item, owner)


def _shared(found: _Found) -> SharedSet:
    item = found.item
    return SharedSet(
        content_type=item.content_type,
        user_label=item.user_label,
        original_query=item.original_query,
        target_language=item.target_language,
        content_data=item.content_data,
        shared_by=found.owner,
    )
