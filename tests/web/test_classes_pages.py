"""The classes' pages over HTTP, read with an HTML parser, on both databases: a teacher makes
a class, a learner joins with its code after the notice, the teacher assigns a set, the
learner sees it on Today and on the class's page, the teacher's page shows the learner; a
bad code says so; leaving and deleting."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from langtutor.classes.service import CODE_TRIES_PER_MINUTE
from tests.web.test_pages import page, saved_item, sign_up


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


def words(text: str) -> str:
    return " ".join(text.split())


async def test_teacher_and_learner_through_the_pages(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    t_csrf = await sign_up(client, "teacher", default_target_language="es")
    made = await client.post("/app/classes", data={"csrf_token": t_csrf, "name": "Spanish 1"})
    assert made.status_code == 303
    class_path = made.headers["location"]
    shown = await page(client, class_path)
    code = shown.find("p", **{"data-join-code": ""}).text.strip()
    # A refused form says why.
    empty = await client.post("/app/classes", data={"csrf_token": t_csrf, "name": ""})
    assert empty.status_code == 422
    set_id = await saved_item(client, t_csrf)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ana:
        a_csrf = await sign_up(ana, "ana", default_target_language="es")
        bad = await ana.get("/app/classes/join", params={"code": "WRONGCODE2"})
        assert bad.status_code == 404
        assert "No class has this join code" in bad.text
        notice = await page(ana, f"/app/classes/join?code={code.lower()}")
        told = words(notice.find("section", **{"data-join-notice": ""}).text)
        assert "What your teacher will see" in told
        assert "You can leave the class at any time" in told
        joined = await ana.post(
            "/app/classes/join",
            data={"csrf_token": a_csrf, "join_code": code, "review_cards": "true"},
        )
        assert joined.status_code == 303
        assert joined.headers["location"] == class_path

        assigned = await client.post(
            f"{class_path}/assignments",
            data={"csrf_token": t_csrf, "saved_content_id": str(set_id), "due_date": "2099-12-31"},
        )
        assert assigned.status_code == 303, assigned.text
        bad_date = await client.post(
            f"{class_path}/assignments",
            data={"csrf_token": t_csrf, "saved_content_id": str(set_id), "due_date": "soon"},
        )
        assert bad_date.status_code == 422

        today = await page(ana, "/app")
        part = today.find("section", **{"data-assigned": ""})
        assert "Colours" in words(part.text)
        assert "To do" in words(part.text)
        assert any(a.attrs.get("href", "").startswith("/app/library/") for a in today.find_all("a"))
        mine = await page(ana, class_path)
        assert mine.find_all("p", **{"data-join-code": ""}) == []
        assert mine.find_all("table") == []

        teacher_view = await page(client, class_path)
        teacher_view.find("tr", **{"data-member": "ana"})
        assert words(teacher_view.find("td", **{"data-stat": "done"}).text) == "0/1"
        listed = await page(client, "/app/classes")
        assert "Spanish 1" in words(listed.find("ul", **{"data-classes": ""}).text)

        left = await ana.post(f"{class_path}/leave", data={"csrf_token": a_csrf})
        assert left.status_code == 303
        assert (await ana.get(class_path)).status_code == 404
        teacher_view = await page(client, class_path)
        assert teacher_view.find_all("tr", **{"data-member": "ana"}) == []

    # A learner trying codes one after another is asked to wait, on the page too.
    for _ in range(CODE_TRIES_PER_MINUTE):
        tried = await client.get("/app/classes/join", params={"code": "WRONGCODE2"})
        assert tried.status_code == 404
    held = await client.post(
        "/app/classes/join", data={"csrf_token": t_csrf, "join_code": "WRONGCODE2"}
    )
    assert held.status_code == 429
    assert "tried many join codes" in words(held.text)
    held = await client.get("/app/classes/join", params={"code": "WRONGCODE2"})
    assert held.status_code == 429

    deleted = await client.post(f"{class_path}/delete", data={"csrf_token": t_csrf})
    assert deleted.status_code == 303
    assert (await client.get(class_path)).status_code == 404
    assert "Spanish 1" not in (await client.get("/app/classes")).text
