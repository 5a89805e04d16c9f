"""What the contract test teaches Schemathesis about rules that a JSON Schema cannot state
and that our schema names instead (`format: language`, `time-zone` and `username`, the
`x-rule` notes of content).

Loaded by the Schemathesis command line through `SCHEMATHESIS_HOOKS=tests.contract_hooks`.
The body fixes only ever make a rule hold; a body that breaks the schema stays broken."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

# Codes and English names, all known to langcodes, all with an eSpeak NG voice, and all
# written by the fake model as target and as base language (content in another language is
# refused by the content checks with a 502, as it should be).
LANGUAGES = ["es", "fr", "de", "Spanish", "French", "german", "ES"]

TIME_ZONES = ["UTC", "Europe/Madrid", "America/Argentina/Buenos_Aires", "Asia/Tokyo", "Etc/GMT-14"]

schemathesis.openapi.format("language", st.sampled_from(LANGUAGES))
schemathesis.openapi.format("time-zone", st.sampled_from(TIME_ZONES))
# Names of ASCII and of other scripts (a taken name answers 409, as the schema allows).
USERNAMES = st.from_regex(r"[A-Za-z0-9_.\-]{3,30}", fullmatch=True) | st.sampled_from(
    ["maría", "Дарья", "हिन्दी", "ｆｕｌｌｗｉｄｔｈ"]
)
schemathesis.openapi.format("username", USERNAMES)


def _follow_rules(content: Any) -> None:
    """A multiple_choice exercise's answer is one of its options; every dialogue line's
    speaker is the name of a role."""
    if not isinstance(content, dict):
        return
    for exercise in content.get("exercises") or []:
        if (
            isinstance(exercise, dict)
            and exercise.get("type") == "multiple_choice"
            and isinstance(exercise.get("options"), list)
            and exercise["options"]
        ):
            exercise["answer"] = exercise["options"][0]
    roles = content.get("roles")
    names = [role["name"] for role in roles or [] if isinstance(role, dict) and "name" in role]
    if names and isinstance(content.get("dialogue"), list):
        for number, line in enumerate(content["dialogue"]):
            if isinstance(line, dict):
                line["speaker"] = names[number % len(names)]


@schemathesis.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    if isinstance(body, dict):
        _follow_rules(body.get("content_data"))
    return body
