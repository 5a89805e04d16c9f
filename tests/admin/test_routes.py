"""The console's people side over HTTP, on both databases: learners listed, searched and
paged; disabled (tokens refused at once, login refused), made operators or not (never the
last one), deleted with their name typed, given a password-reset code; invitations with uses,
expiry and revocation; the sign-up policy switched at run time; every change in the audit
log."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.config import get_settings
from tests.accounts.test_sessions import run_cli
from tests.admin.helpers import audit_actions, make_operator, operator_with_token
from tests.conftest import TEST_SECRET, AppFactory
from tests.factories import PASSWORD, login, register, user_with_token


async def test_learners_are_listed_searched_and_paged(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, admin = await operator_with_token(client, db)
    for name in ("ana", "bruno", "carla", "anabel"):
        await register(client, name, email=f"{name}@example.org")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/admin/users", headers=admin, params=params)).json()
        assert len(page["users"]) <= 2
        seen += [user["username"] for user in page["users"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["olga", "ana", "bruno", "carla", "anabel"]
    found = (await client.get("/admin/users", headers=admin, params={"q": "ANA"})).json()
    assert [user["username"] for user in found["users"]] == ["ana", "anabel"]
    assert found["next_cursor"] is None
    by_mail = (await client.get("/admin/users", headers=admin, params={"q": "bruno@"})).json()
    assert [user["username"] for user in by_mail["users"]] == ["bruno"]
    # LIKE's wildcards are taken as text.
    wild = await client.get("/admin/users", headers=admin, params={"q": "%"})
    assert wild.json()["users"] == []
    olga = found_user((await client.get("/admin/users", headers=admin)).json(), "olga")
    assert olga["role"] == "operator"
    assert olga["disabled"] is False
    assert olga["last_active"] is not None
    assert olga["created_at"] is not None
    assert set(olga) == {
        "user_id",
        "username",
        "email",
        "role",
        "disabled",
        "created_at",
        "last_active",
    }
    bad = await client.get("/admin/users", headers=admin, params={"cursor": "x"})
    assert bad.status_code == 422
    beyond = await client.get("/admin/users", headers=admin, params={"cursor": "9999999999"})
    assert beyond.json() == {"users": [], "next_cursor": None}
    nul = await client.get("/admin/users", headers=admin, params={"q": "a\x00b"})
    assert nul.status_code == 422


def found_user(page: dict[str, object], name: str) -> dict[str, object]:
    users = page["users"]
    assert isinstance(users, list)
    return next(user for user in users if user["username"] == name)


async def test_a_learner_is_refused_the_console(client: httpx.AsyncClient) -> None:
    _, learner = await user_with_token(client)
    for method, path in (
        ("GET", "/admin/users"),
        ("PATCH", "/admin/users/1"),
        ("GET", "/admin/invites"),
        ("GET", "/admin/settings"),
        ("GET", "/admin/audit"),
    ):
        answer = await client.request(method, path, headers=learner, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        assert (await client.request(method, path, json={})).status_code == 401


async def test_a_disabled_learner_is_out_at_once_and_cannot_log_in(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, admin = await operator_with_token(client, db)
    learner, headers = await user_with_token(client)
    assert (await client.get("/users/me", headers=headers)).status_code == 200  # cached
    changed = await client.patch(
        f"/admin/users/{learner['user_id']}", headers=admin, json={"disabled": True}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["disabled"] is True
    refused = await client.get("/users/me", headers=headers)
    assert refused.status_code == 401
    again = await client.post(
        "/auth/token", data={"username": learner["username"], "password": PASSWORD}
    )
    assert again.status_code == 403
    assert again.json()["detail"] == "this account has been disabled by the server's operator"
    wrong = await client.post(
        "/auth/token", data={"username": learner["username"], "password": "not the password"}
    )
    assert wrong.status_code == 401  # a wrong password tells nothing of the account
    async with db.connect() as connection:
        live = await connection.scalar(
            text("SELECT count(*) FROM auth_tokens WHERE user_id = :id AND revoked_at IS NULL"),
            {"id": learner["user_id"]},
        )
    assert live == 0
    enabled = await client.patch(
        f"/admin/users/{learner['user_id']}", headers=admin, json={"disabled": False}
    )
    assert enabled.json()["disabled"] is False
    fresh = await login(client, learner["username"])
    assert (await client.get("/users/me", headers=fresh)).status_code == 200
    assert (await client.get("/users/me", headers=headers)).status_code == 401  # still revoked
    assert (await audit_actions(client, admin))[:2] == ["user.enabled", "user.disabled"]


async def test_the_last_operator_stays(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    olga, admin = await operator_with_token(client, db)
    me = f"/admin/users/{olga['user_id']}"
    for body in ({"role": "learner"}, {"disabled": True}):
        refused = await client.patch(me, headers=admin, json=body)
        assert refused.status_code == 409, refused.text
        assert "last operator" in refused.json()["detail"]
    deleted = await client.request("DELETE", me, headers=admin, json={"confirm": "olga"})
    assert deleted.status_code == 409
    # Nor may she delete her own account: it stays, and so does her token.
    herself = await client.delete("/users/me", headers=admin)
    assert herself.status_code == 409
    assert "last operator" in herself.json()["detail"]
    assert (await client.get("/users/me", headers=admin)).status_code == 200
    # A second operator: now either may step down, but not both.
    pablo, _ = await user_with_token(client)
    promoted = await client.patch(
        f"/admin/users/{pablo['user_id']}", headers=admin, json={"role": "operator"}
    )
    assert promoted.json()["role"] == "operator"
    second = await login(client, pablo["username"])
    assert (await client.get("/admin/users", headers=second)).status_code == 200
    assert (await client.patch(me, headers=admin, json={"role": "learner"})).status_code == 200
    # Olga's own token no longer opens the console; Pablo cannot step down after her.
    assert (await client.get("/admin/users", headers=admin)).status_code == 403
    alone = await client.patch(
        f"/admin/users/{pablo['user_id']}", headers=second, json={"role": "learner"}
    )
    assert alone.status_code == 409
    unchanged = await client.patch(me, headers=second, json={"role": "learner"})
    assert unchanged.status_code == 200  # nothing to change, nothing logged
    assert (await audit_actions(client, second))[:2] == ["user.learner", "user.operator"]
    # A learner again, Olga may leave; Pablo, the last operator, may not.
    assert (await client.delete("/users/me", headers=admin)).status_code == 204
    assert (await client.delete("/users/me", headers=second)).status_code == 409


async def test_deleting_a_learner_needs_their_name(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, admin = await operator_with_token(client, db)
    learner, headers = await user_with_token(client, username="Zoe")
    path = f"/admin/users/{learner['user_id']}"
    wrong = await client.request("DELETE", path, headers=admin, json={"confirm": "zo"})
    assert wrong.status_code == 422
    assert (await client.get("/users/me", headers=headers)).status_code == 200
    gone = await client.request("DELETE", path, headers=admin, json={"confirm": "zoe"})
    assert gone.status_code == 204
    assert (await client.get("/users/me", headers=headers)).status_code == 401
    assert (
        await client.request("DELETE", path, headers=admin, json={"confirm": "zoe"})
    ).status_code == 404
    assert (await client.patch(path, headers=admin, json={"disabled": True})).status_code == 404
    entry = (await client.get("/admin/audit", headers=admin)).json()["entries"][0]
    assert entry["action"] == "user.deleted"
    assert entry["target"] == "Zoe"
    assert entry["target_id"] == learner["user_id"]
    assert entry["actor"] == "olga"
    assert entry["client"]


async def test_a_reset_code_sets_a_new_password_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, admin = await operator_with_token(client, db)
    learner, headers = await user_with_token(client)
    name = learner["username"]
    made = await client.post(f"/admin/users/{learner['user_id']}/reset-code", headers=admin)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    body = {"username": name, "code": "AAAA-BBBB-CCCC", "new_password": "a new password"}
    assert (await client.post("/auth/reset-password", json=body)).status_code == 403
    other, _ = await user_with_token(client)
    theirs = body | {"username": other["username"], "code": code}
    assert (await client.post("/auth/reset-password", json=theirs)).status_code == 403
    typed = body | {"code": code.replace("-", "").lower()}
    assert (await client.post("/auth/reset-password", json=typed)).status_code == 204
    assert (await client.get("/users/me", headers=headers)).status_code == 401
    assert (await client.post("/auth/reset-password", json=typed)).status_code == 403
    await login(client, name, "a new password")
    # A new code replaces the one before.
    first = (
        await client.post(f"/admin/users/{learner['user_id']}/reset-code", headers=admin)
    ).json()["code"]
    await client.post(f"/admin/users/{learner['user_id']}/reset-code", headers=admin)
    stale = body | {"code": first}
    assert (await client.post("/auth/reset-password", json=stale)).status_code == 403
    assert (await audit_actions(client, admin)).count("user.reset_code") == 3
    missing = await client.post("/admin/users/999999/reset-code", headers=admin)
    assert missing.status_code == 404


async def test_invitations_count_their_uses_and_can_be_revoked(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, admin = await operator_with_token(client, db)
    policy = await client.patch("/admin/settings", headers=admin, json={"registration": "invite"})
    assert policy.json()["registration"] == "invite"
    made = await client.post("/admin/invites", headers=admin, json={"uses": 2})
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    assert made.json()["code_hint"] == code[-4:]
    assert made.json()["state"] == "active"
    for name in ("inv1", "inv2"):
        signed = await client.post(
            "/auth/register", json={"username": name, "password": PASSWORD, "invite_code": code}
        )
        assert signed.status_code == 201, signed.text
    third = await client.post(
        "/auth/register", json={"username": "inv3", "password": PASSWORD, "invite_code": code}
    )
    assert third.status_code == 403
    listed = (await client.get("/admin/invites", headers=admin)).json()["invites"]
    assert [(i["used"], i["uses"], i["state"]) for i in listed] == [(2, 2, "used")]
    assert "code" not in listed[0]
    short = (await client.post("/admin/invites", headers=admin, json={"expires_in_days": 7})).json()
    assert short["expires_at"] is not None
    assert short["uses"] == 1
    revoked = await client.delete(f"/admin/invites/{short['invite_id']}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    late = await client.post(
        "/auth/register",
        json={"username": "inv4", "password": PASSWORD, "invite_code": short["code"]},
    )
    assert late.status_code == 403
    by_code = (await client.post("/admin/invites", headers=admin, json={})).json()
    assert (await client.delete(f"/admin/invites/{by_code['code']}", headers=admin)).json()[
        "state"
    ] == "revoked"
    assert (await client.delete("/admin/invites/ZZZZ-ZZZZ-ZZZZ", headers=admin)).status_code == 404
    assert (await client.delete("/admin/invites/123456", headers=admin)).status_code == 404
    too_many = await client.post("/admin/invites", headers=admin, json={"uses": 0})
    assert too_many.status_code == 422
    actions = await audit_actions(client, admin)
    assert actions.count("invite.created") == 3
    assert actions.count("invite.revoked") == 2


async def test_the_sign_up_policy_switches_at_run_time(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, admin = await operator_with_token(client, db)
    start = (await client.get("/admin/settings", headers=admin)).json()
    assert start == {"registration": "open", "default_registration": "open"}
    closed = await client.patch("/admin/settings", headers=admin, json={"registration": "closed"})
    assert closed.json()["registration"] == "closed"
    refused = await client.post("/auth/register", json={"username": "late", "password": PASSWORD})
    assert refused.status_code == 403
    page = await client.get("/app/register")
    assert "data-registration-closed" in page.text
    await client.patch("/admin/settings", headers=admin, json={"registration": "open"})
    assert (
        await client.post("/auth/register", json={"username": "late", "password": PASSWORD})
    ).status_code == 201
    bad = await client.patch("/admin/settings", headers=admin, json={"registration": "maybe"})
    assert bad.status_code == 422
    entries = (await client.get("/admin/audit", headers=admin)).json()["entries"]
    assert [entry["detail"] for entry in entries] == ["closed -> open", "open -> closed"]


async def test_the_audit_log_is_paged_newest_first(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, admin = await operator_with_token(client, db)
    for _ in range(5):
        await client.post("/admin/invites", headers=admin, json={})
    first = (await client.get("/admin/audit", headers=admin, params={"limit": 3})).json()
    rest = (
        await client.get(
            "/admin/audit", headers=admin, params={"limit": 3, "cursor": first["next_cursor"]}
        )
    ).json()
    ids = [entry["audit_id"] for entry in first["entries"] + rest["entries"]]
    assert len(ids) == 5
    assert ids == sorted(ids, reverse=True)
    assert rest["next_cursor"] is None
    # The log has no way to be changed from the console.
    for method in ("PATCH", "DELETE", "PUT", "POST"):
        answer = await client.request(method, "/admin/audit", headers=admin, json={})
        assert answer.status_code == 405


async def test_a_promoted_learner_opens_the_console(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    learner, headers = await user_with_token(client)
    assert (await client.get("/admin/users", headers=headers)).status_code == 403
    await make_operator(db, learner["user_id"])
    fresh = await login(client, learner["username"])
    assert (await client.get("/admin/users", headers=fresh)).status_code == 200


async def test_the_command_line_makes_codes_of_several_uses_the_console_lists(
    app_factory: AppFactory, database_url: str, db: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "LANGTUTOR_DATABASE_URL": database_url,
        "LANGTUTOR_SECRET_KEY": TEST_SECRET,
        "LANGTUTOR_REGISTRATION": "invite",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        made = await asyncio.to_thread(run_cli, ["invite", "create", "--uses", "2"], env)
    finally:
        get_settings.cache_clear()
    assert made.exit_code == 0, made.output
    (code,) = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", made.output)
    async with app_factory(REGISTRATION="invite") as client:
        users = []
        for name in ("cli1", "cli2", "cli3"):
            body = {"username": name, "password": PASSWORD, "invite_code": code}
            answer = await client.post("/auth/register", json=body)
            assert answer.status_code == (403 if name == "cli3" else 201), answer.text
            users.append(answer.json())
        await make_operator(db, users[0]["user_id"])
        admin = await login(client, "cli1")
        (listed,) = (await client.get("/admin/invites", headers=admin)).json()["invites"]
        assert (listed["used"], listed["uses"], listed["code_hint"]) == (2, 2, code[-4:])
