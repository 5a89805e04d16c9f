"""Pages of conversations: the list (to start, resume or review one) and the chat, whose
lines are sent by the page script to the API's streaming route, or as plain form posts."""

from __future__ import annotations

import difflib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from pydantic import ValidationError

from langtutor.conversation.schemas import ConversationStart, TurnRequest
from langtutor.deps import ConversationsDep, SettingsDep
from langtutor.errors import BadRequest
from langtutor.routing import JSONRoute
from langtutor.web.deps import (
    CheckedForm,
    PageLearner,
    numbers,
    optional,
    redirect,
    text_field,
)
from langtutor.web.forms import problems
from langtutor.web.i18n import gettext as _
from langtutor.web.i18n import ngettext, number
from langtutor.web.rendering import render, templates

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
ConversationId = Annotated[int, Path(ge=1, le=2_147_483_647)]
# A learner's line at most (`conversation.schemas.LearnerLine`).
MAX_LINE = 1000


def diff_words(original: str, corrected: str) -> Markup:
    """The corrected words, with what changed marked: removed words struck through, new
    words underlined (a word-level diff)."""
    before, after = original.split(), corrected.split()
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(str(escape(" ".join(before[a1:a2]))))
            continue
        if a2 > a1:
            parts.append(f"<del>{escape(' '.join(before[a1:a2]))}</del>")
        if b2 > b1:
            parts.append(f"<ins>{escape(' '.join(after[b1:b2]))}</ins>")
    return Markup(" ".join(parts))


templates.env.filters["diff_words"] = diff_words


@router.get("/app/conversations")
async def conversations_page(
    request: Request, user: PageLearner, settings: SettingsDep, conversations: ConversationsDep
) -> Response:
    items = await conversations.list(user, limit=50)
    return render(
        request, "conversations.html", settings=settings, user=user, items=items, errors={}
    )


@router.post("/app/conversations")
async def start_conversation(
    request: Request,
    form: CheckedForm,
    user: PageLearner,
    settings: SettingsDep,
    conversations: ConversationsDep,
) -> Response:
    values = numbers(
        optional(form, "topic", "saved_content_id", "generation_id", "role"), "saved_content_id"
    )
    try:
        data = ConversationStart.model_validate(values)
    except ValidationError as error:
        found = problems(error)
        if values["saved_content_id"] is None and values["generation_id"] is None:
            # The topic box of the conversations page: said next to it.
            found = {"topic": found.get("topic", _("Enter a topic for the scene."))}
            items = await conversations.list(user, limit=50)
            return render(
                request,
                "conversations.html",
                settings=settings,
                status_code=422,
                user=user,
                items=items,
                errors=found,
                topic=values["topic"] or "",
            )
        raise BadRequest(
            _("This conversation cannot start: %(problems)s")
            % {"problems": " ".join(found.values())}
        ) from None
    started = await conversations.start(user, data=data)
    return redirect(f"/app/conversations/{started.conversation_id}")


@router.get("/app/conversations/{conversation_id}")
async def conversation_page(
    request: Request,
    conversation_id: ConversationId,
    user: PageLearner,
    settings: SettingsDep,
    conversations: ConversationsDep,
    added: int | None = None,
) -> Response:
    conversation = await conversations.get(user, conversation_id=conversation_id)
    template = "_turns.html" if request.query_params.get("fragment") == "turns" else "chat.html"
    return render(
        request,
        template,
        settings=settings,
        user=user,
        c=conversation,
        added=None if added is None else max(0, min(added, 10_000)),
    )


@router.post("/app/conversations/{conversation_id}/turns")
async def send_line(
    conversation_id: ConversationId,
    form: CheckedForm,
    user: PageLearner,
    conversations: ConversationsDep,
) -> Response:
    """Without the page script: the line is sent, and the chat shown again with the reply."""
    try:
        data = TurnRequest.model_validate({"text": text_field(form, "text")})
    except ValidationError:
        raise BadRequest(
            ngettext(
                "Type a line of at most %(count)s character to send.",
                "Type a line of at most %(count)s characters to send.",
                MAX_LINE,
            )
            % {"count": number(MAX_LINE)}
        ) from None
    await conversations.take_turn(user, conversation_id=conversation_id, text=data.text)
    return redirect(f"/app/conversations/{conversation_id}#composer")


@router.post("/app/conversations/{conversation_id}/finish")
async def finish(
    conversation_id: ConversationId,
    form: CheckedForm,
    user: PageLearner,
    conversations: ConversationsDep,
) -> Response:
    await conversations.finish(user, conversation_id=conversation_id)
    return redirect(f"/app/conversations/{conversation_id}#summary")


@router.post("/app/conversations/{conversation_id}/review")
async def add_to_review(
    conversation_id: ConversationId,
    form: CheckedForm,
    user: PageLearner,
    conversations: ConversationsDep,
) -> Response:
    added = await conversations.add_corrections(user, conversation_id=conversation_id)
    return redirect(f"/app/conversations/{conversation_id}?added={added.added}#summary")
