"""What a catalog costs a page: the learner's pages answered by `langtutor serve` (one worker,
PostgreSQL when it runs, else SQLite) for learners who read them in English and in German,
Arabic and Japanese, the requests of each round in turn on one connection each (each
language first in a round as often as the others), so every language sees the same machine.
For each page: the median time in each language and its ratio to English's; over the pages,
each language's geometric mean of those ratios (target: within 5%, <= 1.05).

    .venv/bin/python -m benchmarks.page_render [--rounds 300] [--database postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks._harness import database, fake_llm, langtutor_server, pg_available, user_token

PAGES = ["/app", "/app/review", "/app/generate", "/app/library", "/app/progress", "/app/profile"]
LANGUAGES = ["en", "de", "ar", "ja"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(url: str, language: str) -> httpx.Client:
    """A browser of a learner who reads the pages in `language`, with a session cookie."""
    username = f"reader_{language}"
    bearer = user_token(url, username, default_target_language="fr", default_base_language="en")
    chosen = {"interface_language": language}
    httpx.patch(f"{url}/users/me", json=chosen, headers=bearer, timeout=30).raise_for_status()
    browser = httpx.Client(base_url=url, timeout=30, headers={"Origin": url})
    login = browser.get("/app/login")
    token = CSRF.search(login.text)
    assert token, "no CSRF token on the login page"
    form = {"username": username, "password": "benchmark password", "csrf_token": token[1]}
    assert browser.post("/app/login", data=form).status_code == 303, "login refused"
    page = browser.get("/app/profile")
    page.raise_for_status()
    assert f'lang="{language}"' in page.text, f"the pages are not in {language}"
    return browser


def measure(url: str, rounds: int) -> dict[str, dict[str, float]]:
    browsers = {language: signed_in(url, language) for language in LANGUAGES}
    times: dict[str, dict[str, list[float]]] = {
        page: {language: [] for language in LANGUAGES} for page in PAGES
    }
    for page in PAGES:
        for language in LANGUAGES:  # warm: templates compiled, catalogs loaded
            browsers[language].get(page).raise_for_status()
        for round_ in range(rounds):
            # Each language in each place of the round in turn: none always follows another.
            shift = round_ % len(LANGUAGES)
            for language in LANGUAGES[shift:] + LANGUAGES[:shift]:
                started = time.perf_counter()
                browsers[language].get(page).raise_for_status()
                times[page][language].append(time.perf_counter() - started)
    for browser in browsers.values():
        browser.close()
    return {
        page: {language: statistics.median(values) for language, values in by_language.items()}
        for page, by_language in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database", choices=["postgresql", "sqlite"])
    args = parser.parse_args()
    kind = args.database or ("postgresql" if pg_available() else "sqlite")
    with (
        tempfile.TemporaryDirectory() as workdir,
        database(kind, Path(workdir)) as database_url,
        fake_llm(0.0) as llm_url,
        langtutor_server(database_url, llm_url) as (url, _process),
    ):
        medians = measure(url, args.rounds)
    print(f"{kind}, one worker, {args.rounds} rounds, median ms per page; ratio to English")
    print(f"{'page':<16}" + "".join(f"{language:>16}" for language in LANGUAGES))
    ratios: dict[str, list[float]] = {language: [] for language in LANGUAGES}
    for page, by_language in medians.items():
        cells = []
        for language in LANGUAGES:
            ratios[language].append(by_language[language] / by_language["en"])
            cells.append(f"{by_language[language] * 1000:8.2f} ({ratios[language][-1]:4.2f})")
        print(f"{page:<16}" + "".join(f"{cell:>16}" for cell in cells))
    overall = {language: statistics.geometric_mean(ratios[language]) for language in LANGUAGES}
    print(
        "ratio to English over the pages (geometric mean): "
        + ", ".join(f"{language} {overall[language]:.3f}" for language in LANGUAGES[1:])
        + f"; worst {max(overall.values()):.3f} (target <= 1.05)"
    )


if __name__ == "__main__":
    main()
