"""The learner's pages: `/` and `/app/…`, over the same services as the JSON API.

Forms post to `/app/…`; the page script sends the same forms with fetch and swaps in the
fragment that comes back, so every page also works as plain HTML.
"""

from __future__ import annotations

from fastapi import APIRouter

from langtutor.routing import JSONRoute
from langtutor.web import (
    account_routes,
    admin_routes,
    admin_stats_routes,
    classes_routes,
    conversation_routes,
    home_routes,
    library_routes,
    password_routes,
    placement_routes,
    plan_routes,
    practice_ahead_routes,
    practice_routes,
    review_routes,
    sharing_routes,
    shell_routes,
    study_routes,
)

PAGE_ROUTERS = (
    account_routes.router,
    home_routes.router,
    study_routes.router,
    library_routes.router,
    sharing_routes.router,
    plan_routes.router,
    classes_routes.router,
    # Before the review pages: `/app/review/practice` is not a card's id.
    practice_ahead_routes.router,
    review_routes.router,
    practice_routes.router,
    conversation_routes.router,
    placement_routes.router,
    shell_routes.router,
    admin_stats_routes.router,
    password_routes.router,
    admin_routes.router,
)

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
for page_router in PAGE_ROUTERS:
    router.include_router(page_router)
