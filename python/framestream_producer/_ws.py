"""The few places where websockets' versions differ.

Debian 12 ships websockets 10.4, whose client is ``websockets.connect``
with ``extra_headers``. From 13 on, ``websockets.asyncio.client.connect`` is
the maintained client and takes ``additional_headers``; a refused upgrade
raises ``InvalidStatus`` (with ``.response``) instead of
``InvalidStatusCode`` (with ``.status_code``). Everything else this library
uses (``send``, ``async for``, ``close``, ``close_code``, ``subprotocol``) is
the same in both.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping, Optional, Tuple

import websockets
from websockets.exceptions import ConnectionClosed as ConnectionClosed

_connect: Callable[..., Any]
try:  # websockets >= 13
    _connect = importlib.import_module("websockets.asyncio.client").connect
    _HEADERS_ARG = "additional_headers"
except ImportError:  # websockets 10-12 (Debian 12: 10.4)
    _connect = getattr(websockets, "connect")
    _HEADERS_ARG = "extra_headers"

VERSION: str = getattr(websockets, "__version__", "unknown")


async def open_connection(url: str, subprotocol: str, headers: Mapping[str, str], open_timeout: float, max_size: int = 1 << 20) -> Any:
    kwargs = {
        "subprotocols": [subprotocol],
        _HEADERS_ARG: dict(headers),
        "open_timeout": open_timeout,
        # Small JSON messages, and for a producer serving sessions the viewers' camera JPEGs.
        "max_size": max_size,
        # Frames are JPEG or noise-like floats: deflate would cost the model's
        # CPU for little, and framestream's server does not offer it anyway.
        "compression": None,
    }
    return await _connect(url, **kwargs)


def refused_status(exc: BaseException) -> Optional[Tuple[int, Optional[str]]]:
    """``(status, Retry-After)`` when ``exc`` is an upgrade answered with another HTTP status."""
    response = getattr(exc, "response", None)
    if response is not None and isinstance(getattr(response, "status_code", None), int):
        return response.status_code, response.headers.get("Retry-After")
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        headers = getattr(exc, "headers", None)
        return status, headers.get("Retry-After") if headers is not None else None
    return None


def close_info(ws: Any) -> Tuple[Optional[int], str]:
    """The close code and reason a finished connection received.

    The legacy client and websockets >= 14 have ``close_code``/``close_reason``
    on the connection; 13's new asyncio client keeps them on ``ws.protocol``.
    """
    for holder in (ws, getattr(ws, "protocol", None)):
        if holder is not None and hasattr(holder, "close_code"):
            return holder.close_code, holder.close_reason or ""
    return None, ""
