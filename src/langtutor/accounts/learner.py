"""`Learner`: the signed-in learner as every service takes them, one frozen value per request.

Read with the token check (from the token cache when it holds the token: no database read),
with the server's defaults already applied where the learner set nothing, and the day counted
in their time zone. API routes and pages get the same value (`deps.CurrentLearner`,
`web.deps.PageLearner`); pages add the browser's zone when the profile names none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from langtutor.accounts.schemas import UserPublic
from langtutor.accounts.tokens import VerifiedToken
from langtutor.config import Settings
from langtutor.zones import learner_zone


@dataclass(frozen=True)
class Learner:
    user_id: int
    username: str
    default_target_language: str | None
    default_base_language: str | None
    self_assessed_level: str | None
    # The zone their days are counted in: the profile's, else the browser's (pages), else UTC.
    zone: ZoneInfo
    daily_goal: int
    use_history: bool
    review_auto_cards: bool
    audio_autoplay: bool
    # The pages' language they chose, else None (their base language, else the browser's).
    interface_language: str | None
    # Review scheduling: the learner's own, else the server's.
    desired_retention: float
    new_per_day: int
    maximum_interval_days: int
    # Fitted to their own reviews (`review optimize`), else None: FSRS's defaults.
    fsrs_parameters: tuple[float, ...] | None
    is_admin: bool
    # The credential this request came with (logout and refresh revoke it), and the profile as
    # the API shows it; neither printed in a log line.
    token: VerifiedToken = field(repr=False, compare=False)

    @property
    def profile(self) -> UserPublic:
        return self.token.user


def learner_of(
    token: VerifiedToken, settings: Settings, *, browser_zone: str | None = None
) -> Learner:
    """The learner a verified token belongs to, with the server's defaults filled in."""
    user = token.user
    return Learner(
        user_id=user.user_id,
        username=user.username,
        default_target_language=user.default_target_language,
        default_base_language=user.default_base_language,
        self_assessed_level=user.self_assessed_level,
        zone=learner_zone(user.timezone, browser_zone),
        daily_goal=user.daily_goal,
        use_history=user.use_history,
        review_auto_cards=user.review_auto_cards,
        audio_autoplay=user.audio_autoplay,
        interface_language=user.interface_language,
        desired_retention=user.review_desired_retention or settings.REVIEW_DESIRED_RETENTION,
        new_per_day=(
            settings.REVIEW_NEW_PER_DAY
            if user.review_new_per_day is None
            else user.review_new_per_day
        ),
        maximum_interval_days=settings.REVIEW_MAXIMUM_INTERVAL_DAYS,
        fsrs_parameters=token.fsrs_parameters,
        is_admin=user.is_admin,
        token=token,
    )


def with_profile(learner: Learner, profile: UserPublic, settings: Settings) -> Learner:
    """The learner after a change of their profile in this request (the zone the request
    counted in, when the profile still names none)."""
    changed = learner_of(replace(learner.token, user=profile), settings)
    return changed if profile.timezone else replace(changed, zone=learner.zone)
