"""What a page form says when a value is refused: for each field, one sentence written for a
learner, never a validator's message, a pattern or a field's name. Every page form goes
through `problems`; the API keeps its own precise messages for developers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

LANGUAGE = "We do not know that language. Type its English name or its code, such as Spanish or es."
LEVEL = "Choose a level from A1 to C2."


@dataclass(frozen=True)
class Words:
    """How a field is spoken of ("a username"), and what it takes, said whenever a value
    breaks that rule (when a rule's own wording would not help: a number or a pattern)."""

    noun: str
    rule: str | None = None
    choose: bool = False  # picked from a list: "Choose …", not "Enter …"


FIELDS: dict[str, Words] = {
    "username": Words(
        "a username",
        "A username has 3 to 50 letters (of any alphabet), digits, _, . or -, and no spaces.",
    ),
    "password": Words("a password", "Your password needs at least 8 characters."),
    "new_password": Words("a new password", "Your new password needs at least 8 characters."),
    "current_password": Words("your current password"),
    "email": Words(
        "an email address", "Enter an email address such as ana@example.org, or leave it empty."
    ),
    "invite_code": Words(
        "your invite code", "Enter the invite code you were given, such as ABCD-EFGH-JKLM."
    ),
    "default_target_language": Words("the language you learn", LANGUAGE),
    "target_language": Words("the language to practise", LANGUAGE),
    "default_base_language": Words("the language you know", LANGUAGE),
    "base_language": Words("the language for explanations", LANGUAGE),
    "self_assessed_level": Words("your level", LEVEL, choose=True),
    "level": Words("a level", LEVEL, choose=True),
    "daily_goal": Words("a daily goal", "Choose a daily goal from 1 to 1,000 a day.", choose=True),
    "weeks": Words("how many weeks", "Choose how many weeks: from 1 to 52.", choose=True),
    "minutes_per_day": Words(
        "minutes a day", "Choose how long a day: from 5 to 240 minutes.", choose=True
    ),
    "timezone": Words(
        "a time zone",
        "Use a time zone name such as Europe/Madrid, or leave it empty to use your browser's.",
    ),
    "review_new_per_day": Words(
        "new cards a day",
        "Enter a whole number of new cards a day, from 0 to 9999, or leave it empty.",
    ),
    "review_desired_retention": Words(
        "a desired retention", "Enter a share from 0.70 to 0.97, or leave it empty."
    ),
    "content_type": Words(
        "what to make", "Choose flashcards, exercises or a role-play.", choose=True
    ),
    "query": Words("a topic or request"),
    "count": Words("how many items", "Choose how many items: a whole number from 1 to 50."),
    "user_label": Words("a label"),
    "user_notes": Words("notes"),
    "topic": Words("a topic for the scene"),
    "role": Words("your role", "Choose one of the scene's roles.", choose=True),
    "answer": Words("an answer", "Type or choose an answer first."),
    "text": Words("your line"),
    "feedback_text": Words("a comment"),
    "rating": Words("a rating", "Choose a rating from 1 to 5.", choose=True),
}
ANYTHING = Words("this", "This cannot be used as it is: check it and try again.")

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


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def message(name: str, kind: str, context: dict[str, Any] | None = None, given: Any = "") -> str:
    """The sentence for a refused value of field `name`, by the kind of rule it broke (a
    pydantic error type)."""
    words = FIELDS.get(name, ANYTHING)
    context = context or {}
    empty = kind == "missing" or (kind in _EMPTY and given in (None, ""))
    if empty or (kind == "string_too_short" and given == ""):
        return f"{'Choose' if words.choose else 'Enter'} {words.noun}."
    if kind == "string_too_long" and "max_length" in context:
        return f"{_capital(words.noun)} can be at most {context['max_length']:,} characters."
    if words.rule:
        return words.rule
    if kind == "string_too_short" and "min_length" in context:
        return f"{_capital(words.noun)} needs at least {context['min_length']} characters."
    if kind in _NUMBER:
        return "Enter a whole number." if kind.startswith("int") else "Enter a number."
    if kind in _RANGE:
        bound = next(iter(context.values()), "")
        return f"Enter a number {'of at least' if kind.startswith('greater') else 'up to'} {bound}."
    return ANYTHING.rule or ""


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
            found.setdefault(name, "Check the form and try again.")
            continue
        found.setdefault(name, message(name, kind, problem.get("ctx"), given))
    return found


def in_form_order(errors: dict[str, str], names: list[str]) -> dict[str, str]:
    """The problems in the order of the form's fields (as the browser sent them: the page's
    order), so that the summary reads as the form does; a problem of no field first."""
    place = {name: index for index, name in enumerate(names)}
    return dict(sorted(errors.items(), key=lambda item: place.get(item[0], -1)))
