"""OpenAPI documentation of the error answers, so clients know every status a route gives;
the raw JSON answer of the hot lists."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel

DESCRIPTIONS = {
    400: "The request cannot be served as asked",
    401: "Missing, invalid, expired or revoked token",
    403: "Not allowed: a wrong current password, or a change authenticated by cookie "
    "without the `X-CSRF-Token` header or from another origin",
    404: "Not found (also for another user's ids)",
    409: "Conflicts with existing data, or with what the ids it names hold (a set of another "
    "kind, an item it lacks, a profile without the default it needs)",
    413: "Request body too large",
    415: "A file of a type this route does not take",
    422: "Invalid input; `detail` names the field",
    429: "Too many requests; see Retry-After",
    502: "The language model answered unusable content",
    503: "No language model configured, model or database unavailable",
    504: "The language model timed out",
}


class ErrorBody(BaseModel):
    detail: Any


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    documented: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        documented[code] = {"description": DESCRIPTIONS[code]}
        if code != 422:  # FastAPI documents its own validation-error body for 422
            documented[code]["model"] = ErrorBody
    return documented


# Answers that do not depend on the route: FastAPI refuses any body over the size limit, and
# every route that reads the database answers 503 while it is unreachable.
NO_DATABASE = {"/healthz", "/metrics"}


def document_common_errors(schema: dict[str, Any]) -> dict[str, Any]:
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, item in schema["paths"].items():
        for operation in item.values():
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("413", {"description": DESCRIPTIONS[413]})
                responses["413"].setdefault("content", error_body)
            if path not in NO_DATABASE:
                responses.setdefault(
                    "503",
                    {"description": "The database is unavailable; retry after `Retry-After`"},
                )
                responses["503"].setdefault("content", error_body)
    schema["components"]["schemas"].setdefault("ErrorBody", ErrorBody.model_json_schema())
    return schema


class RawJSON(Response):
    """An answer encoded with orjson, which can pass JSON text from the database through as
    it is (`orjson.Fragment`): for the hot lists, whose content would otherwise be decoded,
    validated and encoded again, item by item. Times are written as pydantic writes them
    (UTC with `Z`); the route's `response_model` still documents the shape."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_UTC_Z)
