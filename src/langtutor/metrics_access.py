"""Who may read `/metrics`: a dependency of that one route (the operations' probes in
`langtutor.app`)."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Depends, Request

from langtutor.deps import SettingsDep
from langtutor.errors import Forbidden, Unauthorized

# Headers a proxy adds: a request that carries one comes from elsewhere, whatever address
# it arrives from.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


async def metrics_reader(request: Request, settings: SettingsDep) -> None:
    """Who may read `/metrics`: with LANGTUTOR_METRICS_TOKEN set, whoever sends it as a
    bearer token; unset, only a client on this machine that no proxy relays. (The header is
    read here, not declared as the API's OAuth2 scheme: a learner's token is not this one.)"""
    if settings.METRICS_TOKEN:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        expected = settings.METRICS_TOKEN.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), expected):
            raise Unauthorized("metrics need 'Authorization: Bearer <LANGTUTOR_METRICS_TOKEN>'")
        return
    host = request.client.host if request.client else ""
    if not _loopback(host) or any(name in request.headers for name in FORWARDING_HEADERS):
        raise Forbidden(
            "metrics are served to this machine only; set LANGTUTOR_METRICS_TOKEN to read "
            "them from elsewhere"
        )


def _loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


MetricsReader = Depends(metrics_reader)
