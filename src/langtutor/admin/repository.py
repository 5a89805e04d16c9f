"""The audit log's statements: an entry added, the newest first by pages. There is no
statement that changes or deletes an entry."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.admin.models import AuditEntry


async def add_entry(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)
    await session.flush()


async def entries(session: AsyncSession, *, before: int | None, limit: int) -> list[AuditEntry]:
    """The newest entries first, older than the cursor's."""
    query = select(AuditEntry).order_by(AuditEntry.audit_id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.audit_id < before)
    return list(await session.scalars(query))
