"""The security matrix, route by route from the OpenAPI schema and the page routers:
authentication on every protected operation, body limits, hostile text kept as data, password
hashing parameters, login throttling across server processes, ownership of every id, the
origin of every change a cookie can make, who reads /metrics, names in any case, what sign-up
tells. (Throttling by client: tests/accounts/test_throttle.py; cookie tossing:
tests/test_origin.py.)"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.accounts.security import password_hash
from langtutor.app import create_app
from langtutor.error_handlers import LARGER_BODIES, MAX_BODY_BYTES
from langtutor.web.routes import PAGE_ROUTERS
from tests.admin.operators import operator_headers
from tests.conftest import TEST_SECRET, AppFactory, make_settings
from tests.factories import PASSWORD, page_sign_up, register, saved_flashcards, user_with_token
from tests.servers import ServerProcess
from tests.web.html import parse

HOSTILE = [
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM activity_log WHERE ('1'='1",
    "%_\\",
    "<script>alert(1)</script>",
]


def operations(app: FastAPI) -> list[tuple[str, str, bool, bool]]:
    """(method, path with ids filled in, needs auth, takes a JSON or form body)."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            found.append(
                (method.upper(), concrete, "security" in operation, "requestBody" in operation)
            )
    return found


# The operations anyone may call without a token (paths with ids filled in), and why: the
# probes, sign-up, login and reset with an operator's code, and a shared set's link (its
# unguessable token is the key: tests/library/test_sharing.py, and below).
PUBLIC_OPERATIONS = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/auth/register"),
    ("POST", "/auth/token"),
    ("POST", "/auth/reset-password"),
    ("GET", "/shared/1"),
}


def test_only_the_public_operations_take_no_token(app: FastAPI) -> None:
    public = {(method, path) for method, path, needs_auth, _ in operations(app) if not needs_auth}
    assert public == PUBLIC_OPERATIONS, "a new public operation needs its line here"


