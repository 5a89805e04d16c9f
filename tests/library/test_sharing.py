"""A saved set shared by link: made and revoked by its owner only, read by anyone holding the
link (nothing else of the owner's), copied by another learner as their own, credited; views
counted per client address. API and pages, on both databases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.library.sharing import NO_LINK, TOKEN_BYTES
from langtutor.web import sharing_routes
from tests.conftest import AppFactory
from tests.factories import page_sign_up, user_with_token
from tests.web.html import parse

CARDS = {
    "cards": [{"front": "el perro", "back": "the dog"}, {"front": "el gato", "back": "the cat"}]
}
SHARED_FIELDS = {
    "content_type",
    "user_label",
    "original_query",
    "target_language",
    "content_data",
    "shared_by",
}


async def saved_set(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> int:
    answer = await client.post(
        "/content/save",
        headers=headers,
        json={
            "content_type": "flashcards",
            "original_query": "pets",
            "content_data": CARDS,
            "user_label": "Pets",
            "user_notes": "my private notes",
            **fields,
        },
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["saved_content_id"])


async def test_share_view_copy_and_revoke(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    owner_user, owner = await user_with_token(client, email="owner@example.org")
    _, reader = await user_with_token(client, default_base_language="de")
    _, keeper = await user_with_token(client)
    await client.patch("/users/me", headers=keeper, json={"review_auto_cards": False})
    sid = await saved_set(client, owner)
    stored = (await client.get(f"/content/{sid}", headers=owner)).json()["content_data"]

    made = await client.post(f"/content/{sid}/share", headers=owner)
    assert made.status_code == 201, made.text
    link = made.json()
    assert set(link) == {"share_url", "token"}
    token = link["token"]
    assert link["share_url"] == f"http://testserver/app/shared/{token}"
    # A second share while the link is live answers that link.
    again = await client.post(f"/content/{sid}/share", headers=owner)
    assert (again.status_code, again.json()) == (200, link)

    # Anyone holding the link reads the set, and nothing else of its owner's.
    view = await client.get(f"/shared/{token}")
    assert view.status_code == 200, view.text
    assert view.headers["x-robots-tag"] == "noindex"
    body = view.json()
    assert set(body) == SHARED_FIELDS
    assert body == {
        "content_type": "flashcards",
        "user_label": "Pets",
        "original_query": "pets",
        "target_language": None,
        "content_data": stored,
        "shared_by": owner_user["username"],
    }
    assert "my private notes" not in view.text
    assert "owner@example.org" not in view.text
    assert not [name for name in body if name.endswith("_id")]

    # Another learner copies it: their own set, credited, its cards in their review.
    copied = await client.post(f"/shared/{token}/copy", headers=reader)
    assert copied.status_code == 201, copied.text
    copy = copied.json()
    assert copy["saved_content_id"] != sid
    assert (copy["user_label"], copy["user_notes"], copy["shared_by"]) == (
        "Pets",
        None,
        owner_user["username"],
    )
    assert copy["generation_id"] is None
    assert copy["content_data"] == stored
    mine = await client.get(f"/content/{copy['saved_content_id']}", headers=reader)
    assert mine.status_code == 200
    assert (await client.get("/review/queue", headers=reader)).json()["new_count"] == 2
    # Copying twice makes a second copy (each an independent set).
    second = await client.post(f"/shared/{token}/copy", headers=reader)
    assert second.status_code == 201
    assert second.json()["saved_content_id"] != copy["saved_content_id"]
    assert (await client.get("/content", headers=reader)).json()["total"] == 2
    # A learner who adds no cards automatically gets none.
    kept = await client.post(f"/shared/{token}/copy", headers=keeper)
    assert kept.status_code == 201
    assert (await client.get("/review/queue", headers=keeper)).json()["new_count"] == 0
    # The owner's own set: 409, nothing copied.
    own = await client.post(f"/shared/{token}/copy", headers=owner)
    assert own.status_code == 409
    assert (await client.get("/content", headers=owner)).json()["total"] == 1
    # Without a token, copying is 401.
    assert (await client.post(f"/shared/{token}/copy")).status_code == 401

    # Revoked: the link is 404 everywhere, and sharing again makes a new one.
    assert (await client.delete(f"/content/{sid}/share", headers=owner)).status_code == 204
    assert (await client.get(f"/shared/{token}")).status_code == 404
    assert (await client.post(f"/shared/{token}/copy", headers=reader)).status_code == 404
    assert (await client.get(f"/app/shared/{token}")).status_code == 404
    assert (await client.delete(f"/content/{sid}/share", headers=owner)).status_code == 204
    fresh = (await client.post(f"/content/{sid}/share", headers=owner)).json()
    assert fresh["token"] != token
    # The copies stay their owners'.
    assert (
        await client.get(f"/content/{copy['saved_content_id']}", headers=reader)
    ).status_code == 200

    # Deleting the set deletes its link.
    assert (await client.delete(f"/content/{sid}", headers=owner)).status_code == 204
    assert (await client.get(f"/shared/{fresh['token']}")).status_code == 404
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM content_shares")) == 0


async def test_only_the_owner_shares_and_unshares(client: httpx.AsyncClient) -> None:
    _, owner = await user_with_token(client)
    _, intruder = await user_with_token(client)
    sid = await saved_set(client, owner)
    for method in ("POST", "DELETE"):
        assert (await client.request(method, f"/content/{sid}/share")).status_code == 401
        answer = await client.request(method, f"/content/{sid}/share", headers=intruder)
        assert answer.status_code == 404, (method, answer.text)
        missing = await client.request(method, "/content/999999/share", headers=owner)
        assert missing.status_code == 404
    token = (await client.post(f"/content/{sid}/share", headers=owner)).json()["token"]
    # Another learner's DELETE does not revoke it.
    await client.delete(f"/content/{sid}/share", headers=intruder)
    assert (await client.get(f"/shared/{token}")).status_code == 200


async def test_unknown_tokens_are_404_json_and_pages(client: httpx.AsyncClient) -> None:
    unknown = "A" * 32
    answer = await client.get(f"/shared/{unknown}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert "detail" in answer.json()
    assert (await client.get("/shared/short")).status_code == 422  # no token of ours
    page = await client.get(f"/app/shared/{unknown}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    # The service's words, marked for translation by the page's module.
    assert NO_LINK in page.text
    assert f'N_("{NO_LINK}")' in Path(sharing_routes.__file__).read_text()
    assert (await client.get("/app/shared/not a token!")).status_code == 404


def test_tokens_are_long_and_random() -> None:
    from langtutor.library.sharing import new_token

    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert TOKEN_BYTES * 8 >= 128
    assert all(len(token) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", token) for token in tokens)


async def test_views_are_limited_per_client_address(app_factory: AppFactory) -> None:
    async with app_factory(SHARE_VIEWS_PER_MINUTE=3) as client:
        _, owner = await user_with_token(client)
        sid = await saved_set(client, owner)
        token = (await client.post(f"/content/{sid}/share", headers=owner)).json()["token"]
        assert (await client.get(f"/shared/{token}")).status_code == 200
        assert (await client.get(f"/app/shared/{token}")).status_code == 200
        assert (await client.get(f"/shared/{'B' * 32}")).status_code == 404  # guesses count
        refused = await client.get(f"/shared/{token}")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        page = await client.get(f"/app/shared/{token}")
        assert page.status_code == 429
        assert page.headers["content-type"].startswith("text/html")
        assert int(page.headers["retry-after"]) > 0


async def test_the_pages_share_show_and_add(app_factory: AppFactory) -> None:
    """The owner shares from the set's page; a visitor without an account reads it (noindex,
    no form); a signed-in learner adds it and sees whom it came from; the owner stops."""
    async with app_factory() as browser:
        await _pages(browser)


async def _pages(browser: httpx.AsyncClient) -> None:
    assert (await page_sign_up(browser, "sharer")).status_code == 303
    headers = {"X-CSRF-Token": parse((await browser.get("/app/profile")).text).csrf_token()}
    sid = await saved_set(browser, headers)
    item = parse((await browser.get(f"/app/library/{sid}")).text)
    share_form = [f for f in item.find_all("form") if f.attrs.get("action", "").endswith("/share")]
    assert share_form
    answer = await browser.post(f"/app/library/{sid}/share", data={"csrf_token": item.csrf_token()})
    assert answer.status_code == 303
    shown = await browser.get(answer.headers["location"])
    link = parse(shown.text).find("input", id="share-link").attrs["value"]
    token = link.rsplit("/", 1)[1]
    assert link == f"http://testserver/app/shared/{token}"
    # Stop sharing: the link is gone; sharing again makes a new one.
    stopped = await browser.post(
        f"/app/library/{sid}/unshare", data={"csrf_token": item.csrf_token()}
    )
    assert stopped.status_code == 303
    after = parse((await browser.get(stopped.headers["location"])).text)
    assert not after.find_all("input", id="share-link")
    assert (await browser.get(f"/app/shared/{token}")).status_code == 404
    answer = await browser.post(f"/app/library/{sid}/share", data={"csrf_token": item.csrf_token()})
    shown = await browser.get(answer.headers["location"])
    token = parse(shown.text).find("input", id="share-link").attrs["value"].rsplit("/", 1)[1]
    # The owner's view of their own shared page: the way to their set, no copy.
    own = parse((await browser.get(f"/app/shared/{token}")).text)
    assert not own.find_all("button", **{"data-copy-shared": ""})
    await browser.post("/app/logout", data={"csrf_token": own.csrf_token()})
    browser.cookies.clear()

    anonymous = await browser.get(f"/app/shared/{token}")
    assert anonymous.status_code == 200
    assert anonymous.headers["x-robots-tag"] == "noindex"
    page = parse(anonymous.text)
    assert page.find("meta", name="robots").attrs["content"] == "noindex"
    assert "el perro" in anonymous.text
    assert "the cat" in anonymous.text
    assert "my private notes" not in anonymous.text
    assert "sharer" in page.find("p", **{"data-shared-by": ""}).text
    assert not page.find_all("form", method="post")  # read-only: no form at all

    assert (await page_sign_up(browser, "reader")).status_code == 303
    page = parse((await browser.get(f"/app/shared/{token}")).text)
    page.find("button", **{"data-copy-shared": ""})
    added = await browser.post(f"/app/shared/{token}/copy", data={"csrf_token": page.csrf_token()})
    assert added.status_code == 303
    assert re.fullmatch(r"/app/library/\d+\?copied=1", added.headers["location"])
    copy = parse((await browser.get(added.headers["location"])).text)
    assert "sharer" in copy.find("span", **{"data-shared-by": ""}).text
    listed = parse((await browser.get("/app/library")).text)
    assert "sharer" in listed.find("span", **{"data-shared-by": ""}).text
    # Without the CSRF token, no copy.
    refused = await browser.post(f"/app/shared/{token}/copy", data={})
    assert refused.status_code == 403


async def test_every_kind_of_set_reads_on_its_page(client: httpx.AsyncClient) -> None:
    """Exercises (their answers folded) and a role-play read-only, without an account: no
    form, no "Play this scene", no audio."""
    from tests.library.test_export_formats import EXERCISES, SIMULATION

    _, owner = await user_with_token(client)
    for kind, content, shown in (
        ("exercises", EXERCISES, ["¿Dónde ___ el baño?", "está", "Location: estar."]),
        ("simulation", SIMULATION, ["At the café", "¿Qué le pongo?", "What can I get you?"]),
    ):
        sid = await saved_set(client, owner, content_type=kind, content_data=content)
        token = (await client.post(f"/content/{sid}/share", headers=owner)).json()["token"]
        page = await client.get(f"/app/shared/{token}")
        assert page.status_code == 200, page.text
        parsed = parse(page.text)
        assert not parsed.find_all("form", method="post"), kind
        assert not parsed.find_all("button", **{"class": "play"}), kind
        for text_shown in shown:
            assert text_shown in page.text, (kind, text_shown)
        assert "my private notes" not in page.text
        if kind == "exercises":
            assert len(parsed.find_all("details")) == 2
