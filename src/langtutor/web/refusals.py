"""What the account pages say when a login or a sign-up is refused: whole sentences in the
page's language, by the kind of refusal (the API's English detail is for programs)."""

from __future__ import annotations

from collections.abc import Callable

from langtutor.accounts.registration import InviteNeeded, SignUpClosed
from langtutor.accounts.throttle import Throttled
from langtutor.errors import AppError, Conflict, Forbidden
from langtutor.web import i18n
from langtutor.web.i18n import gettext, ngettext

# Each throttle's refusal as whole sentences: the wait in minutes when it is long, else in
# seconds (ngettext: the number decides the form).
THROTTLED: dict[str, tuple[Callable[[int], str], Callable[[int], str]]] = {
    "address": (
        lambda n: ngettext(
            "Too many failed logins from your network: you can try again in %(count)s minute.",
            "Too many failed logins from your network: you can try again in %(count)s minutes.",
            n,
        ),
        lambda n: ngettext(
            "Too many failed logins from your network: you can try again in %(count)s second.",
            "Too many failed logins from your network: you can try again in %(count)s seconds.",
            n,
        ),
    ),
    "username": (
        lambda n: ngettext(
            "Too many failed logins for this username from here: you can try again in "
            "%(count)s minute.",
            "Too many failed logins for this username from here: you can try again in "
            "%(count)s minutes.",
            n,
        ),
        lambda n: ngettext(
            "Too many failed logins for this username from here: you can try again in "
            "%(count)s second.",
            "Too many failed logins for this username from here: you can try again in "
            "%(count)s seconds.",
            n,
        ),
    ),
    "many_places": (
        lambda n: ngettext(
            "Someone is trying passwords for this username from many places. Log in on a "
            "device you have logged in on before, or wait: you can try again in %(count)s "
            "minute.",
            "Someone is trying passwords for this username from many places. Log in on a "
            "device you have logged in on before, or wait: you can try again in %(count)s "
            "minutes.",
            n,
        ),
        lambda n: ngettext(
            "Someone is trying passwords for this username from many places. Log in on a "
            "device you have logged in on before, or wait: you can try again in %(count)s "
            "second.",
            "Someone is trying passwords for this username from many places. Log in on a "
            "device you have logged in on before, or wait: you can try again in %(count)s "
            "seconds.",
            n,
        ),
    ),
    "sign_ups": (
        lambda n: ngettext(
            "Too many sign-ups from your network: you can try again in %(count)s minute.",
            "Too many sign-ups from your network: you can try again in %(count)s minutes.",
            n,
        ),
        lambda n: ngettext(
            "Too many sign-ups from your network: you can try again in %(count)s second.",
            "Too many sign-ups from your network: you can try again in %(count)s seconds.",
            n,
        ),
    ),
}


def throttled(error: Throttled) -> str:
    """The throttle's refusal in the pages' words, with the wait in minutes when it is long."""
    in_minutes, in_seconds = THROTTLED[error.rule]
    minutes = -(-error.retry_after // 60)
    if minutes > 1:
        return in_minutes(minutes) % {"count": i18n.number(minutes)}
    return in_seconds(error.retry_after) % {"count": i18n.number(error.retry_after)}


def sign_up_refused(error: AppError) -> str:
    """Why the account was not made, in the pages' words (the API's detail is for programs),
    by the kind of refusal."""
    if isinstance(error, Throttled):
        return throttled(error)
    if isinstance(error, Conflict):
        return gettext(
            "That username is already taken, or that email address is already registered."
        )
    if isinstance(error, SignUpClosed):
        return gettext(
            "Sign-up is closed on this server: ask the person who runs it for an account."
        )
    if isinstance(error, InviteNeeded):
        return gettext("Sign-up on this server needs an invite code from the person who runs it.")
    if isinstance(error, Forbidden):
        return gettext("This invite code is not valid, or has been used already.")
    return gettext("Your account could not be made just now. Try again in a moment.")
