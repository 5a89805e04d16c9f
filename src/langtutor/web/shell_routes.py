"""The installable app: the web app manifest, the service worker (`/sw.js`, scope `/`) and the
page it shows when the network is gone. The worker keeps the app shell in a cache named by
the version of the shell's files, so a deploy that changes any of them replaces the cache."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from langtutor import __version__
from langtutor.deps import SettingsDep
from langtutor.routing import JSONRoute
from langtutor.web import i18n
from langtutor.web.i18n import N_
from langtutor.web.rendering import HERE, render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
STATIC = HERE / "static"
WORKER = STATIC / "sw.js"
OFFLINE_PAGE = "/offline"
ICONS = (
    {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {
        "src": "/static/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
)
MANIFEST = "/manifest.webmanifest"
# What the worker keeps for offline use: the pages' stylesheet, scripts and icons, the
# manifest and the offline page (both as the worker's install found them: in that language).
SHELL_FILES = ("app.css", "app.js", "offline.js", "favicon.svg") + tuple(
    icon["src"].removeprefix("/static/") for icon in ICONS
)
SHELL = (OFFLINE_PAGE, MANIFEST, *(f"/static/{name}" for name in SHELL_FILES))
# The templates the offline page is made of: a change to them is a new shell too.
SHELL_TEMPLATES = ("base.html", "offline.html", "_script_messages.html")
# The bar a browser draws around an installed app: the colour of the pages' header (base.html
# names it for dark mode too: the manifest has one colour).
THEME_LIGHT = "#ffffff"
BACKGROUND = "#f3f5f8"
# The footer's sentence, which says what langtutor is in every catalog.
DESCRIPTION = N_("langtutor: open, self-hosted language practice with the model of your choice.")


@cache
def shell_version() -> str:
    """A digest of everything the shell cache holds (and of the worker itself)."""
    digest = hashlib.sha256(__version__.encode())
    files = [WORKER, *(STATIC / name for name in SHELL_FILES)]
    files += [HERE / "templates" / name for name in SHELL_TEMPLATES]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def worker_script() -> bytes:
    """The worker's code, after the version and the files of the shell it keeps."""
    shell = {"version": shell_version(), "files": list(SHELL)}
    return f"self.LANGTUTOR_SHELL = {json.dumps(shell)};\n".encode() + WORKER.read_bytes()


def interface_of(request: Request) -> i18n.Interface:
    """The language of a signed-out page (these routes are outside `/app`, which the
    middleware chooses it for): the footer's switch, else the browser's languages."""
    interface = i18n.for_request(request.headers, request.cookies)
    i18n.use(interface)
    return interface


def manifest(interface: i18n.Interface) -> dict[str, object]:
    return {
        "id": "/app",
        "name": "langtutor",
        "short_name": "langtutor",
        "description": i18n.gettext(DESCRIPTION),
        "lang": interface.tag,
        "dir": interface.direction,
        "start_url": "/app",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": THEME_LIGHT,
        "icons": list(ICONS),
    }


@router.get(MANIFEST)
async def web_manifest(request: Request) -> Response:
    """What a browser installs: the names, the start page, the icons, in the pages' language."""
    body = json.dumps(manifest(interface_of(request)), ensure_ascii=False).encode()
    return Response(body, media_type="application/manifest+json")


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker; checked with the server on every update check (`no-cache`), so a
    deploy reaches the browsers at their next visit."""
    return Response(
        worker_script(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@router.get(OFFLINE_PAGE)
async def offline_page(request: Request, settings: SettingsDep) -> Response:
    """What the worker shows for a page it cannot reach and has not kept."""
    interface_of(request)
    return render(request, "offline.html", settings=settings, bare=True)
