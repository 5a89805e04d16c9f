"""The installable app over HTTP: the manifest, the service worker and its versioned shell, the
offline page, and what every page links of them. (In a browser: test_offline_browser.py.)"""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.web import shell_routes
from tests.web.html import parse
from tests.web.test_pages import page, sign_up


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its header (the IHDR chunk comes first)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_the_manifest_names_the_app_its_start_and_its_icons(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    answer = await client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = answer.json()
    assert manifest["name"] == manifest["short_name"] == "langtutor"
    assert manifest["start_url"] == "/app"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    sizes = set()
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200
        assert image.headers["content-type"] == icon["type"] == "image/png"
        width, height = png_size(image.content)
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    # In the pages' language.
    german = (await client.get("/manifest.webmanifest", headers={"Accept-Language": "de"})).json()
    assert german["lang"] == "de"
    assert german["description"] != manifest["description"]


async def test_the_service_worker_carries_the_version_of_its_shell(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    answer = await client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    assert "service-worker-allowed" not in answer.headers
    first_line = answer.text.split("\n", 1)[0]
    shell = json.loads(first_line.removeprefix("self.LANGTUTOR_SHELL = ").removesuffix(";"))
    assert shell["version"] == shell_routes.shell_version()
    assert "/offline" in shell["files"]
    assert {"/static/app.js", "/static/offline.js", "/static/app.css"} <= set(shell["files"])
    for path in shell["files"]:
        assert (await client.get(path)).status_code == 200, path


def test_a_changed_shell_file_is_a_new_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy that changes a file of the shell names a new cache: the old one is dropped."""
    before = shell_routes.shell_version()
    static = tmp_path / "static"
    shutil.copytree(shell_routes.STATIC, static, ignore=shutil.ignore_patterns("vendor"))
    (static / "app.css").write_text((static / "app.css").read_text() + "\n/* changed */\n")
    monkeypatch.setattr(shell_routes, "STATIC", static)
    shell_routes.shell_version.cache_clear()
    try:
        assert shell_routes.shell_version() != before
    finally:
        shell_routes.shell_version.cache_clear()


async def test_the_offline_page_offers_review_and_nothing_that_needs_the_network(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    shown = await page(client, "/offline")
    assert shown.find("h1").text == "You are offline"
    links = {a.attrs["href"] for a in shown.find_all("a")}
    assert "/app/review" in links
    assert "/app/register" not in links
    assert "/app/login" not in links
    assert not shown.find_all("form")
    # No inline script: the strict Content-Security-Policy holds.
    for script in shown.find_all("script"):
        assert script.attrs.get("src") or script.attrs.get("type") == "application/json"


async def test_every_page_links_the_manifest_and_the_offline_script(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    for path in ("/", "/app/login"):
        shown = await page(client, path)
        assert shown.find("link", rel="manifest").attrs["href"] == "/manifest.webmanifest"
        themes = shown.find_all("meta", name="theme-color")
        assert {meta.attrs["media"] for meta in themes} == {
            "(prefers-color-scheme: light)",
            "(prefers-color-scheme: dark)",
        }
        assert shown.find("script", src="/static/offline.js")
        assert "data-learner" not in shown.find("body").attrs
    await sign_up(client, "ana", default_target_language="es")
    review = await page(client, "/app/review")
    assert review.find("body").attrs["data-learner"].isdigit()
    assert review.find("div", **{"data-sync-bar": ""}).attrs.get("hidden") == ""
    assert {t.attrs["id"] for t in review.find_all("template")} == {
        "offline-card",
        "offline-done",
        "offline-undo",
    }
    # The page itself is as before: the offline copy's markup is inert until the script uses it.
    assert not review.find_all("section", **{"data-review": ""})
    assert parse((await client.get("/app/review")).text).find("h1").text.strip()
