"""Errors a producer reports, with the codes of docs/errors.md."""

from __future__ import annotations

from typing import Optional

from .protocol import CLOSE_BUSY, CLOSE_PROTOCOL_ERROR, CLOSE_REPLACED, CLOSE_SESSIONS_REQUIRED, CLOSE_UNAUTHORIZED


class ProducerError(Exception):
    """A runtime failure the server or the network caused.

    ``code`` is one of framestream's error codes (``ERR_PRODUCER_REFUSED``,
    ``ERR_PRODUCER_BUSY``, ``ERR_PRODUCER_PROTOCOL``, ``ERR_UNREACHABLE``, or
    whatever code a server ``error`` message carried); ``reason`` says why in
    one word (``'unauthorized'``, ``'busy'``, ``'replaced'``,
    ``'rate-limited'``, ``'protocol'``, ``'unreachable'``, ``'server'``,
    ``'not-ingest'``, ``'too-big'``); ``fatal`` is true when the producer
    gave up and will not reconnect.
    """

    def __init__(
        self,
        code: str,
        reason: str,
        message: str,
        *,
        fatal: bool = False,
        status: Optional[int] = None,
        close_code: Optional[int] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.fatal = fatal
        self.status = status
        """The HTTP status that refused the upgrade, if one did."""
        self.close_code = close_code
        """The WebSocket close code that ended the connection, if one did."""
        self.retry_after = retry_after
        """Seconds the server asked to wait (``Retry-After`` on a 429)."""

    def __repr__(self) -> str:
        return f"ProducerError({self.code!r}, {self.reason!r}, {str(self)!r})"


def refused_by_status(status: int, retry_after: Optional[float], url: str) -> ProducerError:
    """The error for an upgrade the server answered with ``status`` instead of 101."""
    if status == 401 or status == 403:
        return ProducerError(
            "ERR_PRODUCER_REFUSED",
            "unauthorized",
            f"The ingest endpoint {url} refused the producer's token (HTTP {status}): check `token`",
            fatal=True,
            status=status,
        )
    if status == 429:
        # The server allows 5 failed attempts a minute per address.
        retry_after = 12.0 if retry_after is None else retry_after
        return ProducerError(
            "ERR_PRODUCER_REFUSED",
            "rate-limited",
            f"The ingest endpoint {url} refused this address after too many failed attempts (HTTP 429)",
            status=status,
            retry_after=retry_after,
        )
    if status == 400:
        return ProducerError(
            "ERR_PRODUCER_REFUSED",
            "protocol",
            f"The server at {url} does not speak framestream.producer.v1 there (HTTP 400): is the path an ingest endpoint?",
            fatal=True,
            status=status,
        )
    if status >= 500 or status == 408:
        # A proxy's 502 while the server restarts, a timeout: worth another try.
        return ProducerError("ERR_UNREACHABLE", "unreachable", f"{url} answered HTTP {status}; retrying", status=status)
    # Any other answer (an app's 200 or 404, a redirect) says this is no
    # ingest endpoint; retrying would only hide a wrong URL.
    return ProducerError(
        "ERR_PRODUCER_REFUSED",
        "not-ingest",
        f"{url} answered the handshake with HTTP {status}: is it the stream's ingest path?",
        fatal=True,
        status=status,
    )


def closed_by_server(code: Optional[int], reason: str, url: str) -> Optional[ProducerError]:
    """The error a close code stands for, or ``None`` for an ordinary drop (1000, 1001, 1006…)."""
    said = f": {reason}" if reason else ""
    if code == CLOSE_UNAUTHORIZED:
        return ProducerError(
            "ERR_PRODUCER_REFUSED", "unauthorized", f"The ingest endpoint {url} refused the producer's token (close 4401){said}: check `token`",
            fatal=True, close_code=code,
        )
    if code == CLOSE_BUSY:
        return ProducerError(
            "ERR_PRODUCER_BUSY", "busy", f"Another producer already feeds {url} (close 4409){said}; retrying slowly",
            close_code=code,
        )
    if code == CLOSE_REPLACED:
        return ProducerError(
            "ERR_PRODUCER_REFUSED", "replaced", f"A newer producer replaced this one at {url} (close 4410){said}",
            fatal=True, close_code=code,
        )
    if code == CLOSE_SESSIONS_REQUIRED:
        return ProducerError(
            "ERR_PRODUCER_REFUSED", "sessions-required",
            f"The stream at {url} serves its viewer sessions from a producer (close 4412){said}: create the producer with sessions=True",
            fatal=True, close_code=code,
        )
    if code == CLOSE_PROTOCOL_ERROR:
        return ProducerError(
            "ERR_PRODUCER_PROTOCOL", "protocol", f"The server closed {url} over a protocol error (close 4400){said}",
            close_code=code,
        )
    if code == 1009:
        return ProducerError(
            "ERR_INVALID_FRAME", "too-big", f"The server closed {url} over a frame above its maxFrameBytes (close 1009){said}",
            close_code=code,
        )
    return None
