"""Imports every ORM model so that `Base.metadata` is complete (Alembic, tests)."""

from langtutor.accounts.models import (
    AuthToken,
    InviteCode,
    LoginAttempt,
    PasswordResetCode,
    ServerSettings,
    SignUpAttempt,
    User,
)
from langtutor.activity.models import ActivityDay, ActivityLog, QualityDay
from langtutor.admin.models import AuditEntry
from langtutor.classes.models import AssignmentCopy, ClassAssignment, ClassMember, SchoolClass
from langtutor.conversation.models import Conversation, ConversationTurn
from langtutor.db import Base
from langtutor.generation.models import ClientRateLimit, RateLimit
from langtutor.library.models import ContentShare, Feedback, SavedContent
from langtutor.placement.models import PlacementTest
from langtutor.plan.models import Plan, PlanStep
from langtutor.review.models import ReviewCard, ReviewLog

__all__ = [
    "ActivityDay",
    "ActivityLog",
    "AssignmentCopy",
    "AuditEntry",
    "AuthToken",
    "Base",
    "ClassAssignment",
    "ClassMember",
    "ClientRateLimit",
    "ContentShare",
    "Conversation",
    "ConversationTurn",
    "Feedback",
    "InviteCode",
    "LoginAttempt",
    "PasswordResetCode",
    "PlacementTest",
    "Plan",
    "PlanStep",
    "QualityDay",
    "RateLimit",
    "ReviewCard",
    "ReviewLog",
    "SavedContent",
    "SchoolClass",
    "ServerSettings",
    "SignUpAttempt",
    "User",
]
