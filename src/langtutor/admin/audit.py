"""The audit log: every change an operator makes from the console, written in the change's
own transaction (a change that rolls back leaves no entry; an entry without its change
cannot exist), with the operator's address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.learner import Learner
from langtutor.admin import repository
from langtutor.admin.models import AuditEntry
from langtutor.admin.schemas import AuditEntryOut

# What the log names each change (the pages show them in the reader's words).
ACTIONS = (
    "user.operator",
    "user.learner",
    "user.disabled",
    "user.enabled",
    "user.deleted",
    "user.reset_code",
    "invite.created",
    "invite.revoked",
    "settings.registration",
)


async def record(
    session: AsyncSession,
    operator: Learner,
    action: str,
    *,
    at: datetime,
    client: str,
    target_id: int | None = None,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"not an action of the audit log: {action}")
    await repository.add_entry(
        session,
        AuditEntry(
            at=at,
            actor_user_id=operator.user_id,
            actor_name=operator.username,
            action=action,
            target_user_id=target_id,
            target_name=target,
            detail=detail[:255] if detail else None,
            client=client[:64],
        ),
    )


def shown(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        audit_id=entry.audit_id,
        at=entry.at,
        actor_id=entry.actor_user_id,
        actor=entry.actor_name,
        action=entry.action,
        target_id=entry.target_user_id,
        target=entry.target_name,
        detail=entry.detail,
        client=entry.client,
    )
