"""``AsyncProducer``: the asyncio client, which the blocking ``Producer`` also runs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Callable, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import _ws
from .errors import ProducerError, closed_by_server, refused_by_status
from .frames import build_metrics, encode
from .policy import Backoff, FlowControl, ProducerStats
from .protocol import SESSIONS_PARAM, SUBPROTOCOL, ProtocolError, parse_server_message
from .serving import EndCallback, InputCallback, ParamsCallback, ServesSessions, SessionCallback
from .sessions import SessionBook

log = logging.getLogger("framestream_producer")

ErrorCallback = Callable[[ProducerError], None]
WatchingCallback = Callable[[bool], None]

# A viewer's camera frame may be up to the server's `maxInputBytes` (2 MiB
# by default, 64 MiB at most); without sessions the server sends small JSON only.
_MAX_MESSAGE_SESSIONS = 65 << 20
_MAX_MESSAGE = 1 << 20


def _with_sessions(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SESSIONS_PARAM]
    return urlunsplit(parts._replace(query=urlencode(query + [(SESSIONS_PARAM, "1")])))


class AsyncProducer(ServesSessions):
    """Sends frames to a framestream ingest endpoint from asyncio code.

    It connects in the background on first use and reconnects with backoff
    whenever the connection drops; :meth:`send` only hands the newest frame
    over and returns, so a model never waits on the network. The server's
    credits decide when a frame goes out; a frame that cannot go yet is
    replaced by the next one (latest wins).

    Example::

        async with AsyncProducer("ws://localhost:8080/ingest/model", token) as producer:
            while True:
                if not producer.watching:
                    await producer.wait_watching()
                t0 = time.perf_counter()
                image = model()                        # HxWx3 float32 in [0, 1]
                await producer.send(image, inference_ms=(time.perf_counter() - t0) * 1000)

    With ``sessions=True`` it serves a stream created with ``session:
    'producer'``: each viewer's session is announced (``on_session_start``),
    its params and camera frames arrive (``on_session_params``,
    ``on_session_input``, or :meth:`next_input` for a model loop), and
    :meth:`send_to` sends a frame to that session's viewer alone::

        async with AsyncProducer(url, token, sessions=True) as producer:
            while True:
                session, frame = await producer.next_input()
                await producer.send_to(session, model(frame.jpeg, session.params), input_seq=frame.seq)

    The callbacks run on the event loop (for
    :class:`~framestream_producer.Producer`, on its background thread); an
    exception they raise is logged and ignored.
    """

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        *,
        on_error: Optional[ErrorCallback] = None,
        on_watching: Optional[WatchingCallback] = None,
        backoff: Backoff = Backoff(),
        open_timeout: float = 10.0,
        headers: Optional[Mapping[str, str]] = None,
        sessions: bool = False,
        on_session_start: Optional[SessionCallback] = None,
        on_session_params: Optional[ParamsCallback] = None,
        on_session_input: Optional[InputCallback] = None,
        on_session_end: Optional[EndCallback] = None,
    ) -> None:
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            url = "ws" + url[4:]  # the ingest path as the host app's routes name it
        if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
            raise ValueError(f"Expected `url` to be a ws:// or wss:// URL of an ingest endpoint, got `{url!r}`")
        if not open_timeout > 0:
            raise ValueError(f"Expected `open_timeout` to be > 0, got `{open_timeout!r}`")
        if not isinstance(sessions, bool):
            raise TypeError(f"Expected `sessions` to be a bool, got `{sessions!r}`")
        # The opt-in is part of the URL, so the server knows it before it says anything.
        self.url = _with_sessions(url) if sessions else url
        self.serves_sessions = sessions
        self.on_session_start = on_session_start
        self.on_session_params = on_session_params
        self.on_session_input = on_session_input
        self.on_session_end = on_session_end
        self._book = SessionBook()
        self.on_error = on_error
        self.on_watching = on_watching
        self.backoff = backoff
        self._open_timeout = open_timeout
        self._headers = dict(headers or {})
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._flow = FlowControl()
        self._state = "idle"
        self._failure: Optional[ProducerError] = None
        self._closing = False
        self._task: Optional[asyncio.Task[None]] = None
        self._ws: Any = None
        # Created on the loop that runs the producer (see _start).
        self._wake: Optional[asyncio.Event] = None
        self._changed: Optional[asyncio.Event] = None

    # -- what a model reads --------------------------------------------------

    @property
    def watching(self) -> bool:
        """Whether any viewer watches (``welcome``, then ``demand``); ``False`` while disconnected."""
        return self._flow.watching and self._state == "connected"

    @property
    def connected(self) -> bool:
        """Whether the server has welcomed the current connection."""
        return self._state == "connected"

    @property
    def state(self) -> str:
        """``'idle'``, ``'connecting'``, ``'connected'``, ``'waiting'`` (to reconnect), ``'failed'`` or ``'closed'``."""
        return self._state

    @property
    def failure(self) -> Optional[ProducerError]:
        """The error the producer stopped on (a refused token, being replaced), if any."""
        return self._failure

    @property
    def stream(self) -> Mapping[str, Any]:
        """The stream's settings from the last ``welcome``: ``path``, ``width``, ``height``, ``fps``."""
        return self._flow.stream

    @property
    def stats(self) -> ProducerStats:
        """A copy of the counters (frames sent and replaced, credits, in flight)."""
        return dataclasses.replace(self._flow.stats)

    # -- sending --------------------------------------------------------------

    async def send(self, frame: Any, inference_ms: Optional[float] = None, **metrics: float) -> None:
        """Hands ``frame`` over to be sent as soon as a credit allows; never waits for the network.

        ``frame`` is JPEG bytes (forwarded as they are), a numpy ``uint8``
        (0-255) or floating-point (0-1) array shaped HxW or HxWxC (C = 1, 3
        or 4), or a PIL image. ``inference_ms`` and any other keyword arrive
        in the frame's metrics (``queue_depth=3`` as ``queueDepth``).

        Raises ``TypeError``/``ValueError`` for a frame the protocol cannot
        carry, and the :class:`ProducerError` the producer stopped on (for
        instance a refused token) once it has given up.
        """
        self.offer(encode(frame, build_metrics(inference_ms, metrics)))

    def offer(self, message: bytearray) -> None:
        """Puts an encoded frame message in the one-frame slot. Call on the producer's loop."""
        if self._failure is not None:
            raise self._failure
        if self._closing:
            raise RuntimeError("This producer is closed")
        self._start()
        self._flow.offer(message)
        assert self._wake is not None
        self._wake.set()

    # -- waiting ----------------------------------------------------------------

    async def start(self) -> None:
        """Starts connecting (``send`` does this too)."""
        self._start()

    async def wait_ready(self, timeout: Optional[float] = None) -> None:
        """Waits until the server has welcomed the producer; raises the error it gave up on."""
        self._start()
        await self._until(lambda: self._state == "connected", timeout)

    async def wait_watching(self, timeout: Optional[float] = None) -> bool:
        """Waits until a viewer watches; returns ``False`` if ``timeout`` seconds passed first."""
        self._start()
        try:
            await self._until(lambda: self.watching, timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def flush(self, timeout: Optional[float] = None) -> None:
        """Waits until the newest frame (and each session's) has been sent and the server is done with the stream's."""
        self._start()
        await self._until(
            lambda: self._flow.pending is None and not self._book.has_pending and self._flow.stats.in_flight == 0 and self.connected,
            timeout,
        )

    async def close(self) -> None:
        """Closes the connection (code 1000) and stops reconnecting. Safe to call twice."""
        self._closing = True
        if self._state != "failed":
            self._state = "closed"
        ws, task = self._ws, self._task
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), 5)
            except Exception:  # already gone: nothing left to close
                pass
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._notify()

    async def __aenter__(self) -> "AsyncProducer":
        self._start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # -- internals --------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None and not self._closing:
            self._wake = asyncio.Event()
            self._changed = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _notify(self) -> None:
        # Wakes every _until waiter, which re-checks its condition.
        if self._changed is not None:
            old, self._changed = self._changed, asyncio.Event()
            old.set()

    async def _until(self, condition: Callable[[], bool], timeout: Optional[float]) -> None:
        async def wait() -> None:
            while not condition():
                if self._failure is not None:
                    raise self._failure
                if self._closing:
                    raise RuntimeError("This producer is closed")
                assert self._changed is not None
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    def _call(self, callback: Optional[Callable[..., None]], *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("framestream producer callback %r raised", callback)

    def _set_watching(self, watching: bool) -> None:
        before = self.watching
        self._flow.watching = watching
        if self.watching != before:
            self._call(self.on_watching, self.watching)

    async def _run(self) -> None:
        attempt = 0
        reported: Optional[Tuple[str, str]] = None
        while not self._closing:
            self._state = "connecting"
            self._notify()
            error: Optional[ProducerError] = None
            welcomed = False
            try:
                max_size = _MAX_MESSAGE_SESSIONS if self.serves_sessions else _MAX_MESSAGE
                ws = await _ws.open_connection(self.url, SUBPROTOCOL, self._headers, self._open_timeout, max_size)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = self._connect_error(exc)
            else:
                welcomed, error = await self._session(ws)
            if self._closing:
                break
            # A connection the server welcomed resets the backoff, unless it
            # ended over a frame it refused: the next frame may well be refused
            # too, and reconnecting at once each time would hammer the server.
            if welcomed and (error is None or error.reason not in ("protocol", "too-big")):
                attempt, reported = 0, None
            delay = self.backoff.after(error, attempt)
            if error is not None:
                # Each kind of trouble is reported once per outage, not once per try.
                if (error.code, error.reason) != reported or error.fatal:
                    reported = (error.code, error.reason)
                    log.warning("framestream producer: %s", error)
                    self._call(self.on_error, error)
                else:
                    log.info("framestream producer: %s", error)
            if delay is None:
                assert error is not None
                self._failure, self._state = error, "failed"
                self._notify()
                return
            self._state = "waiting"
            self._notify()
            log.info("framestream producer: reconnecting to %s in %.2f s", self.url, delay)
            attempt += 1
            await asyncio.sleep(delay)

    def _connect_error(self, exc: Exception) -> ProducerError:
        refused = _ws.refused_status(exc)
        if refused is not None:
            status, retry_after = refused
            try:
                seconds = float(retry_after) if retry_after is not None else None
            except ValueError:
                seconds = None
            return refused_by_status(status, seconds, self.url)
        what = "timed out" if isinstance(exc, asyncio.TimeoutError) else (str(exc) or type(exc).__name__)
        return ProducerError("ERR_UNREACHABLE", "unreachable", f"Cannot connect to {self.url}: {what}")

    async def _session(self, ws: Any) -> Tuple[bool, Optional[ProducerError]]:
        """Runs one connection to its end; returns whether it was welcomed and why it ended."""
        self._ws = ws
        welcomed = False
        # The server's `error` message comes just before the 4400 it explains:
        # held briefly, so the two are reported as one error.
        said: Optional[Tuple[str, str]] = None  # the server's (code, message)
        report_later: Optional[asyncio.TimerHandle] = None

        def report_server_error() -> None:
            nonlocal said
            if said is not None:
                code, message = said
                said = None
                self._call(self.on_error, ProducerError(code, "server", f"The server at {self.url} reported {code}: {message}"))

        error: Optional[ProducerError] = None
        if ws.subprotocol != SUBPROTOCOL:
            await ws.close(1002, "expected framestream.producer.v1")
            self._ws = None
            return False, ProducerError(
                "ERR_PRODUCER_REFUSED", "protocol",
                f"The server at {self.url} did not agree to {SUBPROTOCOL}: is the path an ingest endpoint?", fatal=True,
            )
        writer = asyncio.get_running_loop().create_task(self._write(ws))
        try:
            async for raw in ws:
                if not isinstance(raw, str) and self.serves_sessions:
                    self._input(raw)
                    self._notify()  # wakes next_input()
                    continue
                msg = parse_server_message(raw)
                kind = msg["type"]
                if kind == "welcome":
                    welcomed = True
                    was_watching = self.watching
                    self._flow.welcome(msg)
                    self._book.granted = int(msg["credits"])
                    self._state = "connected"
                    log.info("framestream producer: connected to %s (%d credits)", self.url, msg["credits"])
                    if self.watching != was_watching:
                        self._call(self.on_watching, self.watching)
                elif kind == "credit":
                    if msg.get("target", 0) == 0:
                        self._flow.credit(msg["n"])
                    else:
                        self._book.credit(msg["target"], msg["n"])
                elif kind == "demand":
                    self._set_watching(msg["watching"])
                elif kind.startswith("session"):
                    self._session_message(kind, msg)
                else:
                    report_server_error()
                    said = (str(msg.get("code", "ERR_PRODUCER_PROTOCOL")), str(msg.get("message", "")))
                    report_later = asyncio.get_running_loop().call_later(1.0, report_server_error)
                assert self._wake is not None
                self._wake.set()
                self._notify()
        except _ws.ConnectionClosed:
            pass
        except ProtocolError as exc:
            error = ProducerError("ERR_PRODUCER_PROTOCOL", "protocol", f"The server at {self.url} sent {exc}")
            await ws.close(1002, "unexpected message")
        finally:
            if report_later is not None:
                report_later.cancel()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            self._ws = None
            was_watching = self.watching
            self._flow.disconnected()
            # The server tells the next connection of every session still open.
            for session in self._book.disconnected():
                self._call(self.on_session_end, session, "The connection to the server ended")
            if not self._closing:
                self._state = "connecting"
            if was_watching:
                self._call(self.on_watching, False)
            self._notify()
        if error is None:
            close_code, close_reason = _ws.close_info(ws)
            error = closed_by_server(close_code, close_reason, self.url)
            if error is not None and said is not None and error.close_code in (4400, 4412, 1009):
                # One error: what the close means, in the server's own code and words.
                code, message = said
                said = None
                error = ProducerError(
                    code, error.reason, f"The server at {self.url} closed the producer ({close_code}): {message}",
                    close_code=close_code, fatal=error.fatal,
                )
        report_server_error()
        return welcomed, error

    def _take(self) -> Optional[bytearray]:
        """The next frame to write: the stream's, else a session's that has a credit."""
        item = self._flow.take()
        return item[1] if item is not None else self._take_for_session()

    async def _write(self, ws: Any) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                try:
                    message = self._take()
                except ValueError as exc:
                    self._call(self.on_error, ProducerError("ERR_INVALID_FRAME", "too-big", str(exc)))
                    continue
                if message is None:
                    break
                try:
                    await ws.send(message)
                except _ws.ConnectionClosed:
                    return  # the reader sees the close and ends the session
                self._notify()

