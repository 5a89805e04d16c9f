"""The route class of every router: request bodies are read as strict JSON.

Python's json module reads `NaN`, `Infinity` and `-Infinity`, which JSON (RFC 8259) does not
have: such a body went on to the handlers, and to validation errors that echo it and cannot be
encoded as JSON again (a 500). Here it is invalid JSON like any other: 422 `json_invalid`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute

# A string (skipped whole, so that "NaN" inside one is text) or a constant outside strings.
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


class _NonFinite(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _refuse(constant: str) -> NoReturn:
    raise _NonFinite(constant)


def parse_json(document: str | bytes) -> Any:
    """JSON as RFC 8259 defines it: a non-finite number raises `json.JSONDecodeError`, at
    its position, as any other invalid JSON does."""
    try:
        return json.loads(document, parse_constant=_refuse)
    except _NonFinite as error:
        text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
        found = (match for match in _CONSTANT.finditer(text) if match.group(1))
        position = next((match.start(1) for match in found), 0)
        message = f"{error.constant} is not a JSON number: numbers must be finite"
        raise json.JSONDecodeError(message, text, position) from None


class FiniteJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class JSONRoute(APIRoute):
    """Every router's `route_class` (FastAPI reads a body with `Request.json()`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_json(request: Request) -> Response:
            return await handler(FiniteJSONRequest(request.scope, request.receive))

        return strict_json
