"""Studying in the browser as a learner meets it: the colours of light and dark mode, the
keys on a deck and in review, the chat box on a phone, the first deck's layout. Exercises one
at a time are in test_browser's practice session. Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

import langtutor.web

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
CSS = Path(langtutor.web.__file__).parent / "static" / "app.css"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
# Every custom property the stylesheet reads, as the page computes it: a self-reference or a
# missing definition computes to the empty string.
COMPUTED_PROPERTIES = """
names => {
  const style = getComputedStyle(document.documentElement);
  const bad = {};
  for (const name of names) {
    const value = style.getPropertyValue(name).trim();
    const valid = ["color", "width", "box-shadow"].some((property) => CSS.supports(property, value));
    if (!value || !valid) bad[name] = value;
  }
  return bad;
}
"""


async def test_every_custom_property_of_the_stylesheet_has_a_value_in_light_and_dark(
    serve: Any, journey: Any
) -> None:
    names = sorted(set(re.findall(r"var\(\s*(--[\w-]+)", CSS.read_text())))
    assert "--accent-wash" in names
    assert len(names) > 15
    server = serve()
    tab = await journey(server.url)
    page = tab.page
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        for path in ("/", "/app/login"):
            await tab.goto(path)
            assert await page.evaluate(COMPUTED_PROPERTIES, names) == {}, (scheme, path)
        # The tints differ from the paper they lie on.
        washes = await page.evaluate(
            """() => {
              const style = getComputedStyle(document.documentElement);
              return ["--paper", "--accent-wash", "--ok-wash", "--bad-wash", "--simulation-wash"]
                .map((name) => style.getPropertyValue(name).trim().toLowerCase());
            }"""
        )
        assert len(set(washes)) == len(washes), (scheme, washes)
