"""What a page form says when a value is refused: for each field, one sentence written for a
learner, never a validator's message, a pattern or a field's name. Every page form goes
through `problems`; the API keeps its own precise messages for developers.

Each field has its own whole sentences (one message each for the catalogs: a translator
never gets a sentence put together from pieces)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from langtutor.web.i18n import N_, gettext, ngettext, number

LANGUAGE = N_(
    "We do not know that language. Type its English name or its code, such as Spanish or es."
)
LEVEL = N_("Choose a level from A1 to C2.")


@dataclass(frozen=True)
class Words:
    """What the pages say of a field: `missing` when it is left empty; `rule`, what it takes,
    whenever a value breaks that rule (when a rule's own wording would not help: a number or a
    pattern); `too_long`, the sentence for a value longer than `count` characters (ngettext:
    a number is in it)."""

    missing: str
    rule: str | None = None
    too_long: Callable[[int], str] | None = None


FIELDS: dict[str, Words] = {
    "username": Words(
        N_("Enter a username."),
        N_("A username has 3 to 50 letters (of any alphabet), digits, _, . or -, and no spaces."),
        lambda n: ngettext(
            "A username can be at most %(count)s character.",
            "A username can be at most %(count)s characters.",
            n,
        ),
    ),
    "password": Words(
        N_("Enter a password."),
        N_("Your password needs at least 8 characters."),
        lambda n: ngettext(
            "A password can be at most %(count)s character.",
            "A password can be at most %(count)s characters.",
            n,
        ),
    ),
    "new_password": Words(
        N_("Enter a new password."),
        N_("Your new password needs at least 8 characters."),
        lambda n: ngettext(
            "A new password can be at most %(count)s character.",
            "A new password can be at most %(count)s characters.",
            n,
        ),
    ),
    "current_password": Words(
        N_("Enter your current password."),
        too_long=lambda n: ngettext(
            "Your current password can be at most %(count)s character.",
            "Your current password can be at most %(count)s characters.",
            n,
        ),
    ),
    "email": Words(
        N_("Enter an email address."),
        N_("Enter an email address such as ana@example.org, or leave it empty."),
        lambda n: ngettext(
            "An email address can be at most %(count)s character.",
            "An email address can be at most %(count)s characters.",
            n,
        ),
    ),
    "invite_code": Words(
        N_("Enter your invite code."),
        N_("Enter the invite code you were given, such as ABCD-EFGH-JKLM."),
        lambda n: ngettext(
            "Your invite code can be at most %(count)s character.",
            "Your invite code can be at most %(count)s characters.",
            n,
        ),
    ),
    "default_target_language": Words(
        N_("Enter the language you learn."),
        LANGUAGE,
        lambda n: ngettext(
            "The language you learn can be at most %(count)s character.",
            "The language you learn can be at most %(count)s characters.",
            n,
        ),
    ),
    "target_language": Words(
        N_("Enter the language to practise."),
        LANGUAGE,
        lambda n: ngettext(
            "The language to practise can be at most %(count)s character.",
            "The language to practise can be at most %(count)s characters.",
            n,
        ),
    ),
    "default_base_language": Words(
        N_("Enter the language you know."),
        LANGUAGE,
        lambda n: ngettext(
            "The language you know can be at most %(count)s character.",
            "The language you know can be at most %(count)s characters.",
            n,
        ),
    ),
    "base_language": Words(
        N_("Enter the language for explanations."),
        LANGUAGE,
        lambda n: ngettext(
            "The language for explanations can be at most %(count)s character.",
            "The language for explanations can be at most %(count)s characters.",
            n,
        ),
    ),
    "interface_language": Words(
        N_("Choose the language of the pages."), N_("Choose one of the languages in the list.")
    ),
    "self_assessed_level": Words(N_("Choose your level."), LEVEL),
    "level": Words(N_("Choose a level."), LEVEL),
    "daily_goal": Words(
        N_("Choose a daily goal."), N_("Choose a daily goal from 1 to 1,000 a day.")
    ),
    "weeks": Words(N_("Choose how many weeks."), N_("Choose how many weeks: from 1 to 52.")),
    "minutes_per_day": Words(
        N_("Choose how many minutes a day."),
        N_("Choose how long a day: from 5 to 240 minutes."),
    ),
    "timezone": Words(
        N_("Enter a time zone."),
        N_("Use a time zone name such as Europe/Madrid, or leave it empty to use your browser's."),
    ),
    "review_new_per_day": Words(
        N_("Enter how many new cards a day."),
        N_("Enter a whole number of new cards a day, from 0 to 9999, or leave it empty."),
    ),
    "review_desired_retention": Words(
        N_("Enter a desired retention."),
        N_("Enter a share from 0.70 to 0.97, or leave it empty."),
    ),
    "content_type": Words(
        N_("Choose what to make."), N_("Choose flashcards, exercises or a role-play.")
    ),
    "query": Words(
        N_("Enter a topic or request."),
        too_long=lambda n: ngettext(
            "A topic or request can be at most %(count)s character.",
            "A topic or request can be at most %(count)s characters.",
            n,
        ),
    ),
    "count": Words(
        N_("Enter how many items to make."),
        N_("Choose how many items: a whole number from 1 to 50."),
    ),
    "user_label": Words(
        N_("Enter a label."),
        too_long=lambda n: ngettext(
            "A label can be at most %(count)s character.",
            "A label can be at most %(count)s characters.",
            n,
        ),
    ),
    "user_notes": Words(
        N_("Enter notes."),
        too_long=lambda n: ngettext(
            "Notes can be at most %(count)s character.",
            "Notes can be at most %(count)s characters.",
            n,
        ),
    ),
    "topic": Words(
        N_("Enter a topic for the scene."),
        too_long=lambda n: ngettext(
            "A topic for the scene can be at most %(count)s character.",
            "A topic for the scene can be at most %(count)s characters.",
            n,
        ),
    ),
    "role": Words(N_("Choose your role."), N_("Choose one of the scene's roles.")),
    "answer": Words(
        N_("Enter an answer."),
        N_("Type or choose an answer first."),
        lambda n: ngettext(
            "An answer can be at most %(count)s character.",
            "An answer can be at most %(count)s characters.",
            n,
        ),
    ),
    "text": Words(
        N_("Enter your line."),
        too_long=lambda n: ngettext(
            "Your line can be at most %(count)s character.",
            "Your line can be at most %(count)s characters.",
            n,
        ),
    ),
    "feedback_text": Words(
        N_("Enter a comment."),
        too_long=lambda n: ngettext(
            "A comment can be at most %(count)s character.",
            "A comment can be at most %(count)s characters.",
            n,
        ),
    ),
    "rating": Words(N_("Choose a rating."), N_("Choose a rating from 1 to 5.")),
}
UNUSABLE = N_("This cannot be used as it is: check it and try again.")
ANYTHING = Words(N_("Fill in this field."), UNUSABLE)
CHECK_THE_FORM = N_("Check the form and try again.")

# A rule of the whole body that names its field ("count: must be integer").
_NAMED = re.compile(r"(\w+): (.*)", re.DOTALL)
# What an empty field (sent as None) breaks, besides "missing".
_EMPTY = {"string_type", "string_too_short", "int_type", "float_type", "enum", "literal_error"}
_NUMBER = {
    "int_parsing",
    "int_type",
    "int_from_float",
    "float_parsing",
    "float_type",
    "finite_number",
}
_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def message(name: str, kind: str, context: dict[str, Any] | None = None, given: Any = "") -> str:
    """The sentence for a refused value of field `name`, by the kind of rule it broke (a
    pydantic error type), in the page's language."""
    words = FIELDS.get(name, ANYTHING)
    context = context or {}
    empty = kind == "missing" or (kind in _EMPTY and given in (None, ""))
    if empty or (kind == "string_too_short" and given == ""):
        return gettext(words.missing)
    if kind == "string_too_long" and "max_length" in context and words.too_long:
        most = int(context["max_length"])
        return words.too_long(most) % {"count": number(most)}
    if words.rule:
        return gettext(words.rule)
    if kind in _NUMBER:
        if kind.startswith("int"):
            return gettext("Enter a whole number.")
        return gettext("Enter a number.")
    if kind in _RANGE:
        bound = next(iter(context.values()), "")
        shown = number(bound) if isinstance(bound, int | float) else str(bound)
        if kind.startswith("greater"):
            return gettext("Enter a number of at least %(bound)s.") % {"bound": shown}
        return gettext("Enter a number up to %(bound)s.") % {"bound": shown}
    return gettext(UNUSABLE)


def problems(error: ValidationError) -> dict[str, str]:
    """Field name → the learner's sentence, for showing next to each field; "form" for what
    belongs to no field. The first problem of each field is the one said."""
    found: dict[str, str] = {}
    for problem in error.errors():
        kind, given = problem["type"], problem.get("input", "")
        name = str(problem["loc"][0]) if problem["loc"] else "form"
        text = str(problem["msg"]).removeprefix("Value error, ")
        if not problem["loc"] and (named := _NAMED.match(text)):
            name = named[1]
            kind = "int_type" if "integer" in named[2] else "value_error"
            given = "?"  # something was sent: it is its kind that is wrong
        if name == "form":
            found.setdefault(name, gettext(CHECK_THE_FORM))
            continue
        found.setdefault(name, message(name, kind, problem.get("ctx"), given))
    return found


def in_form_order(errors: dict[str, str], names: list[str]) -> dict[str, str]:
    """The problems in the order of the form's fields (as the browser sent them: the page's
    order), so that the summary reads as the form does; a problem of no field first."""
    place = {name: index for index, name in enumerate(names)}
    return dict(sorted(errors.items(), key=lambda item: place.get(item[0], -1)))
