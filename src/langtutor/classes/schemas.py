"""Request and response bodies of `/classes*`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from langtutor.schemas import RequestModel

Role = Literal["teacher", "member"]
# What a learner is told before joining (the API's documentation and the join page say it).
JOIN_NOTICE = (
    "Your teacher will see your name, when you joined, your streak, how many cards you "
    "reviewed and how many you did not rate Again in the last 7 and 30 days, and which "
    "assigned sets you went through and when. Your teacher sees none of your own sets, "
    "answers or conversations. You can leave the class at any time: your teacher then sees "
    "nothing more of you, and your copies of the assigned sets stay yours."
)


class ClassCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100, description="the class's name")


class JoinRequest(RequestModel):
    join_code: str = Field(
        min_length=1,
        max_length=32,
        description="the code the teacher gave (any case; spaces and dashes are ignored)",
    )
    review_cards: bool = Field(
        default=True,
        description="whether the flashcards of the sets assigned go into your review",
    )


class AssignmentCreate(RequestModel):
    saved_content_id: int = Field(
        ge=1, le=2_147_483_647, description="one of your saved sets (another's id is 404)"
    )
    due_date: date | None = Field(
        default=None, description="the day it is due (done by the end of it, UTC)"
    )


class MemberOut(BaseModel):
    user_id: int
    username: str
    joined_at: datetime
    review_cards: bool


class AssignmentOut(BaseModel):
    assignment_id: int
    title: str
    content_type: str
    due_date: date | None
    assigned_at: datetime
    saved_content_id: int | None = Field(
        description="the teacher's set (teacher), or your own copy (member); null once deleted"
    )
    done: bool | None = Field(
        default=None, description="member: you went through your copy to its end"
    )
    late: bool | None = Field(
        default=None, description="member: done after the due date, or not done by it"
    )
    done_count: int | None = Field(default=None, description="teacher: members who are done")


class ClassOut(BaseModel):
    """A class as the asker sees it: its teacher sees the join code and the members; a
    member sees neither (`join_code` null, `members` empty), only their own assignments."""

    class_id: int
    name: str
    role: Role
    teacher: str
    join_code: str | None
    members: list[MemberOut]
    assignments: list[AssignmentOut]


class ClassPreview(BaseModel):
    """What a join code leads to, before joining: the class, its teacher, the notice."""

    class_id: int
    name: str
    teacher: str
    notice: str = JOIN_NOTICE


class MemberProgress(BaseModel):
    user_id: int
    username: str
    joined_at: datetime
    streak_days: int = Field(
        description="UTC days in a row with study or reviews, ending today or yesterday "
        "(counted over the last 31 days: 31 means 31 or more)"
    )
    reviews_7d: int
    reviews_30d: int
    accuracy_7d: float | None = Field(description="share of reviews not rated Again")
    accuracy_30d: float | None
    assignments: int = Field(description="assigned sets the member has a copy of")
    assignments_done: int
    assignments_late: int


class ClassProgress(BaseModel):
    """The teacher's view: each member's figures, days counted in UTC."""

    class_id: int
    name: str
    as_of: datetime
    members: list[MemberProgress]


class TodayAssignment(BaseModel):
    """An assignment as a member's Today shows it."""

    class_id: int
    class_name: str
    assignment: AssignmentOut
