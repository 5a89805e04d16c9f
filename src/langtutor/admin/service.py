"""The operator's console, its people side (`Console`, the service object of `/admin/users`,
`/admin/invites`, `/admin/settings`, `/admin/audit` and their pages): learners listed,
changed, deleted, given a password-reset code; invitations; the sign-up policy; the audit
log. Every method takes the signed-in operator; every change is one transaction with its
audit entry."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.learner import Learner
from langtutor.accounts.operators import (
    Change,
    change_person,
    delete_person,
    found,
    list_people,
)
from langtutor.accounts.passwords import issue_reset_code
from langtutor.accounts.registration import (
    InviteView,
    Registration,
    list_invites,
    new_invites,
    revoke_invite,
    set_policy,
)
from langtutor.accounts.tokens import TokenCache
from langtutor.admin import audit, repository
from langtutor.admin.schemas import (
    AuditPage,
    Invite,
    InviteCreate,
    InviteList,
    NewInvite,
    PeoplePage,
    Person,
    PersonChange,
    ResetCode,
    SettingsChange,
    SignUpSettings,
)
from langtutor.config import Settings
from langtutor.db import Database, utcnow
from langtutor.errors import Forbidden, NotFound, Unprocessable
from langtutor.schemas import contains_nul

MAX_INVITES_LISTED = 200
# Ids are database integers: a cursor beyond them is the end of the list, not an overflow.
MAX_ID = 2_147_483_647


def position(cursor: str | None) -> int | None:
    """A page's cursor (the last id of the page before) as an id, or None: the first page."""
    return min(int(cursor), MAX_ID) if cursor else None


def person_of(row: Any) -> Person:
    """A learner as the console shows them, from a row or a `User`."""
    return Person(
        user_id=row.user_id,
        username=row.username,
        email=row.email,
        role="operator" if row.is_admin else "learner",
        disabled=row.disabled_at is not None,
        created_at=row.created_at,
        last_active=row.last_active_at,
    )


def _operator(learner: Learner) -> None:
    if not learner.is_admin:
        raise Forbidden("only the server's operators may do this")


