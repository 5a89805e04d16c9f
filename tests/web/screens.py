"""The screens the browser tests look at: a 1280 px desktop and a 390 px touch phone, each in
light and dark."""

from __future__ import annotations

from typing import Any

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
# (color scheme, width, the browser context's options but the scheme)
SCREENS: list[tuple[str, int, dict[str, Any]]] = [
    (scheme, width, options)
    for scheme in ("light", "dark")
    for width, options in ((1280, DESKTOP), (390, PHONE))
]
