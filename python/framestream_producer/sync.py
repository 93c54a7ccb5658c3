"""``Producer``: the blocking client for scripts and torch loops.

A thin layer: it runs an :class:`AsyncProducer` on an event loop in a
background thread. ``send`` encodes the frame in the caller's thread (so the
caller may reuse its array at once) and hands the message over without
waiting for the network.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Coroutine, Mapping, Optional, Tuple, TypeVar

from .aio import AsyncProducer, ErrorCallback, WatchingCallback
from .errors import ProducerError
from .frames import build_metrics, encode
from .policy import Backoff, ProducerStats
from .serving import EndCallback, InputCallback, ParamsCallback, SessionCallback
from .sessions import ProducerSession, SessionInput

T = TypeVar("T")


class Producer:
    """Sends frames to a framestream ingest endpoint from ordinary (blocking) code.

    Same arguments and behaviour as :class:`AsyncProducer`; its callbacks run
    on the producer's background thread.

    Example::

        with Producer("ws://localhost:8080/ingest/model", token="secret") as producer:
            for image in model_outputs():              # HxWx3 float32 in [0, 1]
                producer.send(image, inference_ms=41.2)

    Serving sessions (``sessions=True``), a model loop answers each viewer::

        with Producer(url, token="secret", sessions=True) as producer:
            while True:
                got = producer.next_input(timeout=1.0)
                if got is not None:
                    session, frame = got
                    producer.send_to(session, model(frame.jpeg), input_seq=frame.seq)
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
        # Checks the arguments here, in the caller's thread, so a mistake raises at the call.
        self._aio = AsyncProducer(
            url, token, on_error=on_error, on_watching=on_watching, backoff=backoff,
            open_timeout=open_timeout, headers=headers, sessions=sessions,
            on_session_start=on_session_start, on_session_params=on_session_params,
            on_session_input=on_session_input, on_session_end=on_session_end,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="framestream-producer", daemon=True)
        self._thread.start()
        self._closed = False
        self._run(self._aio.start(), None)

    @property
    def url(self) -> str:
        return self._aio.url

    @property
    def watching(self) -> bool:
        """Whether any viewer watches; a model may pause while this is ``False``."""
        return self._aio.watching

    @property
    def connected(self) -> bool:
        return self._aio.connected

    @property
    def state(self) -> str:
        """``'connecting'``, ``'connected'``, ``'waiting'`` (to reconnect), ``'failed'`` or ``'closed'``."""
        return self._aio.state

    @property
    def failure(self) -> Optional[ProducerError]:
        return self._aio.failure

    @property
    def stream(self) -> Mapping[str, Any]:
        return self._aio.stream

    @property
    def stats(self) -> ProducerStats:
        return self._aio.stats

    @property
    def sessions(self) -> Mapping[int, ProducerSession]:
        """With ``sessions=True``: the sessions the current connection serves, by target."""
        return self._aio.sessions

    def send(self, frame: Any, inference_ms: Optional[float] = None, **metrics: float) -> None:
        """Hands ``frame`` over and returns at once (see :meth:`AsyncProducer.send`)."""
        message = encode(frame, build_metrics(inference_ms, metrics))
        if self._aio.failure is not None:
            raise self._aio.failure
        if self._closed:
            raise RuntimeError("This producer is closed")
        self._loop.call_soon_threadsafe(self._offer, message)

    def _offer(self, message: bytearray) -> None:
        try:
            self._aio.offer(message)
        except (ProducerError, RuntimeError):
            pass  # failed or closed in between; the next send() raises it

    def send_to(self, session: ProducerSession | int, frame: Any, inference_ms: Optional[float] = None, **metrics: float) -> bool:
        """Hands ``frame`` over for one session's viewer and returns at once (see :meth:`AsyncProducer.send_to`).

        Returns ``False`` when that session is not served here (any more).
        """
        if not self._aio.serves_sessions:
            raise TypeError("`send_to()` needs a producer created with sessions=True")
        message = encode(frame, build_metrics(inference_ms, metrics))
        if self._aio.failure is not None:
            raise self._aio.failure
        if self._closed:
            raise RuntimeError("This producer is closed")
        target = session.target if isinstance(session, ProducerSession) else session
        if target not in self._aio.sessions:
            return False
        self._loop.call_soon_threadsafe(self._offer_to, target, message)
        return True

    def _offer_to(self, target: int, message: bytearray) -> None:
        try:
            self._aio.offer_to(target, message)
        except (ProducerError, RuntimeError):
            pass  # failed or closed in between; the next call raises it

    def end_session(self, session: ProducerSession | int, reason: Optional[str] = None) -> bool:
        """Ends a session this producer serves (see :meth:`AsyncProducer.end_session`)."""
        return self._run(self._aio.end_session(session, reason), 10)

    def next_input(self, timeout: Optional[float] = None) -> Optional[Tuple[ProducerSession, SessionInput]]:
        """Blocks for the next ``(session, input)`` to answer; ``None`` after ``timeout`` seconds."""
        return self._run(self._aio.next_input(timeout), None)

    def wait_ready(self, timeout: Optional[float] = None) -> None:
        """Blocks until the server has welcomed the producer; raises the error it gave up on."""
        self._run(self._aio.wait_ready(timeout), None)

    def wait_watching(self, timeout: Optional[float] = None) -> bool:
        """Blocks until a viewer watches; ``False`` if ``timeout`` seconds passed first."""
        return self._run(self._aio.wait_watching(timeout), None)

    def flush(self, timeout: Optional[float] = None) -> None:
        """Blocks until the newest frame is sent and the server is done with every frame sent."""
        self._run(self._aio.flush(timeout), None)

    def close(self) -> None:
        """Closes the connection, stops reconnecting and ends the thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self._aio.close(), 10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: Optional[float]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except (FutureTimeout, asyncio.TimeoutError):
            future.cancel()
            raise TimeoutError("framestream producer: timed out") from None
