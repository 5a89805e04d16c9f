"""The console's pages (people side) as a browser's forms post them, on both databases: the
Admin link for operators only, learners found and disabled, a reset code shown once and used
on the reset page, a deletion that needs the name, invitations, the sign-up policy, the
audit page."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.admin.helpers import make_operator
from tests.factories import PASSWORD, login, page_sign_up, register
from tests.web.html import parse


async def operator_session(client: httpx.AsyncClient, db: AsyncEngine) -> str:
    """Olga signed in with the pages as an operator: the page's CSRF token."""
    assert (await page_sign_up(client, "olga")).status_code == 303
    olga = (await client.get("/users/me")).json()
    await make_operator(db, olga["user_id"])
    form = parse((await client.get("/app/login")).text)
    answer = await client.post(
        "/app/login",
        data={"csrf_token": form.csrf_token(), "username": "olga", "password": PASSWORD},
    )
    assert answer.status_code == 303
    return parse((await client.get("/app/profile")).text).csrf_token()


async def test_an_operator_disables_and_enables_a_learner(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await operator_session(client, db)
    assert "data-admin-link" in (await client.get("/app/profile")).text
    assert (await client.get("/app/admin")).headers["location"] == "/app/admin/users"
    lea = await register(client, "lea", email="lea@example.org")
    headers = await login(client, "lea")
    listed = await client.get("/app/admin/users", params={"q": "lea@"})
    assert listed.status_code == 200
    assert 'data-person="lea"' in listed.text
    assert 'data-person="olga"' not in listed.text
    assert 'aria-current="page">Learners' in listed.text
    page = f"/app/admin/users/{lea['user_id']}"
    done = await client.post(page, data={"csrf_token": csrf, "action": "disable"})
    assert done.status_code == 303
    shown = await client.get(done.headers["location"])
    assert "it cannot log in" in shown.text
    assert (await client.get("/users/me", headers=headers)).status_code == 401
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        form = parse((await other.get("/app/login")).text)
        refused = await other.post(
            "/app/login",
            data={"csrf_token": form.csrf_token(), "username": "lea", "password": PASSWORD},
        )
    assert refused.status_code == 403
    assert "This account has been disabled." in refused.text
    await client.post(page, data={"csrf_token": csrf, "action": "enable"})
    await login(client, "lea")
    # Olga cannot step down: the page says why.
    olga = (await client.get("/users/me")).json()
    mine = await client.post(
        f"/app/admin/users/{olga['user_id']}", data={"csrf_token": csrf, "action": "learner"}
    )
    assert mine.status_code == 409
    assert "last operator" in mine.text
    gone = await client.post(
        "/app/profile/delete", data={"csrf_token": csrf, "confirm_username": "olga"}
    )
    assert gone.status_code == 409
    assert "last operator" in gone.text
    assert (await client.get("/users/me")).status_code == 200


async def test_a_reset_code_is_shown_once_and_sets_a_password(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await operator_session(client, db)
    lea = await register(client, "lea")
    made = await client.post(
        f"/app/admin/users/{lea['user_id']}/reset-code", data={"csrf_token": csrf}
    )
    assert made.status_code == 200
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", made.text)
    assert code is not None
    assert code[0] not in (await client.get(f"/app/admin/users/{lea['user_id']}")).text
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        assert "/app/reset-password" in (await other.get("/app/login")).text
        form = parse((await other.get("/app/reset-password")).text)
        fields = {
            "csrf_token": form.csrf_token(),
            "username": "lea",
            "code": "AAAA-BBBB-CCCC",
            "new_password": "brand new words",
            "new_password_confirm": "brand new words",
        }
        wrong = await other.post("/app/reset-password", data=fields)
        assert wrong.status_code == 403
        assert "does not work" in wrong.text
        differ = await other.post(
            "/app/reset-password", data=fields | {"new_password_confirm": "other words"}
        )
        assert differ.status_code == 422
        done = await other.post("/app/reset-password", data=fields | {"code": code[0]})
        assert done.status_code == 303
        assert done.headers["location"] == "/app/login?reset=1"
        assert "Your new password is set" in (await other.get(done.headers["location"])).text
    await login(client, "lea", "brand new words")


async def test_a_deletion_needs_the_name_typed(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    csrf = await operator_session(client, db)
    lea = await register(client, "lea")
    path = f"/app/admin/users/{lea['user_id']}/delete"
    wrong = await client.post(path, data={"csrf_token": csrf, "confirm": "le"})
    assert wrong.status_code == 422
    assert "username exactly to delete the account" in wrong.text
    gone = await client.post(path, data={"csrf_token": csrf, "confirm": "lea"})
    assert gone.status_code == 303
    assert "lea and all its data are deleted" in (await client.get(gone.headers["location"])).text
    assert (await client.get(f"/app/admin/users/{lea['user_id']}")).status_code == 404


async def test_invitations_policy_and_audit_pages(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await operator_session(client, db)
    page = await client.get("/app/admin/invites")
    assert "data-policy-note" in page.text
    refused = await client.post("/app/admin/invites", data={"csrf_token": csrf, "uses": "0"})
    assert refused.status_code == 422
    made = await client.post(
        "/app/admin/invites", data={"csrf_token": csrf, "uses": "3", "expires_in_days": "7"}
    )
    assert made.status_code == 200
    assert "data-new-invite" in made.text
    code = re.search(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", made.text)
    assert code is not None
    invite = re.search(r'data-invite="(\d+)"', made.text)
    assert invite is not None
    saved = await client.post(
        "/app/admin/settings", data={"csrf_token": csrf, "registration": "invite"}
    )
    assert saved.headers["location"] == "/app/admin/settings?saved=true"
    settings_page = await client.get(saved.headers["location"])
    assert re.search(r'value="invite"\s+checked', settings_page.text)
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        assert 'name="invite_code"' in (await other.get("/app/register")).text
    revoked = await client.post(f"/app/admin/invites/{invite[1]}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert "Revoked" in (await client.get("/app/admin/invites")).text
    audit = await client.get("/app/admin/audit")
    assert audit.status_code == 200
    for words in ("Invitation created", "Invitation revoked", "Sign-up policy changed"):
        assert words in audit.text


HOSTILE = ["", " ", "0", "-1", "1e9", "99999999999", "x" * 5000, "\x00", "<script>", "abc"]


async def test_the_console_forms_survive_hostile_values(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """An operator's forms and query parameters given values a browser never sends: a page
    with a status below 500 every time, never JSON, and the operator still an operator."""
    csrf = await operator_session(client, db)
    lea = await register(client, "lea")
    forms = {
        f"/app/admin/users/{lea['user_id']}": ["action"],
        f"/app/admin/users/{lea['user_id']}/delete": ["confirm"],
        "/app/admin/invites": ["uses", "expires_in_days"],
        "/app/admin/settings": ["registration"],
    }
    for path, fields in forms.items():
        for name in fields:
            for value in HOSTILE:
                answer = await client.post(path, data={"csrf_token": csrf, name: value})
                assert answer.status_code < 500, (path, name, value[:20], answer.text[:300])
                assert "json" not in answer.headers.get("content-type", "")
    queries = {
        "/app/admin/users": ["q", "cursor", "deleted"],
        "/app/admin/audit": ["cursor"],
        f"/app/admin/users/{lea['user_id']}": ["done"],
    }
    for path, params in queries.items():
        for name in params:
            for value in HOSTILE:
                answer = await client.get(path, params={name: value})
                assert answer.status_code < 500, (path, name, value[:20], answer.text[:300])
    for path in ("/app/admin/users/0", "/app/admin/users/99999999999", "/app/admin/users/x"):
        assert (await client.get(path)).status_code in (404, 422)
    assert (await client.get("/app/admin/users")).status_code == 200
