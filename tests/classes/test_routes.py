"""Classes through the real HTTP app and database (both): a class made, joined with its code,
its code changed, a set assigned and copied to every member (cards as each chose), the
teacher's view of the members, leaving, removal, deletion (copies kept), and each refusal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.classes.service import CODE_TRIES_PER_MINUTE
from langtutor.classes.views import CODE_ALPHABET, CODE_LENGTH
from tests.admin.operators import operator_headers
from tests.factories import user_with_token

CARDS = {"cards": [{"front": "el gato", "back": "the cat"}, {"front": "el perro", "back": "dog"}]}
Headers = dict[str, str]


async def scalar(db: AsyncEngine, sql: str, **values: Any) -> Any:
    async with db.connect() as connection:
        return (await connection.execute(text(sql), values)).scalar_one()


async def saved_set(client: httpx.AsyncClient, headers: Headers, label: str = "Pets") -> int:
    answer = await client.post(
        "/content/save",
        headers=headers,
        json={
            "content_type": "flashcards",
            "original_query": "pets",
            "content_data": CARDS,
            "user_label": label,
        },
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["saved_content_id"])


async def a_class(
    client: httpx.AsyncClient, name: str = "Spanish 1"
) -> tuple[dict[str, Any], Headers, dict[str, Any]]:
    teacher, headers = await user_with_token(client, default_base_language="en")
    made = await client.post("/classes", json={"name": name}, headers=headers)
    assert made.status_code == 201, made.text
    return teacher, headers, made.json()


async def joined(
    client: httpx.AsyncClient, code: str, review_cards: bool = True
) -> tuple[dict[str, Any], Headers]:
    user, headers = await user_with_token(client, default_base_language="en")
    answer = await client.post(
        "/classes/join", json={"join_code": code, "review_cards": review_cards}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return user, headers


async def test_create_list_view_and_join(client: httpx.AsyncClient) -> None:
    teacher, t_headers, made = await a_class(client)
    code = made["join_code"]
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(CODE_ALPHABET)
    assert (made["role"], made["teacher"], made["members"]) == ("teacher", teacher["username"], [])
    ana, a_headers = await user_with_token(client)
    # Any case, with spaces or a dash: the same code.
    typed = f"{code[:5].lower()}-{code[5:]} "
    answer = await client.post("/classes/join", json={"join_code": typed}, headers=a_headers)
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    assert (seen["role"], seen["join_code"], seen["members"]) == ("member", None, [])
    again = await client.post("/classes/join", json={"join_code": code}, headers=a_headers)
    assert again.status_code == 200
    view = (await client.get(f"/classes/{made['class_id']}", headers=t_headers)).json()
    assert [m["username"] for m in view["members"]] == [ana["username"]]
    listed = (await client.get("/classes", headers=a_headers)).json()
    assert [(c["class_id"], c["role"]) for c in listed] == [(made["class_id"], "member")]
    mine = (await client.get("/classes", headers=t_headers)).json()
    assert [c["role"] for c in mine] == ["teacher"]
    own = await client.post("/classes/join", json={"join_code": code}, headers=t_headers)
    assert own.status_code == 409


async def test_bad_codes_and_bodies_are_refused_plainly(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    bad = await client.post("/classes/join", json={"join_code": "NOPE234567"}, headers=headers)
    assert bad.status_code == 404
    assert "join code" in bad.json()["detail"]
    for body in ({}, {"join_code": ""}, {"join_code": "x" * 33}, {"join_code": 5}):
        assert (await client.post("/classes/join", json=body, headers=headers)).status_code == 422
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "a", "extra": 1}):
        assert (await client.post("/classes", json=body, headers=headers)).status_code == 422


async def test_join_codes_tried_are_held_to_a_pace(client: httpx.AsyncClient) -> None:
    """Beyond CODE_TRIES_PER_MINUTE codes a minute, found or not, a learner is told to wait
    (429, Retry-After), even for a right code; another learner is not held up."""
    _, _, made = await a_class(client)
    _, headers = await user_with_token(client)
    for _ in range(CODE_TRIES_PER_MINUTE):
        wrong = await client.post(
            "/classes/join", json={"join_code": "NOPE234567"}, headers=headers
        )
        assert wrong.status_code == 404
    held = await client.post(
        "/classes/join", json={"join_code": made["join_code"]}, headers=headers
    )
    assert held.status_code == 429
    assert "join code tries" in held.json()["detail"]
    assert 1 <= int(held.headers["retry-after"]) <= 60
    await joined(client, made["join_code"])


async def test_a_new_code_stops_the_old_one(client: httpx.AsyncClient) -> None:
    _, t_headers, made = await a_class(client)
    rotated = await client.post(f"/classes/{made['class_id']}/join-code", headers=t_headers)
    assert rotated.status_code == 200
    new = rotated.json()["join_code"]
    assert new != made["join_code"]
    _, headers = await user_with_token(client)
    old = await client.post("/classes/join", json={"join_code": made["join_code"]}, headers=headers)
    assert old.status_code == 404
    assert (
        await client.post("/classes/join", json={"join_code": new}, headers=headers)
    ).status_code == 200
    member_rotates = await client.post(f"/classes/{made['class_id']}/join-code", headers=headers)
    assert member_rotates.status_code == 403


async def test_an_assignment_is_copied_to_each_member_cards_as_chosen(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    teacher, t_headers, made = await a_class(client)
    class_id, code = made["class_id"], made["join_code"]
    ana, a_headers = await joined(client, code, review_cards=True)
    bob, b_headers = await joined(client, code, review_cards=False)
    source = await saved_set(client, t_headers)
    due = (date.today() + timedelta(days=7)).isoformat()
    answer = await client.post(
        f"/classes/{class_id}/assignments",
        json={"saved_content_id": source, "due_date": due},
        headers=t_headers,
    )
    assert answer.status_code == 201, answer.text
    assignment = answer.json()
    assert (assignment["title"], assignment["due_date"], assignment["done_count"]) == (
        "Pets",
        due,
        0,
    )
    for user, headers, cards in ((ana, a_headers, 2), (bob, b_headers, 0)):
        listed = (await client.get("/content", headers=headers)).json()
        [copy] = listed["items"]
        assert (copy["user_label"], copy["shared_by"]) == ("Pets", teacher["username"])
        counted = await scalar(
            db, "SELECT count(*) FROM review_cards WHERE user_id = :u", u=user["user_id"]
        )
        assert counted == cards
        seen = (await client.get(f"/classes/{class_id}", headers=headers)).json()
        [mine] = seen["assignments"]
        assert (mine["saved_content_id"], mine["done"], mine["late"]) == (
            copy["saved_content_id"],
            False,
            False,
        )
    # A later member gets the assignments so far.
    cleo, c_headers = await joined(client, code)
    [late_copy] = (await client.get("/content", headers=c_headers)).json()["items"]
    assert late_copy["user_label"] == "Pets"
    # Only the teacher's own sets: another's id is 404, a member cannot assign.
    ana_set = await saved_set(client, a_headers, "Mine")
    other = await client.post(
        f"/classes/{class_id}/assignments", json={"saved_content_id": ana_set}, headers=t_headers
    )
    assert other.status_code == 404
    by_member = await client.post(
        f"/classes/{class_id}/assignments", json={"saved_content_id": ana_set}, headers=a_headers
    )
    assert by_member.status_code == 403
    bad_date = await client.post(
        f"/classes/{class_id}/assignments",
        json={"saved_content_id": source, "due_date": 20261231},
        headers=t_headers,
    )
    assert bad_date.status_code == 422


async def test_the_teachers_view_of_progress(client: httpx.AsyncClient) -> None:
    _, t_headers, made = await a_class(client)
    class_id, code = made["class_id"], made["join_code"]
    ana, a_headers = await joined(client, code)
    bob, _ = await joined(client, code)
    source = await saved_set(client, t_headers)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    await client.post(
        f"/classes/{class_id}/assignments",
        json={"saved_content_id": source, "due_date": yesterday},
        headers=t_headers,
    )
    [copy] = (await client.get("/content", headers=a_headers)).json()["items"]
    studied = await client.post(
        f"/content/{copy['saved_content_id']}/study",
        json={"position": 1, "finished": True},
        headers=a_headers,
    )
    assert studied.status_code == 204, studied.text
    queue = (await client.get("/review/queue", headers=a_headers)).json()
    first, second = queue["cards"][:2]
    for card, rating in ((first, 1), (second, 3)):
        rated = await client.post(
            f"/review/{card['card_id']}", json={"rating": rating}, headers=a_headers
        )
        assert rated.status_code == 200, rated.text
    progress = await client.get(f"/classes/{class_id}/progress", headers=t_headers)
    assert progress.status_code == 200, progress.text
    rows = {row["username"]: row for row in progress.json()["members"]}
    a, b = rows[ana["username"]], rows[bob["username"]]
    assert (a["streak_days"], a["reviews_7d"], a["reviews_30d"]) == (1, 2, 2)
    assert (a["accuracy_7d"], a["accuracy_30d"]) == (0.5, 0.5)
    # Done after the due date (yesterday): done and late; Bob not done by it: late.
    assert (a["assignments"], a["assignments_done"], a["assignments_late"]) == (1, 1, 1)
    assert (b["streak_days"], b["reviews_7d"], b["accuracy_7d"]) == (0, 0, None)
    assert (b["assignments"], b["assignments_done"], b["assignments_late"]) == (1, 0, 1)
    view = (await client.get(f"/classes/{class_id}", headers=t_headers)).json()
    assert view["assignments"][0]["done_count"] == 1
    mine = (await client.get(f"/classes/{class_id}", headers=a_headers)).json()
    assert (mine["assignments"][0]["done"], mine["assignments"][0]["late"]) == (True, True)
    # A member sees no one's progress, their own neither (403: they know the class).
    assert (await client.get(f"/classes/{class_id}/progress", headers=a_headers)).status_code == 403


async def test_leaving_and_removal_stop_the_teachers_view_at_once(
    client: httpx.AsyncClient,
) -> None:
    _, t_headers, made = await a_class(client)
    class_id, code = made["class_id"], made["join_code"]
    ana, a_headers = await joined(client, code)
    bob, b_headers = await joined(client, code)
    source = await saved_set(client, t_headers)
    await client.post(
        f"/classes/{class_id}/assignments", json={"saved_content_id": source}, headers=t_headers
    )
    left = await client.delete(f"/classes/{class_id}/membership", headers=a_headers)
    assert left.status_code == 204
    assert (await client.get(f"/classes/{class_id}", headers=a_headers)).status_code == 404
    assert (
        await client.delete(f"/classes/{class_id}/membership", headers=a_headers)
    ).status_code == 404
    members = (await client.get(f"/classes/{class_id}/progress", headers=t_headers)).json()
    assert [m["username"] for m in members["members"]] == [bob["username"]]
    # A member cannot remove another; the teacher can.
    assert (
        await client.delete(f"/classes/{class_id}/members/{bob['user_id']}", headers=b_headers)
    ).status_code == 403
    removed = await client.delete(
        f"/classes/{class_id}/members/{bob['user_id']}", headers=t_headers
    )
    assert removed.status_code == 204
    again = await client.delete(f"/classes/{class_id}/members/{bob['user_id']}", headers=t_headers)
    assert again.status_code == 404
    view = (await client.get(f"/classes/{class_id}", headers=t_headers)).json()
    assert view["members"] == []
    assert view["assignments"][0]["done_count"] == 0
    assert (await client.get(f"/classes/{class_id}/progress", headers=t_headers)).json()[
        "members"
    ] == []
    # Their copies stay theirs.
    for headers in (a_headers, b_headers):
        assert (await client.get("/content", headers=headers)).json()["total"] == 1


async def test_deleting_a_class_keeps_the_copies(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, t_headers, made = await a_class(client)
    class_id, code = made["class_id"], made["join_code"]
    _, a_headers = await joined(client, code)
    source = await saved_set(client, t_headers)
    await client.post(
        f"/classes/{class_id}/assignments", json={"saved_content_id": source}, headers=t_headers
    )
    assert (await client.delete(f"/classes/{class_id}", headers=a_headers)).status_code == 403
    own = await client.delete(f"/classes/{class_id}/membership", headers=t_headers)
    assert own.status_code == 409
    assert (await client.delete(f"/classes/{class_id}", headers=t_headers)).status_code == 204
    assert (await client.get(f"/classes/{class_id}", headers=t_headers)).status_code == 404
    assert (await client.get(f"/classes/{class_id}", headers=a_headers)).status_code == 404
    assert (await client.get("/content", headers=a_headers)).json()["total"] == 1
    for table in ("classes", "class_members", "class_assignments", "assignment_copies"):
        assert await scalar(db, f"SELECT count(*) FROM {table}") == 0


async def test_every_route_is_401_without_a_token(client: httpx.AsyncClient) -> None:
    for method, path, body in (
        ("POST", "/classes", {"name": "x"}),
        ("GET", "/classes", None),
        ("GET", "/classes/1", None),
        ("DELETE", "/classes/1", None),
        ("POST", "/classes/join", {"join_code": "ABCDEFGHJK"}),
        ("POST", "/classes/1/join-code", None),
        ("POST", "/classes/1/assignments", {"saved_content_id": 1}),
        ("GET", "/classes/1/progress", None),
        ("DELETE", "/classes/1/membership", None),
        ("DELETE", "/classes/1/members/2", None),
    ):
        answer = await client.request(method, path, json=body)
        assert answer.status_code == 401, (method, path)


async def test_the_console_counts_classes_only(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    _, t_headers, made = await a_class(client)
    await joined(client, made["join_code"])
    source = await saved_set(client, t_headers)
    await client.post(
        f"/classes/{made['class_id']}/assignments",
        json={"saved_content_id": source},
        headers=t_headers,
    )
    operator = await operator_headers(client, db)
    stats = (await client.get("/admin/stats?days=7", headers=operator)).json()
    assert (stats["classes"], stats["class_members"], stats["class_assignments"]) == (1, 1, 1)
    usage = await client.get("/admin/stats?days=7", headers=t_headers)
    assert usage.status_code == 403
