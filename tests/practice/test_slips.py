"""One letter off in a word of five letters or more is "almost" (half a point, and a review
card like any answer that is not right); in a shorter word one letter makes another word, so
it is wrong. Checked by the checker itself and through the real HTTP app and database."""

from __future__ import annotations

import httpx
import pytest

from langtutor.practice.checker import MIN_LETTERS_FOR_TYPO, Verdict, check_choice, check_typed
from langtutor.practice.schemas import Slip
from tests.factories import saved_exercises, user_with_token
from tests.fakellm import FakeLLM

EXERCISES = {
    "exercises": [
        {
            "type": "fill_in_the_blank",
            "prompt": "Leo un ___ (book).",
            "answer": "libro",
            "explanation": "Un libro: a book.",
        },
        {
            "type": "fill_in_the_blank",
            "prompt": "Es una ___ (thing).",
            "answer": "cosa",
            "explanation": None,
        },
    ]
}


@pytest.mark.parametrize(
    ("expected", "answer", "verdict"),
    [
        ("libro", "libto", Verdict.almost),  # five letters, one changed
        ("libro", "libo", Verdict.almost),  # one left out
        ("libro", "librro", Verdict.almost),  # one added
        ("libro", "litto", Verdict.wrong),  # two changed
        ("libro", "tibra", Verdict.wrong),  # two changed, the first letter one of them
        ("libro", "lxbxo", Verdict.wrong),  # two changed, a letter apart
        ("libro", "lib", Verdict.wrong),  # two left out
        ("cosa", "casa", Verdict.wrong),  # four letters: another word
    ],
)
def test_one_letter_off_is_almost_from_five_letters(
    expected: str, answer: str, verdict: Verdict
) -> None:
    assert MIN_LETTERS_FOR_TYPO == len("libro")
    checked = check_typed(answer, expected, language="es")
    assert checked.verdict is verdict
    if verdict is Verdict.almost:
        assert checked.score == 0.5
        assert checked.feedback == "One letter is off: *libro*."


def test_a_choice_is_right_or_wrong_and_says_which() -> None:
    right = check_choice("está ", "está")
    assert (right.verdict, right.score, right.feedback, right.matched, right.slip) == (
        Verdict.correct,
        1.0,
        "Correct!",
        "está",
        Slip.none,
    )
    wrong = check_choice("es", "está")
    assert (wrong.verdict, wrong.score, wrong.feedback, wrong.slip) == (
        Verdict.wrong,
        0.0,
        "The answer is *está*.",
        Slip.other,
    )


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


async def test_an_almost_answer_returns_its_review_card(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    item = await saved_exercises(client, headers, EXERCISES)

    async def check(index: int, answer: str) -> dict[str, object]:
        body = {"saved_content_id": item, "item_index": index, "answer": answer}
        answered = await client.post("/exercises/check", headers=headers, json=body)
        assert answered.status_code == 200, answered.text
        return dict(answered.json())

    right = await check(0, "libro")
    assert (right["verdict"], right["review_card_id"]) == ("correct", None)
    almost = await check(0, "libto")
    assert (almost["verdict"], almost["score"]) == ("almost", 0.5)
    assert almost["review_card_id"] is not None
    card = (await client.get(f"/review/cards/{almost['review_card_id']}", headers=headers)).json()
    assert (card["front"], card["back"], card["source"]) == (
        "Leo un ___ (book).",
        "libro",
        "mistake",
    )
    assert card["saved_content_id"] == item
    assert (card["target_language"], card["base_language"]) == ("es", "en")
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert [entry["card_id"] for entry in queue["cards"]] == [almost["review_card_id"]]

    wrong = await check(1, "casa")
    assert wrong["verdict"] == "wrong"
    assert wrong["review_card_id"] not in (None, almost["review_card_id"])


async def test_each_exercise_answered_wrong_is_one_card_of_its_own(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    """The same place in two sets is two exercises, whether generated or typed in; answered
    wrong twice, one is one card."""
    _, headers = await user_with_token(client, default_target_language="es")
    first = await saved_exercises(client, headers, EXERCISES)
    second = await saved_exercises(client, headers, EXERCISES)
    typed = []
    for _ in range(2):  # typed in: no generation behind them
        saved = await client.post(
            "/content/save",
            headers=headers,
            json={
                "content_type": "exercises",
                "original_query": "books",
                "content_data": EXERCISES,
            },
        )
        assert saved.status_code == 201, saved.text
        typed.append(saved.json()["saved_content_id"])

    async def card_of(item: int) -> object:
        body = {"saved_content_id": item, "item_index": 1, "answer": "casa"}
        answered = await client.post("/exercises/check", headers=headers, json=body)
        assert answered.status_code == 200, answered.text
        return answered.json()["review_card_id"]

    items = [first, second, *typed]
    cards = [await card_of(item) for item in items]
    assert None not in cards
    assert len(set(cards)) == 4
    assert [await card_of(item) for item in items] == cards