async def test_every_protected_operation_needs_a_valid_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    protected = [op for op in operations(app) if op[2]]
    assert len(protected) >= 18
    for method, path, _, _ in protected:
        for headers in ({}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic x"}):
            answer = await client.request(method, path, headers=headers)
            assert answer.status_code == 401, (method, path, headers, answer.text)


async def test_oversized_bodies_are_413_everywhere(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    templates = {re.sub(r"\{[^}]+\}", "1", path): path for path in app.openapi()["paths"]}
    for method, path, _, has_body in operations(app):
        if has_body:
            limit = LARGER_BODIES.get(path, MAX_BODY_BYTES)
            body = b'{"x": "' + b"a" * (limit + 1) + b'"}'
            answer = await client.request(
                method, path, headers=headers | {"Content-Type": "application/json"}, content=body
            )
            assert answer.status_code == 413, (method, path, answer.status_code)
            documented = app.openapi()["paths"][templates[path]]
            assert "413" in documented[method.lower()]["responses"], (method, path)
    async with db.connect() as connection:
        assert (
            await connection.execute(text("SELECT count(*) FROM saved_content"))
        ).scalar_one() == 0


async def test_hostile_text_is_stored_and_searched_as_data(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    cards = {"cards": [{"front": HOSTILE[0], "back": HOSTILE[1]}]}
    for value in HOSTILE + ["x" * 2000]:
        saved = await client.post(
            "/content/save",
            headers=headers,
            json={
                "content_type": "flashcards",
                "original_query": value,
                "content_data": cards,
                "user_notes": value * 3,
            },
        )
        assert saved.status_code == 201, saved.text
        assert saved.json()["original_query"] == value
        found = await client.get("/content", headers=headers, params={"q": value[:200]})
        assert found.status_code == 200
    bad_login = await client.post(
        "/auth/token", data={"username": HOSTILE[0][:50], "password": HOSTILE[2]}
    )
    assert bad_login.status_code == 401
    async with db.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM users"))).scalar_one() == 1
        assert (
            await connection.execute(text("SELECT count(*) FROM saved_content"))
        ).scalar_one() == 6


def test_argon2id_parameters_meet_owasp_minimum() -> None:
    stored = password_hash.hash("any password")
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    assert match, stored
    memory_kib, iterations, _ = map(int, match.groups())
    assert memory_kib >= 19 * 1024
    assert iterations >= 2


@pytest.mark.slow
async def test_login_throttling_holds_across_two_server_processes(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    settings = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}
    with (
        ServerProcess(settings, log=tmp_path / "a.log") as first,
        ServerProcess(settings, log=tmp_path / "b.log") as second,
    ):
        clients = [httpx.AsyncClient(base_url=server.url, timeout=30) for server in (first, second)]
        try:
            user = await register(clients[0])
            for n in range(5):  # failures spread over both processes
                answer = await clients[n % 2].post(
                    "/auth/token", data={"username": user["username"], "password": "wrong!!!"}
                )
                assert answer.status_code == 401
            for client in clients:
                answer = await client.post(
                    "/auth/token", data={"username": user["username"], "password": PASSWORD}
                )
                assert answer.status_code == 429
                assert int(answer.headers["retry-after"]) > 0
        finally:
            for client in clients:
                await client.aclose()


async def test_logout_and_password_change_revoke_tokens(client: httpx.AsyncClient) -> None:
    user, first = await user_with_token(client)
    second = (
        await client.post("/auth/token", data={"username": user["username"], "password": PASSWORD})
    ).json()
    second_headers = {"Authorization": f"Bearer {second['access_token']}"}
    await client.post(
        "/users/me/password",
        headers=first,
        json={"current_password": PASSWORD, "new_password": "another password"},
    )
    assert (await client.get("/users/me", headers=second_headers)).status_code == 401
    await client.post("/auth/logout", headers=first)
    results = await asyncio.gather(
        client.get("/users/me", headers=first), client.get("/activity", headers=first)
    )
    assert [r.status_code for r in results] == [401, 401]


def id_carriers(app: FastAPI) -> set[tuple[str, str, str]]:
    """(method, path, field) for every id a client can send: path parameters, and `*_id`
    fields of request bodies, read from the OpenAPI schema. The console's (`/admin`) name any
    learner on purpose: they are for operators only (see the test of the console below)."""
    schema = app.openapi()
    found = set()
    for path, item in schema["paths"].items():
        if path.startswith("/admin"):
            continue
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"].endswith("_id"):
                    found.add((method.upper(), path, parameter["name"]))
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                # One model, or one of several (a body whose fields depend on its kind).
                refs = [media["schema"].get("$ref", "")] + [
                    option["$ref"] for option in media["schema"].get("oneOf", [])
                ]
                properties = {
                    name: value
                    for ref in refs
                    if ref
                    for name, value in schema["components"]["schemas"][ref.rsplit("/", 1)[1]][
                        "properties"
                    ].items()
                }
                # OAuth2's password form has a client_id that names no row of ours.
                found.update(
                    (method.upper(), path, name)
                    for name in properties
                    if name.endswith("_id") and name != "client_id"
                )
    return found


async def test_another_users_ids_are_404_everywhere_and_change_nothing(
    app_factory: AppFactory, fake_llm_settings: dict[str, object], db: AsyncEngine
) -> None:
    async with app_factory(**fake_llm_settings) as client:
        _, owner = await user_with_token(client, default_target_language="es")
        _, intruder = await user_with_token(client, default_target_language="fr")
        item = await saved_flashcards(client, owner, 2, label="mine")
        sid, gid = item["saved_content_id"], item["generation_id"]
        queue = (await client.get("/review/queue", headers=owner)).json()
        card = queue["cards"][0]
        cid = card["card_id"]
        save_body = {
            "content_type": "flashcards",
            "original_query": "q",
            "content_data": item["content_data"],
        }
        # Each id a client can send, used by the intruder with the owner's value.
        item_path, export = f"/content/{sid}", f"/content/{sid}/export?format=json"
        attempts = {
            ("GET", "/content/{saved_content_id}", "saved_content_id"): (item_path, None),
            ("PATCH", "/content/{saved_content_id}", "saved_content_id"): (
                item_path,
                {"user_label": "stolen"},
            ),
            ("DELETE", "/content/{saved_content_id}", "saved_content_id"): (item_path, None),
            ("GET", "/content/{saved_content_id}/export", "saved_content_id"): (export, None),
            ("POST", "/content/save", "generation_id"): (
                "/content/save",
                save_body | {"generation_id": gid},
            ),
            ("POST", "/feedback", "generation_id"): (
                "/feedback",
                {"generation_id": gid, "rating": 1},
            ),
            ("POST", "/feedback", "saved_content_id"): (
                "/feedback",
                {"saved_content_id": sid, "rating": 1},
            ),
            ("POST", "/content/{saved_content_id}/study", "saved_content_id"): (
                f"/content/{sid}/study",
                {"position": 1, "finished": True, "score": 1.0},
            ),
            ("POST", "/content/{saved_content_id}/review", "saved_content_id"): (
                f"/content/{sid}/review",
                None,
            ),
            ("POST", "/content/{saved_content_id}/share", "saved_content_id"): (
                f"/content/{sid}/share",
                None,
            ),
            ("DELETE", "/content/{saved_content_id}/share", "saved_content_id"): (
                f"/content/{sid}/share",
                None,
            ),
            ("POST", "/review/{card_id}", "card_id"): (f"/review/{cid}", {"rating": 3}),
            ("GET", "/review/cards/{card_id}", "card_id"): (f"/review/cards/{cid}", None),
            ("PATCH", "/review/cards/{card_id}", "card_id"): (
                f"/review/cards/{cid}",
                {"suspended": True, "front": "stolen"},
            ),
            ("DELETE", "/review/cards/{card_id}", "card_id"): (f"/review/cards/{cid}", None),
            ("GET", "/review/practice/sets/{saved_content_id}", "saved_content_id"): (
                f"/review/practice/sets/{sid}",
                None,
            ),
            ("POST", "/review/practice", "card_id"): (
                "/review/practice",
                {"card_id": cid, "rating": 3},
            ),
            **{
                ("POST", f"/exercises/{action}", field): (
                    f"/exercises/{action}",
                    {field: value, "item_index": 0, "answer": "x"},
                )
                for action in ("check", "explain")
                for field, value in (("generation_id", gid), ("saved_content_id", sid))
            },
        }
        conversation = (
            await client.post("/conversations", headers=owner, json={"topic": "a market"})
        ).json()["conversation_id"]
        talk = f"/conversations/{conversation}"
        # The owner's live link, which the intruder's DELETE must leave alone.
        link = (await client.post(f"/content/{sid}/share", headers=owner)).json()
        attempts |= {
            ("POST", "/conversations", "saved_content_id"): (
                "/conversations",
                {"saved_content_id": sid},
            ),
            ("POST", "/conversations", "generation_id"): ("/conversations", {"generation_id": gid}),
            ("GET", "/conversations/{conversation_id}", "conversation_id"): (talk, None),
            ("DELETE", "/conversations/{conversation_id}", "conversation_id"): (talk, None),
            ("POST", "/conversations/{conversation_id}/turns", "conversation_id"): (
                f"{talk}/turns",
                {"text": "hola"},
            ),
            ("POST", "/conversations/{conversation_id}/finish", "conversation_id"): (
                f"{talk}/finish",
                None,
            ),
            ("POST", "/conversations/{conversation_id}/review", "conversation_id"): (
                f"{talk}/review",
                None,
            ),
        }
        placement = (await client.post("/placement", headers=owner)).json()
        test = f"/placement/{placement['placement_id']}"
        words = [{"item_id": item["item_id"], "known": True} for item in placement["items"]]
        attempts |= {
            ("GET", "/placement/{placement_id}", "placement_id"): (test, None),
            ("POST", "/placement/{placement_id}/answers", "placement_id"): (
                f"{test}/answers",
                {"answers": words},
            ),
            ("POST", "/placement/{placement_id}/accept", "placement_id"): (
                f"{test}/accept",
                {"level": "C2"},
            ),
        }
        await client.patch("/users/me", headers=owner, json={"self_assessed_level": "A1"})
        plan = (await client.post("/plan", headers=owner, json={})).json()
        step = plan["week"][0]["steps"][0]["step_id"]
        attempts[("POST", "/plan/steps/{step_id}/start", "step_id")] = (
            f"/plan/steps/{step}/start",
            None,
        )
        attempts |= await class_attempts(client, owner, intruder, sid)
        app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
        assert set(attempts) == id_carriers(app), "a new id needs its line here"
        for (method, _, _), (path, body) in attempts.items():
            answer = await client.request(method, path, headers=intruder, json=body)
            assert answer.status_code == 404, (method, path, answer.text)
        assert (await client.get(f"/content/{sid}", headers=owner)).json() == item
        assert (await client.get(f"/review/cards/{cid}", headers=owner)).json() == card
        assert (await client.get(test, headers=owner)).json() == placement
        assert (await client.post("/review/undo", headers=intruder)).status_code == 404
        assert (await client.get("/content", headers=intruder)).json()["total"] == 0
        assert (await client.get("/plan", headers=owner)).json() == plan  # nothing started
        again = await client.post(f"/content/{sid}/share", headers=owner)
        assert (again.status_code, again.json()) == (200, link)  # still the same live link
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM feedback")) == 0
        assert await connection.scalar(text("SELECT count(*) FROM saved_content")) == 1


async def test_shared_links_are_unguessable_and_only_their_owners(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """A link's token: at least 128 random bits, URL-safe, nothing derived from the set's id
    (the same set shared again gets an unrelated one); read by anyone holding it, made and
    revoked by its owner only (another learner's id is 404: above), copied only with a token
    of the API's (401 without)."""
    _, owner = await user_with_token(client)
    _, other = await user_with_token(client)
    first = await saved_flashcards_without_model(client, owner)
    second = await saved_flashcards_without_model(client, owner)
    tokens = []
    for sid in (first, second, first):
        token = (await client.post(f"/content/{sid}/share", headers=owner)).json()["token"]
        tokens.append(token)
        await client.delete(f"/content/{sid}/share", headers=owner)
    assert len(set(tokens)) == 3
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128, token
    live = (await client.post(f"/content/{first}/share", headers=owner)).json()["token"]
    assert (await client.get(f"/shared/{live}")).status_code == 200
    assert (await client.post(f"/shared/{live}/copy")).status_code == 401
    forged = {"Authorization": "Bearer forged"}
    assert (await client.post(f"/shared/{live}/copy", headers=forged)).status_code == 401
    for near in (live[:-1] + ("A" if live[-1] != "A" else "B"), live.lower(), live[:-4]):
        assert (await client.get(f"/shared/{near}")).status_code in (404, 422), near
    # Another learner can neither revoke it nor read the owner's set through it by id.
    assert (await client.delete(f"/content/{first}/share", headers=other)).status_code == 404
    assert (await client.get(f"/shared/{live}")).status_code == 200
    async with db.connect() as connection:
        stored = await connection.scalar(text("SELECT token FROM content_shares"))
    assert stored == live


async def saved_flashcards_without_model(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    answer = await client.post(
        "/content/save",
        headers=headers,
        json={
            "content_type": "flashcards",
            "original_query": "q",
            "content_data": {"cards": [{"front": "a", "back": "b"}]},
        },
    )
    return int(answer.json()["saved_content_id"])


Attempts = dict[tuple[str, str, str], tuple[str, dict[str, object] | None]]


async def class_attempts(
    client: httpx.AsyncClient, owner: dict[str, str], intruder: dict[str, str], sid: int
) -> Attempts:
    """The ids of classes: the owner's class to one who is not in it; the owner's set and the
    owner themself (no member) to the intruder's own class."""
    mine = (await client.post("/classes", headers=owner, json={"name": "mine"})).json()
    theirs = (await client.post("/classes", headers=intruder, json={"name": "theirs"})).json()
    me = (await client.get("/users/me", headers=owner)).json()["user_id"]
    room, other = f"/classes/{mine['class_id']}", f"/classes/{theirs['class_id']}"
    return {
        ("GET", "/classes/{class_id}", "class_id"): (room, None),
        ("DELETE", "/classes/{class_id}", "class_id"): (room, None),
        ("POST", "/classes/{class_id}/join-code", "class_id"): (f"{room}/join-code", None),
        ("POST", "/classes/{class_id}/assignments", "class_id"): (
            f"{room}/assignments",
            {"saved_content_id": sid},
        ),
        ("POST", "/classes/{class_id}/assignments", "saved_content_id"): (
            f"{other}/assignments",
            {"saved_content_id": sid},
        ),
        ("GET", "/classes/{class_id}/progress", "class_id"): (f"{room}/progress", None),
        ("DELETE", "/classes/{class_id}/membership", "class_id"): (f"{room}/membership", None),
        ("DELETE", "/classes/{class_id}/members/{user_id}", "class_id"): (
            f"{room}/members/{me}",
            None,
        ),
        ("DELETE", "/classes/{class_id}/members/{user_id}", "user_id"): (
            f"{other}/members/{me}",
            None,
        ),
    }


async def test_a_class_shows_its_members_only_what_is_theirs(client: httpx.AsyncClient) -> None:
    """A member knows the class (403 for what only its teacher may do, never 404), sees no
    other member and no one's figures; once out, 404 for everything, and the teacher sees
    nothing more of them; an old join code leads nowhere."""
    _, teacher = await user_with_token(client)
    made = (await client.post("/classes", headers=teacher, json={"name": "c"})).json()
    room, code = f"/classes/{made['class_id']}", made["join_code"]
    _, ana = await user_with_token(client)
    bob_user, bob = await user_with_token(client)
    for headers in (ana, bob):
        joined = await client.post("/classes/join", headers=headers, json={"join_code": code})
        assert joined.status_code == 200
    seen = (await client.get(room, headers=ana)).json()
    assert (seen["members"], seen["join_code"]) == ([], None)
    own_set = (
        await client.post(
            "/content/save",
            headers=ana,
            json={
                "content_type": "flashcards",
                "original_query": "q",
                "content_data": {"cards": [{"front": "a", "back": "b"}]},
            },
        )
    ).json()["saved_content_id"]
    for method, path, body in (
        ("GET", f"{room}/progress", None),
        ("POST", f"{room}/join-code", None),
        ("POST", f"{room}/assignments", {"saved_content_id": own_set}),
        ("DELETE", f"{room}/members/{bob_user['user_id']}", None),
        ("DELETE", room, None),
    ):
        answer = await client.request(method, path, headers=ana, json=body)
        assert answer.status_code == 403, (method, path, answer.text)
    assert (await client.delete(f"{room}/membership", headers=ana)).status_code == 204
    assert (
        await client.delete(f"{room}/members/{bob_user['user_id']}", headers=teacher)
    ).status_code == 204
    for headers in (ana, bob):
        for method, path in (
            ("GET", room),
            ("GET", f"{room}/progress"),
            ("POST", f"{room}/join-code"),
        ):
            answer = await client.request(method, path, headers=headers)
            assert answer.status_code == 404, (method, path)
        assert (await client.get("/classes", headers=headers)).json() == []
    figures = (await client.get(f"{room}/progress", headers=teacher)).json()
    assert figures["members"] == []
    assert (await client.get(room, headers=teacher)).json()["members"] == []
    rotated = (await client.post(f"{room}/join-code", headers=teacher)).json()["join_code"]
    assert rotated != code
    old = await client.post("/classes/join", headers=ana, json={"join_code": code})
    assert old.status_code == 404


# -- the operator's console: operators only ------------------------------------------------------


async def test_every_admin_route_and_page_is_for_operators_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Every `/admin` operation: 401 without a token, 403 with a learner's; every console
    page: to the login page without a session, the 403 page with a learner's (its forms
    too, with the session's CSRF token); the console's link is not in a learner's menu."""
    admin_operations = [op for op in operations(app) if op[1].startswith("/admin")]
    assert len(admin_operations) >= 10, admin_operations
    _, learner = await user_with_token(client)
    for method, path, needs_auth, _ in admin_operations:
        assert needs_auth, (method, path)
        assert (await client.request(method, path, json={})).status_code == 401, (method, path)
        answer = await client.request(method, path, headers=learner, json={})
        assert answer.status_code == 403, (method, path, answer.text)
    pages = [
        (method, route.path)
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/app/admin")
        for method in route.methods
    ]
    assert len(pages) >= 10, pages
    for method, path in pages:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        answer = await client.request(method, concrete)
        assert answer.status_code in (303, 403), (method, path, answer.status_code)
        if method == "GET":
            assert answer.headers["location"].startswith("/app/login"), (method, path)
    assert (await page_sign_up(client, "not_an_operator")).status_code == 303
    home = await client.get("/app/profile")
    assert "data-admin-link" not in home.text
    csrf = parse(home.text).csrf_token()
    for method, path in pages:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        answer = await client.request(
            method, concrete, data={"csrf_token": csrf} if method == "POST" else None
        )
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert "text/html" in answer.headers["content-type"], (method, path)


# -- the lower findings of the second probe: origin, metrics, names, sign-ups -------------------


async def test_every_change_a_cookie_can_make_refuses_another_origin(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """Every form post of the pages and every cookie-authenticated API change, with the
    session cookie and a right CSRF token, from another origin (another port of this host,
    another site): 403, and nothing changes."""
    assert (await page_sign_up(client, "origin")).status_code == 303
    csrf = parse((await client.get("/app/profile")).text).csrf_token()
    pages = [
        route.path
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    changes = [
        (method, path)
        for method, path, needs_auth, _ in operations(app)
        if needs_auth and method in ("POST", "PUT", "PATCH", "DELETE")
    ]
    assert len(pages) >= 20, pages
    assert len(changes) >= 20, changes
    for cross in ({"Origin": "http://testserver:8080"}, {"Sec-Fetch-Site": "same-site"}):
        for path in pages:
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            answer = await client.post(concrete, data={"csrf_token": csrf}, headers=cross)
            assert answer.status_code == 403, (path, cross, answer.status_code)
        for method, path in changes:
            answer = await client.request(
                method, path, json={}, headers=cross | {"X-CSRF-Token": csrf}
            )
            assert answer.status_code == 403, (method, path, cross, answer.text)
    me = await client.get("/users/me")
    assert me.status_code == 200
    assert me.json()["username"] == "origin"


@asynccontextmanager
async def served_to(
    address: str, database_url: str, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with these settings, as a client at `address` sees it."""
    app = create_app(make_settings(database_url, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "203.0.113.9"])
async def test_metrics_are_for_this_machine_unless_a_token_is_set(
    database_url: str, db: AsyncEngine, address: str
) -> None:
    here = address != "203.0.113.9"
    async with served_to(address, database_url) as client:
        assert (await client.get("/metrics")).status_code == (200 if here else 403)
        # A proxy on this machine relays someone else.
        relayed = await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.1"})
        assert relayed.status_code == 403
    async with served_to(address, database_url, METRICS_TOKEN="scrape-me") as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
            answer = await client.get("/metrics", headers=headers)
            assert answer.status_code == 401, (headers, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
        answer = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert answer.status_code == 200
        assert "langtutor_log_entries_written" in answer.text


async def test_a_name_is_one_account_in_any_case(client: httpx.AsyncClient) -> None:
    user = await register(client, "Matrix")
    for name in ("matrix", "MATRIX", "ｍａｔｒｉｘ"):
        answer = await client.post("/auth/register", json={"username": name, "password": PASSWORD})
        assert answer.status_code in (409, 422), (name, answer.text)  # 422: not a name we take
    token = await client.post("/auth/token", data={"username": "mAtRiX", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/users/me", headers=headers)).json()["user_id"] == user["user_id"]


async def test_sign_up_says_what_is_taken_at_a_bounded_rate(app_factory: AppFactory) -> None:
    """A documented choice: sign-up tells a taken username (it must) and a taken email (a
    server without mail cannot hide it), at most LANGTUTOR_SIGNUP_RATE_PER_HOUR times an hour
    per address."""
    async with app_factory(SIGNUP_RATE_PER_HOUR=3) as client:
        await register(client, "known", email="known@example.org")
        body = {"username": "fresh", "password": PASSWORD, "email": "known@example.org"}
        answer = await client.post("/auth/register", json=body)
        assert answer.status_code == 409
        assert "email" in answer.json()["detail"]
        answer = await client.post("/auth/register", json=body | {"username": "KNOWN"})
        assert answer.status_code == 409
        assert "username" in answer.json()["detail"]
        answer = await client.post("/auth/register", json=body)
        assert answer.status_code == 429


def console_pages() -> list[tuple[str, str]]:
    """(method, path with ids filled in) of every page of the operator's console."""
    return [
        (method, re.sub(r"\{[^}]+\}", "1", route.path))
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/app/admin")
        for method in sorted(route.methods)
    ]


async def test_the_operators_console_is_for_operators_only(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """Every `/admin` operation: 401 without a token, 403 for a learner; every `/app/admin`
    page: the login page without a session (401 for the page script), 403 for a learner. An
    operator is refused by neither."""
    api = [(method, path) for method, path, _, _ in operations(app) if path.startswith("/admin")]
    pages = console_pages()
    assert {("GET", "/admin/stats"), ("GET", "/admin/health")} <= set(api)
    assert ("GET", "/app/admin/usage") in pages
    _, learner = await user_with_token(client)
    operator = await operator_headers(client, db)
    for method, path in api:
        assert (await client.request(method, path)).status_code == 401, (method, path)
        refused = await client.request(method, path, headers=learner)
        assert refused.status_code == 403, (method, path, refused.text)
        allowed = await client.request(method, path, headers=operator)
        assert allowed.status_code not in (401, 403), (method, path, allowed.text)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser,
    ):
        await page_sign_up(browser, "plainlearner")
        for method, path in pages:
            refused = await browser.request(method, path)
            assert refused.status_code == 403, (method, path, refused.text)
            away = await anonymous.request(method, path)
            fetched = await anonymous.request(method, path, headers={"X-Requested-With": "fetch"})
            if method != "GET":  # a form without a session may be refused for its CSRF first
                assert away.status_code in (303, 403), (method, path)
                assert fetched.status_code in (401, 403), (method, path)
                continue
            assert away.status_code == 303, (method, path)
            assert away.headers["location"].startswith("/app/login"), (method, path)
            assert fetched.status_code == 401, (method, path)