class Console:
    def __init__(self, db: Database, tokens: TokenCache, settings: Settings) -> None:
        self.db = db
        self.tokens = tokens
        self.settings = settings

    # -- learners -------------------------------------------------------------------------------

    async def people(
        self, operator: Learner, *, query: str | None, cursor: str | None, limit: int
    ) -> PeoplePage:
        """Learners by id, `limit` a page, whose name or email contains `query`."""
        _operator(operator)
        if query and contains_nul(query):
            raise Unprocessable("q must not contain NUL characters", loc=["query", "q"])
        async with self.db.reading() as session:
            rows = await list_people(session, query=query, after=position(cursor), limit=limit + 1)
        shown = [person_of(row) for row in rows[:limit]]
        more = len(rows) > limit
        return PeoplePage(users=shown, next_cursor=str(shown[-1].user_id) if more else None)

    async def person(self, operator: Learner, *, user_id: int) -> Person:
        _operator(operator)
        async with self.db.reading() as session:
            return person_of(await found(session, user_id))

    async def change(
        self, operator: Learner, *, user_id: int, data: PersonChange, client: str
    ) -> Person:
        """Role and disabled as asked: disabling revokes every token of the learner at once
        (every process refuses them within a second); the last operator who can sign in can
        be neither demoted nor disabled (409)."""
        _operator(operator)
        now = utcnow()
        change = Change(
            operator=None if data.role is None else data.role == "operator",
            disabled=data.disabled,
        )
        async with self.db.transaction() as session:
            user, done = await change_person(
                session, self.tokens, user_id=user_id, change=change, now=now
            )
            for what in done:
                await audit.record(
                    session,
                    operator,
                    f"user.{what}",
                    at=now,
                    client=client,
                    target_id=user.user_id,
                    target=user.username,
                )
            return person_of(user)

    async def delete(self, operator: Learner, *, user_id: int, confirm: str, client: str) -> None:
        """The learner and all their data, when `confirm` is their username."""
        _operator(operator)
        now = utcnow()
        async with self.db.transaction() as session:

            async def logged(user: Any) -> None:
                await audit.record(
                    session,
                    operator,
                    "user.deleted",
                    at=now,
                    client=client,
                    target_id=user.user_id,
                    target=user.username,
                )

            await delete_person(
                session, self.tokens, user_id=user_id, confirm_name=confirm, before=logged
            )

    async def reset_code(self, operator: Learner, *, user_id: int, client: str) -> ResetCode:
        """A one-time code (a day) for the learner to set a new password with."""
        _operator(operator)
        now = utcnow()
        async with self.db.transaction() as session:
            user = await found(session, user_id)
            code, expires_at = await issue_reset_code(
                session=session, user_id=user.user_id, secret_key=self.settings.SECRET_KEY, now=now
            )
            await audit.record(
                session,
                operator,
                "user.reset_code",
                at=now,
                client=client,
                target_id=user.user_id,
                target=user.username,
            )
        return ResetCode(code=code, expires_at=expires_at)

    # -- invitations ----------------------------------------------------------------------------

    async def invites(self, operator: Learner) -> InviteList:
        _operator(operator)
        async with self.db.reading() as session:
            views = await list_invites(session, limit=MAX_INVITES_LISTED, now=utcnow())
        return InviteList(invites=[Invite.model_validate(view) for view in views])

    async def create_invite(
        self, operator: Learner, *, data: InviteCreate, client: str
    ) -> NewInvite:
        _operator(operator)
        now = utcnow()
        async with self.db.transaction() as session:
            (made,) = await new_invites(
                session=session,
                count=1,
                secret_key=self.settings.SECRET_KEY,
                valid_days=data.expires_in_days,
                uses=data.uses,
                created_by=operator.user_id,
                now=now,
            )
            detail = f"uses={data.uses}" + (
                f", expires_in_days={data.expires_in_days}" if data.expires_in_days else ""
            )
            await _invite_entry(
                session, operator, "invite.created", made.invite, now, client, detail
            )
            return NewInvite.model_validate({**asdict(made.invite), "code": made.code})

    async def revoke_invite(self, operator: Learner, *, code: str, client: str) -> Invite:
        """The invite (by its id or its code) no longer signs anyone up; 404 if unknown."""
        _operator(operator)
        now = utcnow()
        async with self.db.transaction() as session:
            revoked = await revoke_invite(
                session, code, secret_key=self.settings.SECRET_KEY, now=now
            )
            if revoked is None:
                raise NotFound("no such invite code")
            view, changed = revoked
            if changed:
                await _invite_entry(session, operator, "invite.revoked", view, now, client)
            return Invite.model_validate(view)

    # -- the sign-up policy ---------------------------------------------------------------------

    async def sign_up_settings(self, operator: Learner) -> SignUpSettings:
        _operator(operator)
        async with self.db.reading() as session:
            return await self._settings(session)

    async def change_settings(
        self, operator: Learner, *, data: SettingsChange, client: str
    ) -> SignUpSettings:
        """The sign-up policy, for every process at once (it is read at each sign-up)."""
        _operator(operator)
        now = utcnow()
        async with self.db.transaction() as session:
            before = await self._settings(session)
            if data.registration is not None and data.registration != before.registration:
                await set_policy(session, data.registration, now)
                await audit.record(
                    session,
                    operator,
                    "settings.registration",
                    at=now,
                    client=client,
                    detail=f"{before.registration} -> {data.registration}",
                )
            return await self._settings(session)

    async def _settings(self, session: AsyncSession) -> SignUpSettings:
        registration = Registration.of(self.settings)
        return SignUpSettings(
            registration=await registration.in_force(session),
            default_registration=self.settings.REGISTRATION,
        )

    # -- the audit log --------------------------------------------------------------------------

    async def audit(self, operator: Learner, *, cursor: str | None, limit: int) -> AuditPage:
        """The newest entries first, `limit` a page."""
        _operator(operator)
        async with self.db.reading() as session:
            rows = await repository.entries(session, before=position(cursor), limit=limit + 1)
        entries = [audit.shown(row) for row in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(entries=entries, next_cursor=str(entries[-1].audit_id) if more else None)


async def _invite_entry(
    session: AsyncSession,
    operator: Learner,
    action: str,
    invite: InviteView,
    now: datetime,
    client: str,
    detail: str | None = None,
) -> None:
    await audit.record(
        session,
        operator,
        action,
        at=now,
        client=client,
        target=f"invite {invite.invite_id} (…{invite.code_hint})",
        detail=detail,
    )
