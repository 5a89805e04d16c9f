"""Every path of the API answers a method it does not declare with 405 and an `Allow` header
naming all of the path's methods; a literal path is never parsed as an id."""

from __future__ import annotations

import re

import httpx

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


async def test_undeclared_methods_answer_405_with_allow(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    checked = 0
    for path, item in schema["paths"].items():
        declared = {method.upper() for method in item}
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted(METHODS - declared):
            answer = await client.request(method, url)
            assert answer.status_code == 405, (method, path, answer.status_code, answer.text)
            allow = {m.strip() for m in answer.headers["allow"].split(",")}
            assert allow - {"HEAD"} == declared, (method, path, allow)
            assert answer.json()["detail"]
            checked += 1
    assert checked > 100


async def test_literal_paths_are_not_ids(client: httpx.AsyncClient) -> None:
    for method, path, allow in [
        ("PATCH", "/content/export", "GET, HEAD"),
        ("PATCH", "/content/save", "POST"),
        ("DELETE", "/content/save", "POST"),
        ("POST", "/review/queue", "GET, HEAD"),
        ("POST", "/review/stats", "GET, HEAD"),
        ("OPTIONS", "/content/1", "DELETE, GET, HEAD, PATCH"),
    ]:
        answer = await client.request(method, path)
        assert answer.status_code == 405, (method, path)
        assert answer.headers["allow"] == allow
    assert (await client.get("/content/abc")).status_code == 404
